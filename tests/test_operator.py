"""The daemon as an operator people can watch and steer, as a subprocess against the emulator: rollout outcomes and
held revisions, rollback on failure, /status, suspend and ignore annotations, POST /reconcile and SIGHUP, and what
`run` prints by default.

Rollouts fail in the emulator only for images containing ``:broken`` (``ECS_RECONCILER_EMULATOR_ROLLOUT_IMAGES``), so
one revision can hold a failing service next to a healthy one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import pytest
from aws_state import running, tags_of
from builders import cluster, image_app
from conftest import DaemonProcess, eventually
from daemon_io import Recorded, get, status_of

from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import AwsSettings
from reconciler.core.tags import REVISION_TAG_KEY
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.deployments import Deployments
from reconciler.daemon.metrics import Metrics
from reconciler.emulator import ROLLOUT_ENV
from reconciler.emulator.clock import CLOCK, ROLLOUT_SECONDS_ENV
from reconciler.emulator.rollouts import ROLLOUT_IMAGES_ENV

CLUSTER = cluster(settings=None)


@pytest.fixture
def broken_images_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")


def live(ecs: Any, name: str) -> dict[str, Any]:
    return dict(ecs.describe_services(cluster="prod", services=[name])["services"][0])


def post(url: str, *, token: str) -> int:
    request = urllib.request.Request(url, data=b"", method="POST", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


def test_a_failing_image_is_alerted_once_with_its_events_and_not_applied_again(
    aws, ecs, daemon, gitsync, webhook, broken_images_fail
):
    good = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0", breaker_rollback=True)})
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", webhook.url)
    port = proc.wait_for_event("serving metrics")["port"]
    completed = eventually(lambda: webhook.alerts("rollout_completed"), what="the good revision rolled out")
    assert completed[0]["revision"] == good and completed[0]["task_definition"] == "api:1"
    assert [a["revision"] for a in webhook.alerts("applied")] == [good]

    broken = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "broken", breaker_rollback=True)})
    failed = eventually(lambda: webhook.alerts("rollout_failed"), what="the rollout_failed alert")[0]
    assert failed["resource"] == "Service prod/api"
    assert failed["revision"] == broken
    assert failed["task_definition"] == "api:2"
    assert any("deployment failed" in e for e in failed["events"]), failed["events"]
    assert "held" in failed["summary"]
    # ECS's circuit breaker put the service back on api:1; the manifests still say api:2, and stay unapplied.
    eventually(lambda: running(ecs, "api") == "api:1", what="the circuit breaker's rollback")
    aws.reset_calls()
    passes = len(proc.find("pass"))
    eventually(lambda: len(proc.find("pass")) >= passes + 4, what="more passes over the failed revision")
    assert "UpdateService" not in aws.calls, "a failed revision is not applied again"
    assert proc.find("pass", result="held", revision=broken)
    assert running(ecs, "api") == "api:1"
    assert len(webhook.alerts("rollout_failed")) == 1, "alerted once"
    report = status_of(port)
    assert report["held"]["revision"] == broken and report["held"]["service"] == "Service prod/api"
    assert report["resources"]["Service prod/api"]["state"] == "held"
    assert report["resources"]["Service prod/api"]["rollout"]["state"] == "failed"
    assert report["revision"]["applied"] == broken
    _, metrics = get(f"http://127.0.0.1:{port}/metrics")
    assert 'ecs_reconciler_rollouts_total{outcome="failed",target="default"} 1.0' in metrics
    assert 'ecs_reconciler_revision_held{target="default"} 1.0' in metrics

    # A new git revision is applied at once.
    fixed = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.1", breaker_rollback=True)})
    eventually(lambda: len(webhook.alerts("rollout_completed")) == 2, what="the fixed revision rolled out")
    assert running(ecs, "api") == "api:3"
    assert webhook.alerts("rollout_completed")[-1]["revision"] == fixed
    assert status_of(port)["held"] is None
    assert proc.stop() == 0


def test_a_failure_landing_between_reading_the_service_and_its_deployment_is_alerted_with_its_events(
    aws, daemon, gitsync, webhook, broken_images_fail, held_clock
):
    gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0", breaker_rollback=True)})
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--alert-webhook", webhook.url)
    eventually(lambda: webhook.alerts("rollout_completed"), what="the good revision rolled out")
    held_clock.hold()
    broken = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "broken", breaker_rollback=True)})
    proc.wait_for_event("applied", resource="Service prod/api", revision=broken)

    def fail_now(operation: str) -> None:  # the service was described just before, while the rollout ran
        if operation == "DescribeServiceDeployments" and held_clock.since is not None:
            held_clock.release()
            CLOCK.advance(1)

    aws.hooks.append(fail_now)
    failed = eventually(lambda: webhook.alerts("rollout_failed"), what="the rollout_failed alert")[0]
    assert failed["revision"] == broken and failed["task_definition"] == "api:2"
    assert any("deployment failed" in e for e in failed["events"]), failed["events"]
    assert proc.stop() == 0


@pytest.mark.parametrize("rollout_seconds", ["0.2", "0"], ids=["rollout-0.2s", "rollout-instant"])
def test_rollback_on_failure_returns_every_service_of_the_revision_in_one_alert(
    aws, ecs, daemon, gitsync, webhook, broken_images_fail, monkeypatch, rollout_seconds
):
    monkeypatch.setenv(ROLLOUT_SECONDS_ENV, rollout_seconds)  # "0": api has failed before web's deployment is read
    gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0"), "web.yaml": image_app("web", "1.0")})
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--rollback-on-failure", "--alert-webhook", webhook.url)
    eventually(lambda: len(webhook.alerts("rollout_completed")) == 2, what="both services rolled out")
    assert (running(ecs, "api"), running(ecs, "web")) == ("api:1", "web:1")

    bad = gitsync.publish(
        {"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "broken"), "web.yaml": image_app("web", "2.0")}
    )
    rollback = eventually(lambda: webhook.alerts("rollback"), what="the rollback alert")[0]
    assert rollback["revision"] == bad
    assert rollback["resource"] == "Service prod/api", "names the failing service"
    assert sorted(rollback["errors"]) == ["Service prod/api: api:2 -> api:1", "Service prod/web: web:2 -> web:1"]
    eventually(lambda: (running(ecs, "api"), running(ecs, "web")) == ("api:1", "web:1"), what="both rolled back")
    passes = len(proc.find("pass", result="held"))
    eventually(lambda: len(proc.find("pass", result="held")) >= passes + 3, what="passes over the held revision")
    assert (running(ecs, "api"), running(ecs, "web")) == ("api:1", "web:1"), "the held revision stays rolled back"
    assert len(webhook.alerts("rollback")) == 1
    assert len(webhook.alerts("rollout_failed")) == 1
    assert proc.stop() == 0


def test_suspended_drift_is_alerted_and_left_and_an_ignored_field_is_neither(aws, ecs, daemon, gitsync, webhook):
    gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0"), "web.yaml": image_app("web", "1.0")})
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", webhook.url)
    port = proc.wait_for_event("serving metrics")["port"]
    eventually(lambda: len(webhook.alerts("rollout_completed")) == 2, what="both services created")
    # During an incident someone suspends api and leaves web's desiredCount to an autoscaler.
    suspended = {"ecs-reconciler/suspend": "incident 42: scaled by hand"}
    ignored = {"ecs-reconciler/ignore": "desiredCount"}
    steered = gitsync.publish(
        {
            "cluster.yaml": CLUSTER,
            "api.yaml": image_app("api", "1.0", annotations=suspended),
            "web.yaml": image_app("web", "1.0", annotations=ignored),
        }
    )
    proc.wait_for_event("pass", result="in_sync", revision=steered)

    ecs.update_service(cluster="prod", service="api", desiredCount=3)
    ecs.update_service(cluster="prod", service="web", desiredCount=4)
    drift = eventually(lambda: webhook.alerts("drift"), what="the suspended service's drift alert")[0]
    assert drift["resource"] == "Service prod/api"
    assert drift["healed"] is False
    assert "suspended: incident 42" in drift["summary"]
    assert {"path": "desiredCount", "desired": 1, "live": 3} in drift["fields"]
    passes = len(proc.find("pass"))
    eventually(lambda: len(proc.find("pass")) >= passes + 4, what="more passes")
    assert live(ecs, "api")["desiredCount"] == 3, "a suspended service is not healed"
    assert live(ecs, "web")["desiredCount"] == 4, "an ignored field is not healed"
    assert [a["resource"] for a in webhook.alerts("drift")] == ["Service prod/api"], "alerted once, web not at all"

    resources = status_of(port)["resources"]
    assert resources["Service prod/api"]["state"] == "suspended"
    assert resources["Service prod/api"]["suspended"] == "incident 42: scaled by hand"
    assert resources["Service prod/api"]["drift"] is True
    assert resources["Service prod/web"]["state"] == "in_sync"
    _, metrics = get(f"http://127.0.0.1:{port}/metrics")
    assert 'ecs_reconciler_suspended_resources{target="default"} 1.0' in metrics
    assert 'ecs_reconciler_drifted_resources{target="default"} 1.0' in metrics
    assert proc.stop() == 0


def test_post_reconcile_and_sighup_start_a_pass_at_once(aws, ecs, daemon, gitsync, tmp_path):
    gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0")})
    (tmp_path / "token").write_text("t0ken\n")
    proc = daemon(
        gitsync.link, "--resync-interval", "3600", "--metrics-port", "0", "--http-token-file", tmp_path / "token"
    )
    port = proc.wait_for_event("serving metrics")["port"]
    proc.wait_for_event("alert", kind="rollout_completed")
    time.sleep(0.5)  # nothing in flight: the daemon now waits for an hour

    assert post(f"http://127.0.0.1:{port}/reconcile", token="t0ken") == 202
    proc.wait_for_event("pass requested", source="POST /reconcile")
    eventually(lambda: len(proc.find("pass")) >= 2, what="the requested pass (the next timed one is an hour away)")

    proc.process.send_signal(signal.SIGHUP)
    proc.wait_for_event("pass requested", source="SIGHUP")
    eventually(lambda: len(proc.find("pass")) >= 3, what="the pass SIGHUP asked for")
    assert proc.stop() == 0


class QuietDaemon(DaemonProcess):
    """``run`` without --log-level: what an operator sees by default."""

    def __init__(self, *args: Any, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "run", *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={k: v for k, v in env.items() if k != "ECS_RECONCILER_LOG_LEVEL"},
        )
        self.events = []
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()


def test_run_names_each_applied_revision_by_default(aws, ecs, gitsync):
    first = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0")})
    proc = QuietDaemon(gitsync.link, "--resync-interval", "0.5", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        proc.wait_for_event("revision applied", revision=first)
        second = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.1")})
        applied = proc.wait_for_event("revision applied", revision=second)
        assert applied["changes"] == 2
        assert proc.find("applied", resource="Service prod/api", revision=second)
        assert proc.find("pass", result="applied", revision=second)
        assert tags_of(ecs, live(ecs, "api")["serviceArn"])[REVISION_TAG_KEY] == second
        assert proc.stop() == 0
    finally:
        proc.kill()


def test_status_and_rollback_from_the_command_line(aws, ecs, daemon, gitsync, cli):
    first = gitsync.publish(
        {"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0"), "web.yaml": image_app("web", "1.0")}
    )
    proc = daemon(gitsync.link, "--resync-interval", "0.5")
    eventually(lambda: len(proc.find("alert", kind="rollout_completed")) == 2, what="both services rolled out")
    second = gitsync.publish(
        {"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.1"), "web.yaml": image_app("web", "1.0")}
    )
    proc.wait_for_event("alert", kind="rollout_completed", revision=second)
    assert proc.stop() == 0
    ecs.update_service(cluster="prod", service="web", desiredCount=2)

    shown = cli("status", gitsync.link)
    assert shown.code == 2, "web drifted"
    rows = {line.split()[1]: line.split() for line in shown.out.splitlines()[1:]}
    assert rows["prod/api"][2:] == ["in", "sync", "this", "instance", "no", "1/1", "completed", "api:2", second]
    assert rows["prod/web"][2:6] == ["drifted", "this", "instance", "yes"]
    assert rows["prod/web"][-2:] == ["web:1", first]
    assert shown.out.splitlines()[0].split() == [
        "RESOURCE",
        "STATE",
        "OWNER",
        "DRIFT",
        "RUNNING/DESIRED",
        "DEPLOYMENT",
        "TASK",
        "DEFINITION",
        "REVISION",
    ]

    dry = cli("rollback", gitsync.link, "--dry-run")
    assert dry.code == 0
    assert '~ taskDefinition: "api:2" -> "api:1"' in dry.out
    assert f'~ tags.{REVISION_TAG_KEY}: "{second}" -> "{first}"' in dry.out
    assert "Service prod/web: runs web:1; no earlier revision to return to" in dry.out
    assert running(ecs, "api") == "api:2"
    done = cli("rollback", gitsync.link)
    assert done.code == 0, done.err
    assert "rolled back: Service prod/api" in done.out
    assert running(ecs, "api") == "api:1"
    assert tags_of(ecs, live(ecs, "api")["serviceArn"])[REVISION_TAG_KEY] == first


def test_a_rollout_stuck_past_the_timeout_fails_once(aws, cli, manifests, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    root = manifests({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0")})
    assert cli("apply", root, "--no-wait").code == 0
    now = [1000.0]
    sink, metrics = Recorded(), Metrics().for_target("default")
    deployments = Deployments(Aws(AwsSettings()), Alerter([sink]), metrics, timeout=60, poll=5, clock=lambda: now[0])
    address = Address("Service", "api", "prod")
    deployments.follow("fingerprint", "abc123", [address], {address: None})
    deployments.check()
    now[0] += 30
    deployments.check()
    assert sink.alerts == [], "still within the timeout"
    assert deployments.states[address]["state"] == "waiting"
    now[0] += 31
    deployments.check()
    deployments.check(due_only=False)
    [alert] = sink.alerts
    assert alert.kind == "rollout_failed" and alert.level == "error"
    assert alert.summary.startswith("rollout timed out: Service prod/api (api:1): ROLLING IN_PROGRESS: 0/1 running")
    assert deployments.is_held("fingerprint") and not deployments.in_flight


LOADED_AT_EXIT = """
import atexit, json, sys

