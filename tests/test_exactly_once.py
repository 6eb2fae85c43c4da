"""Writes that take effect once although AWS's answers get lost: publishes applied against the emulator, by the CLI
and by the daemon as a subprocess, while one answer in ten (three in ten of RegisterTaskDefinition and RunTask) is
lost after AWS acted (tests/faults.py ``LOST``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from builders import CLUSTER, REGION, awslogs, container, documents, log_group, service, task_definition
from conftest import DaemonProcess, GitSync, eventually
from faults import LOST, Faults, HookedEmulator

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


DAEMON_PUBLISHES = 8


def settle(proc: DaemonProcess, seen: set[str]) -> None:
    """Wait for a pass in sync over manifests none of the passes in ``seen`` read (the publish just made); add it."""
    found = eventually(
        lambda: [p for p in proc.find("pass", result="in_sync") if p["fingerprint"] not in seen],
        timeout=60,
        what="a pass in sync over the new publish",
    )
    seen.add(str(found[0]["fingerprint"]))


def test_the_daemon_under_lost_answers_registers_each_revision_once_and_starts_each_hook_task_once(
    aws: HookedEmulator, ecs: Any, daemon: Callable[..., DaemonProcess], gitsync: GitSync
) -> None:
    """The daemon as a subprocess, 8 publishes while one answer in ten is lost after AWS acted (three in ten of
    RegisterTaskDefinition, which has no token and is read back, and of RunTask, which carries a clientToken)."""
    base = {"prod.yaml": CLUSTER, "logs.yaml": log_group()}
    gitsync.publish({**base, "api.yaml": app("example/api:0")})
    proc = daemon(gitsync.link, "--resync-interval", "0.3")
    seen: set[str] = set()
    settle(proc, seen)
    faults = Faults(seed=20, rate=0.1, kinds=LOST, rates={"RegisterTaskDefinition": 0.3, "RunTask": 0.3})
    faults.install(aws)
    for n in range(1, DAEMON_PUBLISHES + 1):
        gitsync.publish({**base, "api.yaml": app(f"example/api:{n}")})
        settle(proc, seen)
    aws.hooks.clear()
    aws.after_hooks.clear()
    assert proc.stop() == 0
    assert faults.lost("RegisterTaskDefinition") > 0 and faults.lost("RunTask") > 0, "answers were lost"
    assert len(revisions(ecs)) == DAEMON_PUBLISHES + 1, "one revision per change, none twice"
    assert len(hook_tasks(ecs)) == DAEMON_PUBLISHES, "one hook task per move to a new revision"
    [current] = ecs.describe_services(cluster="prod", services=["api"])["services"]
    image = ecs.describe_task_definition(taskDefinition=current["taskDefinition"])["taskDefinition"]
    assert image["containerDefinitions"][0]["image"] == f"example/api:{DAEMON_PUBLISHES}"
