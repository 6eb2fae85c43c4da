"""Rollout waiting after apply, against the emulator's deployment model (reconciler.emulator.ROLLOUT_ENV):
a rollout that completes, one the circuit breaker fails, and one that never finishes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from builders import APP, CLUSTER, SERVICE, TASK, documents, service

from reconciler.core.model import Address
from reconciler.emulator import ROLLOUT_ENV
from reconciler.rollout import Display, Progress, assess

SECOND_SERVICE = service("worker", taskDefinition="api")


@pytest.fixture
def two_services(manifests):
    return manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, SERVICE, SECOND_SERVICE)})


def test_apply_waits_until_every_changed_service_has_rolled_out(aws, cli, ecs, two_services):
    # AWS: the tasks start and pass their health checks, so each PRIMARY deployment reaches COMPLETED.
    result = cli("--log-level", "info", "apply", two_services)
    assert result.code == 0, result.err
    assert "Waiting for 2 service rollout(s)" in result.err
    assert "Rolled out: Service prod/api, Service prod/worker." in result.out
    for name in ("api", "worker"):
        svc = ecs.describe_services(cluster="prod", services=[name])["services"][0]
        primary = next(d for d in svc["deployments"] if d["status"] == "PRIMARY")
        assert (primary["rolloutState"], primary["runningCount"]) == ("COMPLETED", 2)
    # Not a terminal: progress comes as structured log lines, one per state change.
    lines = [json.loads(line) for line in result.err.splitlines() if line.startswith("{")]
    done = {e["service"] for e in lines if e["event"] == "rollout" and e["state"] == "completed"}
    assert done == {"Service prod/api", "Service prod/worker"}


def test_a_circuit_breaker_failure_fails_the_apply_and_shows_the_events(aws, cli, manifests, monkeypatch):
    # AWS: the new tasks stop before they are healthy and the deployment circuit breaker marks the rollout FAILED.
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    result = cli("apply", root)
    assert result.code == 1
    assert "Rollout failed: Service prod/api: ROLLING STOPPED: 0/2 running" in result.err
    assert "circuit breaker: tasks failed to start" in result.err
    assert "Recent events:" in result.err
    assert "deployment failed: tasks failed to start." in result.err
    assert "Plan after apply" not in result.out


def test_a_rollout_that_never_finishes_times_out(aws, cli, manifests, monkeypatch):
    # AWS: the tasks never become healthy and no circuit breaker is configured, so the deployment stays IN_PROGRESS.
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    result = cli("apply", root, "--wait-timeout", "0.5")
    assert result.code == 1
    assert "Rollout timed out: Service prod/api: ROLLING IN_PROGRESS: 0/2 running, 2 pending after 0.5s" in result.err
    assert "has started 2 tasks." in result.err


def test_no_wait_returns_without_following_the_rollout(aws, cli, manifests, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    result = cli("apply", root, "--no-wait")
    assert result.code == 0, result.err
    assert "Waiting for" not in result.err


def test_assess_reads_the_primary_deployment():
    addr = Address("Service", "api", "prod")
    body: dict[str, Any] = {
        "status": "ACTIVE",
        "deployments": [
            {"status": "PRIMARY", "rolloutState": "COMPLETED", "runningCount": 1, "desiredCount": 2},
            {"status": "ACTIVE", "rolloutState": "COMPLETED", "runningCount": 2, "desiredCount": 2},
        ],
    }
    assert assess(addr, body).state == "waiting"  # COMPLETED but not all tasks running yet
    body["deployments"][0]["runningCount"] = 2
    assert assess(addr, body).state == "completed"
    assert assess(addr, {"status": "INACTIVE"}).state == "failed"


def test_terminal_display_redraws_one_line_per_service():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    a, b = Address("Service", "a", "c"), Address("Service", "b", "c")
    display = Display([a, b], stream=stream)
    display(Progress(a, "waiting", "IN_PROGRESS: 0/2 running, 2 pending"))
    display(Progress(a, "completed", "COMPLETED: 2/2 running, 0 pending"))
    text = stream.getvalue()
    assert text.count("\x1b[2F") == 1  # the second draw moved back over the two lines of the first
    assert text.rstrip().endswith("Service c/b: waiting")
    assert "Service c/a: completed: COMPLETED: 2/2 running" in text
