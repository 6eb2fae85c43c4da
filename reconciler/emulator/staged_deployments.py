"""BLUE_GREEN, LINEAR and CANARY deployments: moving a deployment through its lifecycle stages, its hooks, its
rollback, and the blue and green deployments DescribeServices shows meanwhile.

Sources (Amazon ECS Developer Guide): "Amazon ECS blue/green service deployments workflow" (green scales up beside
blue, which serves production until the traffic shift; both run through the bake time; blue is removed at
CLEAN_UP); "Pause hooks for Amazon ECS service deployments" (a PAUSE hook holds its stage AWAITING_ACTION until
ContinueServiceDeployment or its timeout, whose action CONTINUE goes on and ROLLBACK rolls back); "Lifecycle hooks
for Amazon ECS service deployments" (a Lambda hook that fails rolls the deployment back); "Amazon ECS deployment
failure detection" (CloudWatch alarms in ALARM and the deployment circuit breaker roll back when their rollback is
on, and otherwise stop the deployment); "Stopping Amazon ECS service deployments" (a rollback goes through
ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS).

A deployment is advanced when its service is read (DescribeServices, or a deployment call naming it), from the time
each step was due, so a late read sees what AWS would show then; the work is a few steps per read.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend

from reconciler.emulator.clock import CLOCK, minutes, rollout_seconds
from reconciler.emulator.deployment_records import (
    Deployment,
    Hook,
    alarms_in_alarm,
    breaker_threshold,
    lambda_hook_fails,
    new_hook_id,
)
from reconciler.emulator.deployment_stages import hooks_at
from reconciler.emulator.rollouts import rollout_mode


def green(service: Any) -> dict[str, Any] | None:
    """The deployment of the target revision in DescribeServices (PRIMARY until a rollback)."""
    return next((d for d in service.deployments if d.get("revision_role") == "green"), None)


def blue(service: Any) -> dict[str, Any] | None:
    """The deployment of the source revision in DescribeServices (ACTIVE during the deployment)."""
    return next((d for d in service.deployments if d.get("revision_role") == "blue"), None)


def _count(service: Any) -> None:
    service.running_count = sum(int(d.get("runningCount", 0)) for d in service.deployments)
    service.pending_count = sum(int(d.get("pendingCount", 0)) for d in service.deployments)


def start_staged(service: Any, deployment: Deployment, *, previous: dict[str, Any] | None) -> None:
    """Show blue and green in DescribeServices: the new PRIMARY deployment (green, no tasks yet) beside the one the
    service ran (``previous``, now ACTIVE); the emulator's rolling model leaves the service alone from now on."""
    service.rollout_started = None
    primary = next(d for d in service.deployments if d.get("status") == "PRIMARY")
    primary.update(
        id=f"ecs-svc/{time.time_ns()}",
        revision_role="green",
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment ecs-svc/{time.time_ns()} in progress.",
        runningCount=0,
        pendingCount=service.desired_count,
        failedTasks=0,
    )
    deployments = [primary]
    if previous is not None:
        deployments.append({**copy.deepcopy(previous), "status": "ACTIVE", "revision_role": "blue"})
    service.deployments = deployments
    _count(service)


def _enter(deployment: Deployment, index: int, at: float) -> None:
    deployment.index, deployment.entered = index, at
    for hook in hooks_at(deployment.configuration, deployment.stages[index].name):
        pause = hook["targetType"] == "PAUSE"
        deployment.hooks.append(
            Hook(
                hook_id=new_hook_id(hook["targetType"]),
                target_type=hook["targetType"],
                target_arn=None if pause else hook["targetArn"],
                stage_index=index,
                timeout_action=hook["timeoutAction"],
                started=at,
                expires=at + minutes(hook["timeoutInMinutes"]),
                status="AWAITING_ACTION" if pause else "IN_PROGRESS",
            )
        )


