"""`rollback` on ECS's terms, against the emulator: a deployment in progress is rolled back by ECS itself
(StopServiceDeployment ROLLBACK, no UpdateService), a completed one returns to the previous successful service
revision, skipping a revision that failed; the daemon's --rollback-on-failure has ECS roll back a deployment that
timed out."""

from __future__ import annotations

from typing import Any

from aws_state import running
from builders import cluster, image_app
from daemon_io import Recorded

from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import AwsSettings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.deployments import Deployments
from reconciler.daemon.metrics import Metrics
from reconciler.emulator import ROLLOUT_ENV
from reconciler.emulator.rollouts import ROLLOUT_IMAGES_ENV


def _tree(manifests, tag: str):
    return manifests({"cluster.yaml": cluster(), "api.yaml": image_app("api", tag)})


def _current(ecs: Any) -> dict[str, Any]:
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["currentServiceDeployment"]
    found: dict[str, Any] = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    return found


def test_a_deployment_in_progress_is_rolled_back_by_ecs(aws, cli, manifests, ecs, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    assert cli("apply", _tree(manifests, "1.0")).code == 0
    root = _tree(manifests, "broken")
    assert cli("apply", root, "--no-wait").code == 0
    assert _current(ecs)["status"] == "IN_PROGRESS"
    dry = cli("rollback", root, "--dry-run")
    assert dry.code == 0 and "in progress: ECS rolls it back" in dry.out
    assert _current(ecs)["status"] == "IN_PROGRESS", "a dry run sends nothing"
    aws.reset_calls()
    done = cli("rollback", root)
    assert done.code == 0, done.err
    assert "rolled back by ECS: Service prod/api" in done.out
    assert "StopServiceDeployment" in aws.calls and "UpdateService" not in aws.calls
    assert _current(ecs)["status"].startswith("ROLLBACK")


def test_a_completed_deployment_returns_to_the_previous_successful_revision(aws, cli, manifests, ecs, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    assert cli("apply", _tree(manifests, "1.0")).code == 0  # api:1
    assert cli("apply", _tree(manifests, "broken")).code == 1  # api:2 fails
    root = _tree(manifests, "1.1")
    assert cli("apply", root).code == 0  # api:3
    assert running(ecs) == "api:3"
    aws.reset_calls()
    done = cli("rollback", root)
    assert done.code == 0, done.err
    assert "StopServiceDeployment" not in aws.calls
    assert running(ecs) == "api:1", "the previous successful revision, not the failed api:2"


def test_rollback_on_failure_has_ecs_roll_back_a_deployment_that_timed_out(aws, cli, manifests, ecs, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    assert cli("apply", _tree(manifests, "1.0")).code == 0
    assert cli("apply", _tree(manifests, "broken"), "--no-wait").code == 0
    now = [1000.0]
    sink = Recorded()
    deployments = Deployments(
        Aws(AwsSettings()),
        Alerter([sink]),
        Metrics().for_target("default"),
        timeout=60,
        poll=5,
        rollback=True,
        run=lambda plan: [],
        clock=lambda: now[0],
    )
    address = Address("Service", "api", "prod")
    deployments.follow("fingerprint", "abc123", [address], {address: "api:1"})
    deployments.check(due_only=False)
    now[0] += 61
    aws.reset_calls()
    deployments.check(due_only=False)
    assert [a.kind for a in sink.alerts] == ["rollout_failed", "rollback"]
    assert "StopServiceDeployment" in aws.calls and "UpdateService" not in aws.calls
    assert "Service prod/api: deployment in progress rolled back by ECS" in sink.alerts[1].errors
    assert _current(ecs)["status"].startswith("ROLLBACK")
