"""A daemon's deployment followed as a service's is, against the emulator: apply waits for it and fails when ECS's
circuit breaker rolls it back (the emulator's daemon deployments end as ROLLOUT_ENV says for their images), status
shows it, `history` lists its deployments (every page of ListDaemonDeployments), and the operator daemon alerts
rollout_completed and rollout_failed for it and holds the failing revision, held still (and not alerted again) after a
restart, which reads its last completed revision back from ECS's SUCCESSFUL daemon deployments."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from aws_state import daemon_arn, daemon_revision, tags_of
from builders import EXAMPLES, copy_example, edit_example
from cli_flows import status_entry
from conftest import eventually
from daemon_io import Webhook, status_of

from reconciler.core.tags import HELD_TAG_KEY
from reconciler.deployments.stages import Deployment, standing
from reconciler.emulator.rollouts import ROLLOUT_ENV, ROLLOUT_IMAGES_ENV

EXAMPLE = EXAMPLES / "daemon"
DAEMON = "Daemon agents/log-router"
GOOD, BAD = "fluent-bit:2.32.0", "fluent-bit:2.32.1"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example("daemon", tmp_path)


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployments of the BAD image fail to start their tasks; every other deployment completes."""
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, BAD)


def image_running(ecs: Any) -> str:
    return str(daemon_revision(ecs)["containerImages"][0]["image"])