def request_staged_rollback(deployment: Deployment, *, at: float, reason: str, revision: str | None) -> None:
    """Start rolling back to the source revision (``revision``) at ``at``; with none to go back to (the service's
    first deployment) the deployment stops instead."""
    if revision is None:
        deployment.status, deployment.stopped, deployment.reason = "STOPPED", at, reason
        return
    deployment.status, deployment.rollback_at, deployment.reason = "ROLLBACK_REQUESTED", at, reason
    deployment.rollback = {"reason": reason, "startedAt": CLOCK.utc(at), "serviceRevisionArn": revision}


def _fail(deployment: Deployment, *, at: float, reason: str, rollback: bool) -> None:
    if rollback:
        request_staged_rollback(deployment, at=at, reason=reason, revision=next(iter(deployment.sources), None))
    else:
        deployment.status, deployment.stopped, deployment.reason = "STOPPED", at, reason


def _answer_hooks(deployment: Deployment, now: float) -> float | None:
    """Answer the current stage's hooks that are due; when they have all answered, the time the last one did."""
    for hook in deployment.waiting_hooks():
        if hook.target_type == "PAUSE" and hook.expires <= now:
            hook.status, hook.resolved = "TIMED_OUT", hook.expires
            if hook.timeout_action == "ROLLBACK":
                _fail(deployment, at=hook.expires, reason=f"Lifecycle hook {hook.hook_id} timed out.", rollback=True)
        elif hook.target_type != "PAUSE" and hook.started + rollout_seconds() <= now:
            hook.resolved = hook.started + rollout_seconds()
            hook.status = "FAILED" if lambda_hook_fails(hook.target_arn) else "SUCCEEDED"
            if hook.status == "FAILED":
                _fail(deployment, at=hook.resolved, reason=f"Lifecycle hook {hook.target_arn} failed.", rollback=True)
    if deployment.waiting_hooks():
        return None
    current = [h.resolved or 0.0 for h in deployment.hooks if h.stage_index == deployment.index]
    return max(current, default=deployment.entered)


