"""Service deployments: each CreateService, and each UpdateService that changes what the service runs (or forces a
new deployment), starts one, of a new service revision, that progresses as its strategy says.

ECS Developer Guide, "View service history using Amazon ECS service deployments" and "Amazon ECS service
revisions": a deployment moves the service from its source revisions to a target revision; a newer deployment
supersedes one in progress (which stops). ROLLING deployments follow the emulator's rolling model (rollouts.py) of
DescribeServices' PRIMARY deployment: IN_PROGRESS while it rolls out, SUCCESSFUL when it completes, STOPPED when the
circuit breaker fails it without rollback, ROLLBACK_IN_PROGRESS / ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED when the
service is rolled back. BLUE_GREEN, LINEAR and CANARY deployments go through lifecycle stages (staged_deployments.py).
Service.currentServiceDeployment and currentServiceRevisions follow the latest deployment.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend

from reconciler.emulator.clock import CLOCK, minutes, rollout_seconds
from reconciler.emulator.deployment_records import (
    STOPPABLE,
    STOPPING,
    TERMINAL,
    Deployment,
    alarms_in_alarm,
    all_deployments,
    breaker_threshold,
    new_arn,
)
from reconciler.emulator.deployment_stages import ROLLING, plan_stages, strategy_of
from reconciler.emulator.rollouts import restart_rollout
from reconciler.emulator.service_revisions import content_of, make_revision
from reconciler.emulator.staged_deployments import advance_staged, request_staged_rollback, start_staged

_LOCK = threading.RLock()
Result = TypeVar("Result")


def _serialised(function: Callable[..., Result]) -> Callable[..., Result]:
    """One request at a time moves deployments (moto's server is threaded; two reads must not both enter a stage)."""

    @functools.wraps(function)
    def locked(*args: Any, **kwargs: Any) -> Result:
        with _LOCK:
            return function(*args, **kwargs)

    return locked


def latest(backend: EC2ContainerServiceBackend, service_arn: str) -> Deployment | None:
    """The service's newest deployment."""
    found = all_deployments(backend).get(service_arn)
    return found[-1] if found else None


def changes_revision(service: Any, before: dict[str, Any]) -> bool:
    """UpdateService changed what the service runs (``before``: ``content_of`` the service before the update)."""
    return content_of(service) != before


@_serialised
def start_deployment(backend: EC2ContainerServiceBackend, service: Any, *, previous: dict[str, Any] | None) -> None:
    """Record the deployment CreateService/UpdateService just started (``previous``: the PRIMARY deployment the
    service had before, None for a new service)."""
    now = CLOCK.now()
    configuration = dict(getattr(service, "deployment_configuration", None) or {})
    strategy = strategy_of(configuration)
    older = latest(backend, service.arn)
    in_flight = older is not None and older.status not in TERMINAL
    if older is not None and in_flight:
        older.status, older.stopped, older.updated = "STOPPED", now, now
        older.reason = "A newer service deployment started."
    revision = make_revision(backend, service)
    sources = list(getattr(service, "revisions_running", None) or [])
    deployment = Deployment(
        arn=new_arn(backend, service),
        service_arn=service.arn,
        cluster_arn=service.cluster_arn,
        service_key=f"{service.cluster_name}:{service.name}",
        strategy=strategy,
        configuration=configuration,
        target=revision["serviceRevisionArn"],
        target_task_definition=str(service.task_definition),
        sources=sources,
        source_task_definition=previous.get("taskDefinition") if previous else None,
        created=now,
        updated=now,
        breaker_status=_monitoring(configuration.get("deploymentCircuitBreaker")),
        alarms_status=_monitoring(configuration.get("alarms")),
    )
    if strategy != ROLLING:
        deployment.stages = plan_stages(
            configuration, reconcile=in_flight, step_seconds=rollout_seconds(), minute=minutes(1)
        )
        start_staged(service, deployment, previous=previous)
    all_deployments(backend).setdefault(service.arn, []).append(deployment)
    service.revisions_running = [deployment.target, *sources]
    _mirror(service, deployment)


def _monitoring(monitor: dict[str, Any] | None) -> str:
    """ServiceDeploymentCircuitBreaker / ServiceDeploymentAlarms status at the start: DISABLED unless enabled."""
    return "MONITORING" if (monitor or {}).get("enable") else "DISABLED"


@_serialised
def advance(backend: EC2ContainerServiceBackend, service: Any) -> None:
    """Bring the service's newest deployment up to now (called whenever the service is read)."""
    deployment = latest(backend, service.arn)
    if deployment is None or deployment.status in TERMINAL:
        return
    now = CLOCK.now()
    before = (deployment.status, deployment.index, len(deployment.hooks))
    if deployment.strategy == ROLLING:
        _advance_rolling(backend, service, deployment, now)
    else:
        advance_staged(backend, service, deployment, now)
    if (deployment.status, deployment.index, len(deployment.hooks)) != before:
        deployment.updated = now
    _mirror(service, deployment)


def _primary(service: Any) -> dict[str, Any]:
    return next((d for d in service.deployments if d.get("status") == "PRIMARY"), {})


def _advance_rolling(backend: EC2ContainerServiceBackend, service: Any, deployment: Deployment, now: float) -> None:
    # ROLLING: the ServiceDeployment reads the rolling model's PRIMARY deployment (rollouts.py advanced it first).
    if deployment.status == "PENDING" and now > deployment.created:
        deployment.status, deployment.started = "IN_PROGRESS", deployment.created
    if deployment.status == "IN_PROGRESS":
        fired = alarms_in_alarm(backend, deployment)
        if fired:
            deployment.triggered_alarms, deployment.alarms_status = fired, "TRIGGERED"
            reason = f"CloudWatch alarm(s) in ALARM: {', '.join(fired)}."
            if (deployment.configuration.get("alarms") or {}).get("rollback"):
                request_rollback(backend, service, deployment, reason=reason)
            else:
                _primary(service).update(rolloutState="FAILED", rolloutStateReason=reason)
                deployment.status, deployment.stopped, deployment.reason = "STOPPED", now, reason
            return
    if deployment.status == "ROLLBACK_REQUESTED" and now <= (deployment.rollback_at or now):
        return
    state = _primary(service).get("rolloutState")
    rolled_back = deployment.rollback is not None or service.task_definition != deployment.target_task_definition
    if not rolled_back:
        if state == "COMPLETED" and deployment.status == "IN_PROGRESS":
            deployment.status, deployment.finished = "SUCCESSFUL", now
            deployment.breaker_status = "MONITORING_COMPLETE" if deployment.breaker_status != "DISABLED" else "DISABLED"
            deployment.alarms_status = "MONITORING_COMPLETE" if deployment.alarms_status != "DISABLED" else "DISABLED"
        elif state == "FAILED":
            _breaker_fired(service, deployment)
            deployment.status, deployment.stopped = "STOPPED", now
            deployment.reason = "ECS deployment circuit breaker: tasks failed to start."
        return
    if deployment.rollback is None:  # the circuit breaker rolled the service back (rollouts.py)
        _breaker_fired(service, deployment)
        reason = "ECS deployment circuit breaker: tasks failed to start."
        deployment.rollback = {"reason": reason, "startedAt": CLOCK.utc(now), "serviceRevisionArn": _source(deployment)}
        deployment.reason = reason
    outcome = {"IN_PROGRESS": "ROLLBACK_IN_PROGRESS", "COMPLETED": "ROLLBACK_SUCCESSFUL", "FAILED": "ROLLBACK_FAILED"}
    deployment.status = outcome.get(str(state), "ROLLBACK_IN_PROGRESS")
    if deployment.status in TERMINAL:
        deployment.finished = now


def _breaker_fired(service: Any, deployment: Deployment) -> None:
    deployment.breaker_status = "TRIGGERED"
    deployment.failed_tasks = breaker_threshold(deployment.configuration, service.desired_count)


def _source(deployment: Deployment) -> str | None:
    return deployment.sources[0] if deployment.sources else None


def request_rollback(backend: EC2ContainerServiceBackend, service: Any, deployment: Deployment, *, reason: str) -> None:
    """Roll the deployment back to its source revision (StopServiceDeployment ROLLBACK, a hook's ROLLBACK, an alarm).
    A ROLLING service deploys its previous task definition again; a staged one moves traffic back to blue."""
    now = CLOCK.now()
    deployment.updated = now
    if deployment.strategy != ROLLING:
        request_staged_rollback(deployment, at=now, reason=reason, revision=_source(deployment))
        return
    if not deployment.source_task_definition:
        deployment.status, deployment.stopped, deployment.reason = "STOPPED", now, reason
        return
    restart_rollout(backend, service, deployment.source_task_definition)
    deployment.status, deployment.rollback_at, deployment.reason = "ROLLBACK_REQUESTED", now, reason
    deployment.rollback = {"reason": reason, "startedAt": CLOCK.utc(now), "serviceRevisionArn": _source(deployment)}


@_serialised
def stop_deployment(backend: EC2ContainerServiceBackend, deployment: Deployment, stop_type: str) -> None:
    """StopServiceDeployment (Developer Guide, "Stopping Amazon ECS service deployments"): ROLLBACK from PENDING or
    IN_PROGRESS; a stop or rollback already under way goes on; any other state is a conflict. The API reference
    says "The valid values are ROLLBACK", so ABORT is refused."""
    if stop_type != "ROLLBACK":
        raise InvalidParameterException(f"stopType {stop_type} is not supported. The valid value is ROLLBACK.")
    service = backend.services[deployment.service_key]
    advance(backend, service)
    if deployment.status in STOPPING:
        return
    if deployment.status not in STOPPABLE:
        raise ECSException("ConflictException", f"The service deployment is {deployment.status} and cannot be stopped.")
    request_rollback(backend, service, deployment, reason="Rolled back by StopServiceDeployment.")
    _mirror(service, deployment)


@_serialised
def continue_deployment(backend: EC2ContainerServiceBackend, deployment: Deployment, hook_id: str, action: str) -> None:
    """ContinueServiceDeployment (Developer Guide, "Continuing Amazon ECS service deployments"): the PAUSE hook must
    be AWAITING_ACTION and the deployment IN_PROGRESS. CONTINUE lets the stage end (the hook SUCCEEDED); ROLLBACK
    rolls back to the source revision (the hook FAILED)."""
    service = backend.services[deployment.service_key]
    advance(backend, service)
    hook = next((h for h in deployment.waiting_hooks() if h.hook_id == hook_id and h.target_type == "PAUSE"), None)
    if deployment.status != "IN_PROGRESS" or hook is None or hook.status != "AWAITING_ACTION":
        raise InvalidParameterException(
            f"The service deployment has no lifecycle hook {hook_id} awaiting action "
            f"(deployment {deployment.status}; a pause hook must be AWAITING_ACTION in an IN_PROGRESS deployment)."
        )
    now = CLOCK.now()
    hook.resolved = now
    hook.status = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
    if action == "ROLLBACK":
        request_rollback(backend, service, deployment, reason=f"Rolled back at lifecycle hook {hook_id}.")
    deployment.updated = now
    advance(backend, service)


def _mirror(service: Any, deployment: Deployment) -> None:
    # Service.currentServiceDeployment / currentServiceRevisions (ECS API Reference, Service): the newest
    # deployment and the revisions the service runs.
    service.current_service_deployment = deployment.arn
    if deployment.status in ("SUCCESSFUL", "STOPPED"):
        running = [deployment.target]
    elif deployment.status == "ROLLBACK_SUCCESSFUL":
        running = [_source(deployment) or deployment.target]
    else:
        running = [deployment.target, *deployment.sources]
    service.revisions_running = running
    live = [*service.deployments, *([{}] * len(running))]  # in the same order: the target's first
    service.current_service_revisions = [
        {
            "arn": arn,
            "requestedTaskCount": service.desired_count,
            "runningTaskCount": int(counts.get("runningCount", 0)),
            "pendingTaskCount": int(counts.get("pendingCount", 0)),
        }
        for arn, counts in zip(running, live, strict=False)
    ]