atexit.register(lambda: print(json.dumps({"event": "loaded at exit", "modules": sorted(sys.modules)}), file=sys.stderr))
"""
"""Injected into a daemon: the modules it imported, logged as it exits."""
ONLY_WHEN_ASKED = {"jinja2", "reconciler.daemon.chat", "reconciler.daemon.webhook"}
"""The console's templates (until a page is asked for) and the chat and webhook sinks (unless configured)."""


def loaded_at_exit(proc: DaemonProcess) -> set[str]:
    assert proc.stop() == 0
    return set(proc.wait_for_event("loaded at exit")["modules"])


def test_a_default_daemon_imports_no_http_server_console_sink_or_emulator(aws, ecs, daemon, gitsync):
    revision = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0")})
    proc = daemon(gitsync.link, "--resync-interval", "3600", inject=LOADED_AT_EXIT)
    proc.wait_for_event("pass", result="applied", revision=revision)

    loaded = loaded_at_exit(proc)
    assert "reconciler.daemon.loop" in loaded
    without_a_port = {"reconciler.console", "reconciler.daemon.http", "waitress"}
    assert loaded & (ONLY_WHEN_ASKED | without_a_port | {"reconciler.emulator"}) == set()


def test_a_daemon_serving_metrics_and_status_imports_the_console_templates_only_for_a_page(aws, ecs, daemon, gitsync):
    revision = gitsync.publish({"cluster.yaml": CLUSTER, "api.yaml": image_app("api", "1.0")})
    proc = daemon(gitsync.link, "--resync-interval", "3600", "--metrics-port", "0", inject=LOADED_AT_EXIT)
    port = proc.wait_for_event("serving metrics")["port"]
    proc.wait_for_event("pass", result="applied", revision=revision)
    for path in ("/metrics", "/healthz", "/readyz", "/status"):
        assert get(f"http://127.0.0.1:{port}{path}")[0] == 200, path

    loaded = loaded_at_exit(proc)
    assert {"reconciler.daemon.http", "waitress", "reconciler.console.views"} <= loaded
    assert loaded & ONLY_WHEN_ASKED == set()