def test_apply_waits_for_the_daemon_deployment(aws: Any, cli: Any, example: Path) -> None:
    applied = cli("apply", example, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Waiting for 1 daemon rollout(s)" in applied.err
    assert f"Rolled out: {DAEMON}." in applied.out
    calls = list(aws.calls)
    assert "DescribeDaemonDeployments" in calls[calls.index("CreateDaemon") :], "the deployment read after the create"

    entry = status_entry(cli, example, "Daemon")
    assert (entry["rollout"], entry["deployment"]["strategy"], entry["deployment"]["status"]) == (
        "completed",
        "DAEMON",
        "SUCCESSFUL",
    )
    assert entry["deployment"]["state"] == "completed"


def test_apply_fails_when_ecs_rolls_the_daemon_deployment_back(
    aws: Any, cli: Any, ecs: Any, example: Path, failing: None
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    edit_example(example, GOOD, BAD)
    applied = cli("apply", example, "--auto-approve")
    assert applied.code == 1, applied.out + applied.err
    assert f"Rollout failed: {DAEMON}: DAEMON ROLLBACK_" in applied.err
    assert "the circuit breaker triggered" in applied.err
    assert image_running(ecs).endswith(GOOD), "ECS rolled the daemon back to the revision it replaced"

    entry = status_entry(cli, example, "Daemon")
    assert entry["rollout"] == "failed" and entry["deployment"]["status"] == "ROLLBACK_SUCCESSFUL"
    assert entry["deployment"]["rollback"] == "The circuit breaker initiated the rollback."
    assert entry["state"] == "drifted", "the manifests still name the image ECS rolled back from"


def test_no_wait_returns_before_the_daemon_rolls_out(aws: Any, cli: Any, example: Path) -> None:
    applied = cli("apply", example, "--auto-approve", "--no-wait")
    assert applied.code == 0, applied.out + applied.err
    assert "rollout(s)" not in applied.err


def test_history_lists_every_daemon_deployment_ecs_keeps_oldest_first(
    aws: Any, cli: Any, ecs: Any, example: Path, failing: None
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0  # log-router:1
    arn, definition = daemon_arn(ecs), daemon_revision(ecs)["daemonTaskDefinitionArn"]
    for _ in range(20):  # out of band: more deployments than ListDaemonDeployments answers in one page
        ecs.update_daemon(daemonArn=arn, daemonTaskDefinitionArn=definition, capacityProviderArns=[])
    edit_example(example, GOOD, BAD)
    assert cli("apply", example, "--auto-approve").code == 1  # log-router:2, rolled back by ECS
    aws.reset_calls()
    shown = cli("history", example, "--format", "json")
    assert shown.code == 0, shown.err
    (entry,) = json.loads(shown.out)["services"]
    assert entry["service"] == DAEMON and entry["live"]
    deployments = entry["deployments"]
    assert len(deployments) == 22, "every page"
    assert [d["taskDefinition"] for d in deployments] == ["log-router:1"] * 21 + ["log-router:2"]
    assert (deployments[0]["strategy"], deployments[0]["outcome"]) == ("DAEMON", "completed")
    assert (deployments[-1]["status"], deployments[-1]["outcome"]) == ("ROLLBACK_SUCCESSFUL", "failed")
    assert deployments[-1]["rollback"] == "The circuit breaker initiated the rollback."
    assert aws.calls.count("ListDaemonDeployments") == 2, "two pages"
    assert not aws.writes()
    text = cli("history", example, "Daemon/log-router")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == DAEMON and len(lines) == 24
    assert lines[-1].split()[1:5] == ["DAEMON", "failed", "ROLLBACK_SUCCESSFUL", "log-router:2"]


def start(daemon: Any, root: Path, webhook: Webhook) -> tuple[Any, int]:
    proc = daemon(root, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", webhook.url)
    return proc, int(proc.wait_for_event("serving metrics")["port"])


def test_the_daemon_alerts_the_daemon_rollout_and_holds_a_failed_revision(
    aws: Any, ecs: Any, daemon: Any, gitsync: Any, webhook: Webhook, failing: None
) -> None:
    text = (EXAMPLE / "app.yaml").read_text()
    good = gitsync.publish({"app.yaml": text})
    proc, port = start(daemon, gitsync.link, webhook)
    [completed] = eventually(lambda: webhook.alerts("rollout_completed"), what="the daemon rolled out")
    assert (completed["resource"], completed["revision"]) == (DAEMON, good)
    assert completed["task_definition"] == "log-router:1" and completed["deployment"]
    shown = status_of(port)["resources"][DAEMON]["rollout"]
    assert (shown["state"], shown["deployment"]["strategy"]) == ("completed", "DAEMON")

    bad = gitsync.publish({"app.yaml": text.replace(GOOD, BAD)})
    [failed] = eventually(lambda: webhook.alerts("rollout_failed"), what="the rollout_failed alert")
    assert (failed["resource"], failed["revision"], failed["task_definition"]) == (DAEMON, bad, "log-router:2")
    assert failed["rollback"] == "The circuit breaker initiated the rollback."
    assert "circuit breaker" in failed["summary"]
    held = eventually(lambda: status_of(port).get("held"), what="the revision held")
    assert held["revision"] == bad
    aws.reset_calls()
    passes = len(proc.find("pass", revision=bad))
    eventually(lambda: len(proc.find("pass", revision=bad)) >= passes + 2, what="passes over the held revision")
    assert "UpdateDaemon" not in aws.writes(), "a held revision is not applied again"
    assert len(webhook.alerts("rollout_failed")) == 1
    assert proc.stop() == 0

    assert HELD_TAG_KEY in tags_of(ecs, daemon_arn(ecs)), "the hold is recorded on the daemon, in AWS"
    again, port = start(daemon, gitsync.link, webhook)
    eventually(lambda: len(again.find("pass", revision=bad)) >= 2, what="passes after the restart")
    report = status_of(port)
    assert report["held"]["revision"] == bad, "still held after a restart"
    last = report["resources"][DAEMON]["rollout"]["last_completed"]
    assert last == {"task_definition": "log-router:1", "revision": good}, "ECS's newest SUCCESSFUL daemon deployment"
    assert len(webhook.alerts("rollout_failed")) == 1, "the failure is not alerted again"
    assert again.stop() == 0


# ------------------------------------------------------------------------- a DaemonDeployment read, pure

ARN = "arn:aws:ecs:us-east-1:123456789012:daemon-deployment/agents/log-router/7"
NOW = datetime.datetime(2026, 1, 5, 10, 5, tzinfo=datetime.UTC)


def test_a_daemon_deployment_in_progress_counts_its_instances() -> None:
    doc = {
        "daemonDeploymentArn": ARN,
        "status": "IN_PROGRESS",
        "targetDaemonRevision": {"arn": "rev/2", "totalRunningInstanceCount": 2, "totalWithoutDaemonInstanceCount": 3},
        "sourceDaemonRevisions": [{"arn": "rev/1"}],
        "startedAt": "2026-01-05T10:00:00Z",
    }
    deployment = Deployment.of_daemon(doc)
    assert (deployment.strategy, deployment.target_revision, deployment.source_revisions) == (
        "DAEMON",
        "rev/2",
        ("rev/1",),
    )
    where = standing(deployment, NOW)
    assert (where.state, where.detail) == ("waiting", "DAEMON IN_PROGRESS: 2/5 running, 3 pending")


def test_a_daemon_deployment_ecs_rolled_back_is_a_failure_naming_why() -> None:
    doc = {
        "daemonDeploymentArn": ARN,
        "status": "ROLLBACK_SUCCESSFUL",
        "statusReason": "tasks failed to start",
        "circuitBreaker": {"status": "TRIGGERED", "failureCount": 3, "threshold": 3},
        "alarms": {"status": "MONITORING", "triggeredAlarmNames": ["agent-errors"]},
        "rollback": {"reason": "circuit breaker", "rollbackTargetDaemonRevisionArn": "rev/1"},
    }
    deployment = Deployment.of_daemon(doc)
    where = standing(deployment, NOW)
    assert where.state == "failed" and where.rollback == "circuit breaker" and where.alarms == ("agent-errors",)
    assert "the circuit breaker triggered" in where.detail and "agent-errors" in where.detail
    assert deployment.rollback_revision == "rev/1"
    assert standing(Deployment.of_daemon({**doc, "status": "SUCCESSFUL"}), NOW).state == "completed"
