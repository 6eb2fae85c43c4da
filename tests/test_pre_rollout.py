"""Pre-rollout task hooks against the emulator: the hook task runs before the service moves to a new revision, once
per revision; a failing one leaves the service on its old revision and says why, with its exit code and logs."""

from __future__ import annotations

from typing import Any

import pytest
from aws_state import described_service
from builders import (
    CLUSTER,
    REGION,
    SECRET,
    TASK,
    awslogs,
    container,
    documents,
    log_group,
    service,
    task_definition,
)

from reconciler.emulator.ecs_tasks import TASK_EXIT_ENV

HOOK = {"ecs-reconciler/pre-rollout": '{"family": "api", "command": ["./migrate"]}'}
LOGGED = container(logConfiguration=awslogs(**{"awslogs-region": REGION}))


def logged_task(image: str = "example/api:1.0") -> str:
    return task_definition(executionRoleArn="ecsTaskExecutionRole", containers=[{**LOGGED, "image": image}])


LOGS = log_group()
HOOKED = service(annotations=HOOK)


def hook_tasks(ecs: Any) -> list[dict[str, Any]]:
    arns = [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster="prod", desiredStatus=status)["taskArns"]
    ]
    return ecs.describe_tasks(cluster="prod", tasks=arns)["tasks"] if arns else []


@pytest.fixture
def hooked(aws, cli, manifests):
    """The service at api:1 with a pre-rollout hook (which a create does not run), and a change that makes api:2."""
    root = manifests({"prod.yaml": CLUSTER, "logs.yaml": LOGS, "api.yaml": documents(logged_task(), HOOKED)})
    assert cli("apply", root, "--no-wait").code == 0

    def next_revision(image: str = "example/api:1.1"):
        manifests({"api.yaml": documents(logged_task(image), HOOKED)})
        return root

    return next_revision


def test_the_hook_runs_once_before_the_service_moves_to_the_new_revision(aws, cli, ecs, hooked):
    assert hook_tasks(ecs) == []  # creating the service ran nothing
    root = hooked()
    aws.reset_calls()
    applied = cli("apply", root, "--no-wait")
    assert applied.code == 0, applied.err
    writes = aws.writes()
    assert writes.index("RunTask") < writes.index("UpdateService")
    assert described_service(ecs)["taskDefinition"].endswith("/api:2")
    [task] = hook_tasks(ecs)
    assert task["startedBy"] == "pre-rollout-api-api-2"
    assert task["overrides"]["containerOverrides"] == [{"name": "app", "command": ["./migrate"]}]

    # The service is forced back to api:1 out of band; the next pass moves it to api:2 again without a second run.
    ecs.update_service(cluster="prod", service="api", taskDefinition="api:1")
    aws.reset_calls()
    assert cli("apply", root, "--no-wait").code == 0
    assert "RunTask" not in aws.writes() and "UpdateService" in aws.writes()
    assert len(hook_tasks(ecs)) == 1


def test_a_failing_hook_leaves_the_service_on_its_old_revision(aws, cli, ecs, hooked, monkeypatch):
    monkeypatch.setenv(TASK_EXIT_ENV, "3")
    root = hooked()
    applied = cli("apply", root, "--no-wait")
    assert applied.code == 1
    assert described_service(ecs)["taskDefinition"].endswith("/api:1")
    [task] = hook_tasks(ecs)
    task_id = task["taskArn"].rsplit("/", 1)[1]
    assert f"pre-rollout task api ({task_id}) exited 3" in applied.err
    assert "stays on its current revision, not moved to api:2" in applied.err
    assert f"logs: /ecs/api api/app/{task_id}" in applied.err
    assert SECRET not in applied.out + applied.err

    # A re-run pass does not run the failed hook a second time for the same revision, and still does not move.
    monkeypatch.setenv(TASK_EXIT_ENV, "0")
    again = cli("apply", root, "--no-wait")
    assert again.code == 1
    assert len(hook_tasks(ecs)) == 1
    assert described_service(ecs)["taskDefinition"].endswith("/api:1")


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ("not json", "not JSON"),
        ('{"family": "api", "cmd": []}', "unknown field(s) cmd"),
        ('{"family": "api", "command": "./migrate"}', "command must be a list of strings"),
    ],
)
def test_a_malformed_hook_fails_validate(cli, manifests, annotation, message):
    bad = service(annotations={"ecs-reconciler/pre-rollout": annotation})
    result = cli("validate", manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, bad)}))
    assert result.code == 1
    assert "metadata.annotations.ecs-reconciler/pre-rollout" in result.err and message in result.err
