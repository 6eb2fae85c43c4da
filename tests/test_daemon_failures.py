"""Failures stay local and are told once: the daemon as a subprocess against the emulator, one service AWS refuses
among healthy ones, one AWS answers 503 (backing off on its own), and a bug inside a pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from builders import CLUSTER, TASK, documents, service, task_definition
from conftest import DaemonProcess, GitSync, eventually
from daemon_io import Webhook, get, status_of
from faults import HookedEmulator, Targeted

MISSING_SUBNET = "subnet-0000000000000dead"
"""A subnet the account does not have: ECS refuses CreateService with InvalidParameterException."""
HEALTHY = [f"svc{i}" for i in range(9)]


def fleet(*, broken_subnet: str = MISSING_SUBNET) -> dict[str, str]:
    """Nine healthy services and one whose subnet does not exist, each running the api family."""
    files = {"cluster.yaml": CLUSTER, "task.yaml": TASK}
    for name in HEALTHY:
        files[f"{name}.yaml"] = service(name, taskDefinition="api", desiredCount=1)
    network = {"awsvpcConfiguration": {"subnets": [broken_subnet], "securityGroups": ["sg-0a1b2c3d4e5f60001"]}}
    files["broken.yaml"] = service("broken", taskDefinition="api", desiredCount=1, networkConfiguration=network)
    return files


def active(ecs: Any, names: list[str]) -> set[str]:
    found = ecs.describe_services(cluster="prod", services=names)["services"]
    return {s["serviceName"] for s in found if s["status"] == "ACTIVE"}


def test_one_refused_service_is_alerted_once_and_not_sent_again_until_its_manifest_changes(aws, ecs, daemon, gitsync):
    hook = Webhook()
    gitsync.publish(fleet())
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", hook.url)
    first = proc.wait_for_event("pass", timeout=60)
    assert first["result"] == "partial"
    assert active(ecs, [*HEALTHY, "broken"]) == set(HEALTHY), "the nine were applied in the first pass"
    [warning] = proc.find("some resources were not applied; the others were")[:1]
    assert warning["failed"] == ["Service prod/broken"]

    eventually(lambda: len(proc.find("pass")) >= 6, timeout=60, what="more passes over the same revision")
    assert aws.calls.count("CreateService") == 10, "the refused service was not sent again"
    [alert] = eventually(lambda: hook.alerts("apply_failed"), what="the apply_failed alert")
    assert alert["resource"] == "Service prod/broken"
    assert alert["code"] == "InvalidParameterException"
    assert MISSING_SUBNET in alert["errors"][0]
    assert len(hook.alerts("apply_failed")) == 1, "one alert in all, not one per pass"
    assert not hook.alerts("drift"), "a known failure is not drift"

    port = proc.wait_for_event("serving metrics")["port"]
    status = json.loads(get(f"http://127.0.0.1:{port}/status")[1])
    entry = status["resources"]["Service prod/broken"]
    assert entry["state"] == "error"
    assert entry["last_error"]["code"] == "InvalidParameterException"
    assert status["resources"]["Service prod/svc0"]["state"] == "in_sync"
    assert status["last_pass"]["result"] == "partial"
    assert status["last_pass"]["failed"] == ["Service prod/broken"]
    _, metrics = get(f"http://127.0.0.1:{port}/metrics")
    assert 'ecs_reconciler_failing_resources{target="default"} 1.0' in metrics
    assert 'ecs_reconciler_passes_total{result="partial",target="default"}' in metrics

    gitsync.publish(fleet(broken_subnet="subnet-0a1b2c3d4e5f60001"))  # the manifest is fixed: sent at once
    eventually(lambda: "broken" in active(ecs, ["broken"]), timeout=60, what="the fixed service created")
    assert aws.calls.count("CreateService") == 11
    eventually(lambda: proc.find("pass", result="in_sync"), timeout=60, what="a pass in sync")
    assert len(hook.alerts("apply_failed")) == 1
    assert proc.stop() == 0
    hook.server.shutdown()


BUG = """\
import reconciler.daemon.loop as loop

def broken(*args, **kwargs):
    raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