def _scale_up(backend: EC2ContainerServiceBackend, service: Any, deployment: Deployment, now: float) -> bool:
    """At the end of SCALE_UP the green tasks are running, or they fail as ``ROLLOUT_ENV`` says: True when the
    stage may end."""
    new = green(service)
    mode = rollout_mode(backend, new) if new else "complete"
    if mode == "stuck":
        return False
    breaker = deployment.configuration.get("deploymentCircuitBreaker") or {}
    if mode == "fail" and new is not None:
        deployment.failed_tasks = breaker_threshold(deployment.configuration, service.desired_count)
        new.update(runningCount=0, pendingCount=0, failedTasks=deployment.failed_tasks)
        if not breaker.get("enable"):
            return False  # tasks keep failing and nothing stops the deployment
        new.update(rolloutState="FAILED", rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.")
        deployment.breaker_status = "TRIGGERED"
        reason = "ECS deployment circuit breaker: tasks failed to start."
        _fail(deployment, at=now, reason=reason, rollback=bool(breaker.get("rollback")))
        return False
    if new is not None:
        new.update(runningCount=service.desired_count, pendingCount=0)
    _count(service)
    return True


def _check_alarms(backend: EC2ContainerServiceBackend, deployment: Deployment, now: float) -> None:
    fired = alarms_in_alarm(backend, deployment)
    if fired:
        deployment.triggered_alarms, deployment.alarms_status = fired, "TRIGGERED"
        rollback = bool((deployment.configuration.get("alarms") or {}).get("rollback"))
        _fail(deployment, at=now, reason=f"CloudWatch alarm(s) in ALARM: {', '.join(fired)}.", rollback=rollback)


def _progress(backend: EC2ContainerServiceBackend, service: Any, deployment: Deployment, now: float) -> bool:
    """One step of an IN_PROGRESS deployment; True when it moved (another step may be due)."""
    _check_alarms(backend, deployment, now)
    if deployment.status != "IN_PROGRESS":
        return True
    stage = deployment.stages[deployment.index]
    stage_done = deployment.entered + stage.seconds
    if stage.name == "SCALE_UP" and (stage_done > now or not _scale_up(backend, service, deployment, now)):
        return deployment.status != "IN_PROGRESS"
    answered = _answer_hooks(deployment, now)
    if deployment.status != "IN_PROGRESS":
        return True
    end = max(stage_done, answered) if answered is not None else None
    if end is None or end > now:
        return False
    if deployment.index + 1 < len(deployment.stages):
        _enter(deployment, deployment.index + 1, end)
        return True
    _succeed(service, deployment, end)
    return False


def _succeed(service: Any, deployment: Deployment, at: float) -> None:
    deployment.status, deployment.finished = "SUCCESSFUL", at
    deployment.breaker_status = deployment.alarms_status = "MONITORING_COMPLETE"
    new = green(service)
    if new is not None:
        new.update(rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {new['id']} completed.")
        new.pop("revision_role", None)
    service.deployments = [new] if new is not None else []
    service.completed_task_definition = deployment.target_task_definition
    _count(service)


def _revert(service: Any, deployment: Deployment) -> None:
    # The rollback moves production back to blue, which becomes PRIMARY again; green drains.
    old, new = blue(service), green(service)
    if deployment.source_task_definition:
        service.task_definition = deployment.source_task_definition
    if old is not None:
        old.update(status="PRIMARY", rolloutState="COMPLETED", runningCount=service.desired_count, pendingCount=0)
    if new is not None:
        new.update(status="ACTIVE", rolloutState="FAILED", runningCount=0, pendingCount=0)
    _count(service)


def _finish_rollback(service: Any, deployment: Deployment, at: float) -> None:
    deployment.status, deployment.finished = "ROLLBACK_SUCCESSFUL", at
    old = blue(service)
    if old is not None:
        old.pop("revision_role", None)
    service.deployments = [old] if old is not None else []
    service.completed_task_definition = deployment.source_task_definition
    _count(service)


def advance_staged(backend: EC2ContainerServiceBackend, service: Any, deployment: Deployment, now: float) -> None:
    """Bring a staged deployment up to ``now``: PENDING -> IN_PROGRESS through its stages -> SUCCESSFUL, or
    ROLLBACK_REQUESTED -> ROLLBACK_IN_PROGRESS -> ROLLBACK_SUCCESSFUL, or STOPPED."""
    _steps(backend, service, deployment, now)
    new = green(service)
    if deployment.status == "STOPPED" and new is not None and new.get("rolloutState") == "IN_PROGRESS":
        # A stopped deployment's green revision has failed (rolloutState FAILED) and keeps what it runs.
        new.update(rolloutState="FAILED", rolloutStateReason=deployment.reason or "Deployment stopped.")


def _steps(backend: EC2ContainerServiceBackend, service: Any, deployment: Deployment, now: float) -> None:
    for _ in range(4 * len(deployment.stages) + 4):  # each step moves on at least one stage, hook or state
        if deployment.status == "PENDING":
            if now <= deployment.created:
                return
            deployment.status, deployment.started = "IN_PROGRESS", deployment.created
            _enter(deployment, 0, deployment.created)
        elif deployment.status == "IN_PROGRESS":
            if not _progress(backend, service, deployment, now):
                return
        elif deployment.status == "ROLLBACK_REQUESTED" and deployment.rollback_at is not None:
            if now <= deployment.rollback_at:
                return
            deployment.status = "ROLLBACK_IN_PROGRESS"
            _revert(service, deployment)
        elif deployment.status == "ROLLBACK_IN_PROGRESS" and deployment.rollback_at is not None:
            if now >= deployment.rollback_at + rollout_seconds():
                _finish_rollback(service, deployment, deployment.rollback_at + rollout_seconds())
            return
        else:
            return
