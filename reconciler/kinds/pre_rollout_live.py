"""Pre-rollout task hooks, the AWS half: before a service moves to a new revision, RunTask the hook's task, wait
until it stops, and let the update go ahead only when it exited 0.

The executor runs the hook as its own action (``RunTask``) before the service's update, which waits for it: a hook
that fails skips the update. Once per revision: the task is started with ``startedBy`` naming the service and the
revision it moves to (and tagged with it), and with a ``clientToken`` derived from the action (the service, the task
definition, the git revision), so a retried RunTask whose answer was lost starts nothing twice; a pass first looks for
such a task: one that exited 0 is not run again, one still running is
waited for, and one that failed fails the pass again without a second run (push a new revision, or stop relying on
the old task by deleting it from the cluster's history). The exit code and the task's awslogs stream are in the
error of a failed hook (so in the apply's output and the daemon's alert) and in the log line of a passed one."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

import structlog

from reconciler.aws import Aws
from reconciler.core.actions import RunTask
from reconciler.core.errors import HookFailed
from reconciler.core.model import Address
from reconciler.core.names import family_of, name_of, revision_of
from reconciler.kinds.live_base import ApplyContext
from reconciler.kinds.pre_rollout import TAG_KEY, started_by
from reconciler.kinds.task_definition import KIND as TASK_DEFINITION

log = structlog.get_logger("reconciler.pre_rollout")


def _task_definition(hook: RunTask, service_revision: str, ctx: ApplyContext) -> str:
    """The service's own family runs the revision the service moves to; another family runs the revision this apply
    registered for it, else its latest ACTIVE one."""
    if hook.family == family_of(service_revision):
        return service_revision
    return ctx.outputs.get(Address(TASK_DEFINITION.name, hook.family), hook.family)


def client_token(hook: RunTask, task_definition: str, ctx: ApplyContext) -> str:
    """RunTask's idempotency token: the same for every try of this action (the service, the task definition it runs
    and the git revision applied), so a retry after a lost answer starts no second task (64 characters at most)."""
    key = f"{hook.address}|{task_definition}|{ctx.revision or ''}"
    return hashlib.sha256(key.encode()).hexdigest()


def _find(aws: Aws, cluster: str, key: str) -> dict[str, Any] | None:
    """The newest hook task started with ``key`` (running or stopped), or None."""
    arns: list[str] = []
    for status in ("RUNNING", "STOPPED"):
        arns += aws.pages("ecs", "ListTasks", "taskArns", key, cluster=cluster, startedBy=key, desiredStatus=status)
    if not arns:
        return None
    tasks = aws.call("ecs", "DescribeTasks", key, cluster=cluster, tasks=arns[:100]).get("tasks", [])
    return max(tasks, key=lambda t: str(t.get("createdAt", "")), default=None)


def _wait(aws: Aws, cluster: str, task: dict[str, Any], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while task.get("lastStatus") != "STOPPED":
        if time.monotonic() > deadline:
            raise HookFailed(f"pre-rollout task {task['taskArn']} still {task.get('lastStatus')} after {timeout:g}s")
        time.sleep(min(5.0, max(timeout / 50, 0.05)))
        found = aws.call("ecs", "DescribeTasks", task["taskArn"], cluster=cluster, tasks=[task["taskArn"]])
        task = (found.get("tasks") or [task])[0]
    return task


def _log_stream(aws: Aws, task: Mapping[str, Any], container: str) -> str | None:
    """``group stream`` of the container's awslogs output, when it logs with awslogs."""
    arn = str(task.get("taskDefinitionArn", ""))
    definition = aws.call("ecs", "DescribeTaskDefinition", arn, taskDefinition=arn)["taskDefinition"]
    for item in definition.get("containerDefinitions") or []:
        if item.get("name") == container:
            config = item.get("logConfiguration") or {}
            options = config.get("options") or {}
            if config.get("logDriver") == "awslogs" and options.get("awslogs-group"):
                prefix = options.get("awslogs-stream-prefix")
                stream = f"{prefix}/{container}/{name_of(str(task['taskArn']))}" if prefix else "(no stream prefix)"
                return f"{options['awslogs-group']} {stream}"
    return None


def _outcome(task: Mapping[str, Any], hook: RunTask) -> tuple[str, int | None]:
    containers = task.get("containers") or []
    chosen = next((c for c in containers if c.get("name") == hook.container), containers[0] if containers else {})
    return str(chosen.get("name", "")), chosen.get("exitCode")


def _start_task(aws: Aws, hook: RunTask, revision: str, key: str, ctx: ApplyContext) -> dict[str, Any]:
    """RunTask once (``clientToken``), with the service's placement and the hook's overrides."""
    address, cluster = hook.address, str(hook.address.scope)
    run: dict[str, Any] = dict(hook.run)
    if hook.command is not None or hook.container is not None:
        override: dict[str, Any] = {"name": hook.container or _first_container(aws, hook, revision, ctx)}
        if hook.command is not None:
            override["command"] = list(hook.command)
        run["overrides"] = {"containerOverrides": [override]}
    task_definition = _task_definition(hook, revision, ctx)
    answer = aws.call(
        "ecs",
        "RunTask",
        f"{cluster}/{key}",
        cluster=cluster,
        taskDefinition=task_definition,
        count=1,
        startedBy=key,
        clientToken=client_token(hook, task_definition, ctx),
        tags=[{"key": TAG_KEY, "value": f"{address.name}/{revision}"}],
        **run,
    )
    if not answer.get("tasks"):
        reasons = "; ".join(str(f.get("reason")) for f in answer.get("failures") or [])
        raise HookFailed(f"{address}: pre-rollout task {hook.family} did not start: {reasons}")
    return dict(answer["tasks"][0])


def run_hook(aws: Aws, hook: RunTask, ctx: ApplyContext) -> None:
    """Run the pre-rollout task for the service's move to the revision it plans, once; raise HookFailed unless the
    task exits 0."""
    address = hook.address
    revision = revision_of(ctx.task_definition(hook.for_revision))
    cluster = str(address.scope)
    key = started_by(address.name, revision)
    task = _find(aws, cluster, key)
    if task is None:
        task = _start_task(aws, hook, revision, key, ctx)
    else:
        log.info("pre-rollout task found", service=str(address), revision=revision, task=task["taskArn"])
    task = _wait(aws, cluster, task, ctx.settings.wait_timeout)
    container, code = _outcome(task, hook)
    logs = _log_stream(aws, task, container)
    where = f"; logs: {logs}" if logs else ""
    if code != 0:
        why = task.get("stoppedReason") or "no exit code" if code is None else f"exited {code}"
        raise HookFailed(
            f"{address}: pre-rollout task {hook.family} ({name_of(str(task['taskArn']))}) {why}; the service stays on "
            f"its current revision, not moved to {revision}{where}"
        )
    log.info(
        "pre-rollout task exited 0",
        service=str(address),
        revision=revision,
        task=name_of(str(task["taskArn"])),
        logs=logs,
    )


def _first_container(aws: Aws, hook: RunTask, revision: str, ctx: ApplyContext) -> str:
    ref = _task_definition(hook, revision, ctx)
    definition = aws.call("ecs", "DescribeTaskDefinition", ref, taskDefinition=ref)["taskDefinition"]
    return str(definition["containerDefinitions"][0]["name"])