loop.pass_result = broken
"""
"""A bug put into every pass: the pass raises a TypeError after planning and applying."""


def test_a_bug_inside_a_pass_is_logged_with_its_traceback_alerted_once_and_the_loop_lives_on(aws, ecs, daemon, gitsync):
    hook = Webhook()
    gitsync.publish({"cluster.yaml": CLUSTER, "task.yaml": task_definition()})
    proc = daemon(
        gitsync.link, "--resync-interval", "0.2", "--metrics-port", "0", "--alert-webhook", hook.url, inject=BUG
    )
    logged = proc.wait_for_event("pass failed: unexpected error", timeout=60)
    assert "Traceback" in logged["exception"] and "TypeError" in logged["exception"]
    assert "pass_result" in logged["exception"] or "broken" in logged["exception"], "the frame that raised"
    eventually(lambda: len(proc.find("pass failed: unexpected error")) >= 3, timeout=60, what="passes tried again")
    [alert] = eventually(lambda: hook.alerts("error"), what="the error alert")
    assert "TypeError" in alert["summary"]
    assert len(hook.alerts("error")) == 1, "alerted once, not on every pass"
    port = proc.wait_for_event("serving metrics")["port"]
    _, metrics = get(f"http://127.0.0.1:{port}/metrics")
    assert 'ecs_reconciler_errors_total{class="bug",target="default",where="pass"}' in metrics
    assert proc.process.poll() is None, "the loop lives on"
    assert proc.stop() == 0
    hook.server.shutdown()


def test_a_replace_that_is_not_allowed_is_held_and_the_rest_applied(aws, ecs, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, service())})
    assert cli("apply", root).code == 0
    spot = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    moved = documents(TASK, service(launchType=None, capacityProviderStrategy=spot))
    manifests({"api.yaml": moved, "web.yaml": documents(task_definition("web"), service("web"))})
    held = cli("apply", root)
    assert held.code == 1, "exit 1 while the held replace stands"
    assert "held: replace Service prod/api" in held.err and "--allow-replace" in held.err
    assert active(ecs, ["api", "web"]) == {"api", "web"}, "web was applied"
    assert "launchType" in ecs.describe_services(cluster="prod", services=["api"])["services"][0]


SHORT_RETRIES = """\
import dataclasses
import reconciler.core.settings as settings

def defaults(cls, **values):
    cls.__init__.__defaults__ = tuple(values.get(f.name, f.default) for f in dataclasses.fields(cls))

defaults(settings.RetrySettings, attempts=2, initial_delay=0.05, max_delay=0.05)
defaults(settings.RetryResourceSettings, initial=1.0, max=8.0)
"""
"""Shorter retries, the same rules: each AWS call tried twice, a failed resource retried after 1 s, then 2, 4, 8."""
TRIES_PER_ATTEMPT = 2
FIRST_DELAY = 1.0


def test_a_resource_aws_answers_503_backs_off_on_its_own_while_the_others_apply_in_the_first_pass(
    aws: HookedEmulator, ecs: Any, daemon: Callable[..., DaemonProcess], gitsync: GitSync
) -> None:
    """CreateService of one service is answered 503 (ServiceUnavailableException) every time: its attempts come
    further and further apart (1, 2, 4 s at least, read from the emulator's record of its calls) although passes run
    every 0.2 s; the three healthy services are created by the first pass; /status names the error, the attempts and
    when the next one is due. When AWS answers again the next attempt creates it."""
    flaky = Targeted("CreateService", "serviceName", "flaky").install(aws)
    files = {"cluster.yaml": CLUSTER, "task.yaml": TASK, "flaky.yaml": service("flaky", taskDefinition="api")}
    files |= {f"{name}.yaml": service(name, taskDefinition="api") for name in HEALTHY[:3]}
    gitsync.publish(files)
    proc = daemon(gitsync.link, "--resync-interval", "0.2", "--metrics-port", "0", inject=SHORT_RETRIES)
    first = proc.wait_for_event("pass", timeout=60)
    assert first["result"] == "partial"
    assert active(ecs, [*HEALTHY[:3], "flaky"]) == set(HEALTHY[:3]), "the healthy ones applied in the first pass"

    eventually(lambda: len(flaky.tries) >= 4 * TRIES_PER_ATTEMPT, timeout=60, what="four attempts of the flaky one")
    port = proc.wait_for_event("serving metrics")["port"]
    entry = status_of(port)["resources"]["Service prod/flaky"]
    starts = flaky.tries[::TRIES_PER_ATTEMPT]
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    for n, gap in enumerate(gaps[:3]):
        assert gap >= FIRST_DELAY * 2**n, f"attempt {n + 2} waited its backoff: {gaps}"
    assert len(proc.find("pass")) > 3 * len(starts), "passes went on without sending it"
    error = entry["last_error"]
    assert entry["state"] == "error"
    assert (error["class"], error["code"]) == ("retryable", "ServiceUnavailableException")
    assert error["attempts"] >= 3
    assert len(starts) - error["attempts"] in (0, 1), "the attempts /status counts (one may be on its way)"
    assert 0 <= error["retry_in"] <= min(8.0, FIRST_DELAY * 2 ** (error["attempts"] - 1))
    assert aws.calls.count("CreateService") - len(flaky.tries) == 3, "each healthy one created once"

    aws.request_hooks.clear()  # AWS answers again: the next attempt, when due, creates it
    eventually(lambda: active(ecs, ["flaky"]), timeout=60, what="the flaky service created")
    eventually(lambda: proc.find("pass", result="in_sync"), timeout=60, what="a pass in sync")
    healed = status_of(port)["resources"]["Service prod/flaky"]
    assert (healed["state"], healed["last_change"]["action"]) == ("in_sync", "create")
    assert proc.stop() == 0
