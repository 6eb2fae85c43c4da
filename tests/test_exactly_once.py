"""Writes that take effect once although AWS's answers get lost: publishes applied against the emulator while one
answer in ten (and more of the writes without a token) is lost after AWS acted (tests/faults.py ``LOST``)."""

from __future__ import annotations

from typing import Any

from builders import CLUSTER, REGION, awslogs, container, documents, log_group, service, task_definition
from faults import LOST, Faults

HOOK = {"ecs-reconciler/pre-rollout": '{"family": "api", "command": ["./migrate"]}'}
PUBLISHES = 12


def app(image: str) -> str:
    logged = container(image=image, logConfiguration=awslogs(**{"awslogs-region": REGION}))
    task = task_definition(executionRoleArn="ecsTaskExecutionRole", containers=[logged])
    return documents(task, service(annotations=HOOK))


def revisions(ecs: Any) -> list[str]:
    return [
        arn
        for status in ("ACTIVE", "INACTIVE")
        for arn in ecs.list_task_definitions(familyPrefix="api", status=status)["taskDefinitionArns"]
    ]


def hook_tasks(ecs: Any) -> list[str]:
    return [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster="prod", desiredStatus=status)["taskArns"]
    ]


def test_lost_answers_register_no_duplicate_revision_and_start_no_duplicate_hook_task(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "logs.yaml": log_group(), "api.yaml": app("example/api:0")})
    assert cli("apply", root, "--no-wait").code == 0
    faults = Faults(seed=20, rate=0.1, kinds=LOST, rates={"RegisterTaskDefinition": 0.3, "RunTask": 0.3})
    faults.install(aws)
    for n in range(1, PUBLISHES + 1):
        manifests({"api.yaml": app(f"example/api:{n}")})
        tries = [cli("apply", root, "--no-wait").code for _ in range(3)]
        assert 0 in tries, f"publish {n} converged"
        if tries[0] != 0:
            assert cli("plan", root).code == 0
    aws.hooks.clear()
    aws.after_hooks.clear()
    assert faults.lost("RegisterTaskDefinition") > 0 and faults.lost("RunTask") > 0, "answers were lost"
    assert len(revisions(ecs)) == PUBLISHES + 1, "one revision per change, none twice"
    assert len(hook_tasks(ecs)) == PUBLISHES, "one hook task per move to a new revision"
