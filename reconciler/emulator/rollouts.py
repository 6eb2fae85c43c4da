"""The emulator's model of service deployments: a rollout that completes, fails or hangs, as chosen."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend

from reconciler.emulator.clock import CLOCK, rollout_seconds
from reconciler.emulator.ecs_deployments import sync_deployment

ROLLOUT_ENV = "ECS_RECONCILER_EMULATOR_ROLLOUT"
"""How emulated deployments end (read when a service is described, so a test can set it with monkeypatch.setenv):

* ``complete`` (the default): the tasks start and pass their health checks, as on AWS when the image runs; the
  PRIMARY deployment reaches rolloutState COMPLETED with runningCount == desiredCount
  ``clock.ROLLOUT_SECONDS_ENV`` seconds after CreateService/UpdateService, and the service logs "has reached a
  steady state".
* ``fail``: the tasks stop before becoming healthy (a bad image, a crashing container); the deployment circuit
  breaker marks the PRIMARY deployment FAILED and the service logs why. When the service's circuit breaker has
  ``rollback`` on, ECS then rolls the service back to the task definition of its last completed deployment (a new
  deployment, which completes).
* ``stuck``: the tasks never become healthy and no circuit breaker fires (AWS's default deployment settings): the
  deployment stays IN_PROGRESS with fewer tasks running than desired, for ever.
"""
ROLLOUT_IMAGES_ENV = "ECS_RECONCILER_EMULATOR_ROLLOUT_IMAGES"
"""When set, only deployments whose task definition runs an image containing this text end as ``ROLLOUT_ENV``
says; every other deployment completes (a revision where one service's image is broken and the rest are fine)."""


def _event(service: Any, message: str) -> None:
    service.events.insert(0, {"id": f"{time.time_ns():x}", "createdAt": utcnow(), "message": message})


def start_rollout(service: Any, *, previous_running: int) -> None:
    """Start the rolling deployment that CreateService or UpdateService begins."""
    # ECS developer guide, "Deployment types": CreateService and UpdateService start a rolling deployment; until
    # the new tasks are running and healthy the PRIMARY deployment is IN_PROGRESS with fewer running than desired.
    # moto fixed the state at creation from MOTO_ECS_SERVICE_RUNNING and never moved it.
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return
    service.rollout_started = CLOCK.now()
    running = min(previous_running, service.desired_count)
    service.running_count = running
    service.pending_count = service.desired_count - running
    primary.update(
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment {primary['id']} in progress.",
        runningCount=running,
        pendingCount=service.desired_count - running,
        failedTasks=0,
        updatedAt=utcnow(),
    )
    _event(service, f"(service {service.name}) has started {service.desired_count - running} tasks.")


def _images_of(backend: EC2ContainerServiceBackend, arn: str) -> list[str]:
    try:
        definition = backend.describe_task_definition(arn)
    except Exception:  # noqa: BLE001 (a deregistered or unknown revision runs no image we can match)
        return []
    return [str(c.get("image", "")) for c in getattr(definition, "container_definitions", None) or []]


def rollout_mode(backend: EC2ContainerServiceBackend, primary: dict[str, Any]) -> str:
    """How the deployment of ``primary`` (a DescribeServices deployment) ends: complete, fail or stuck."""
    mode = os.environ.get(ROLLOUT_ENV, "complete")
    pattern = os.environ.get(ROLLOUT_IMAGES_ENV)
    if pattern and not any(pattern in image for image in _images_of(backend, str(primary.get("taskDefinition")))):
        return "complete"
    return mode


def _advance_rollout(backend: EC2ContainerServiceBackend, service: Any) -> None:
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    started = getattr(service, "rollout_started", None)
    if primary is None or started is None or primary.get("rolloutState") != "IN_PROGRESS":
        return
    mode = rollout_mode(backend, primary)
    if mode == "stuck" or CLOCK.now() - started < rollout_seconds():
        return
    if mode == "fail":
        failed = max(service.desired_count, 1)
        primary.update(
            rolloutState="FAILED",
            rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
            failedTasks=failed,
            runningCount=0,
            pendingCount=0,
            updatedAt=utcnow(),
        )
        service.running_count, service.pending_count = 0, 0
        _event(
            service,
            f"(service {service.name}) (deployment {primary['id']}) deployment failed: tasks failed to start.",
        )
        _circuit_breaker_rollback(backend, service)
        return
    primary.update(
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        runningCount=service.desired_count,
        pendingCount=0,
        updatedAt=utcnow(),
    )
    service.running_count, service.pending_count = service.desired_count, 0
    service.completed_task_definition = primary.get("taskDefinition")
    _event(service, f"(service {service.name}) has reached a steady state.")


def _circuit_breaker_rollback(backend: EC2ContainerServiceBackend, service: Any) -> None:
    # ECS developer guide, "deployment circuit breaker": with rollback on, a failed deployment is rolled back to the
    # last deployment that completed, as a new deployment.
    configuration = getattr(service, "deployment_configuration", None) or {}
    breaker = configuration.get("deploymentCircuitBreaker") or {}
    previous = getattr(service, "completed_task_definition", None)
    if not breaker.get("rollback") or not previous or previous == service.task_definition:
        return
    restart_rollout(backend, service, previous)


def restart_rollout(backend: EC2ContainerServiceBackend, service: Any, task_definition: str) -> None:
    """Roll ``service`` back to ``task_definition`` as a new rolling deployment (ECS rolls back by deploying the
    earlier revision again)."""
    service.task_definition = task_definition
    sync_deployment(backend, service)
    for deployment in service.deployments:
        if deployment.get("status") == "PRIMARY":
            deployment["id"] = f"ecs-svc/{time.time_ns()}"
    start_rollout(service, previous_running=0)
    _event(service, f"(service {service.name}) rolling back to {task_definition.rsplit('/', 1)[-1]}.")


def describe_services(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    """DescribeServices, each service's rollout moved on to where its time and ``ROLLOUT_ENV`` put it."""
    services, failures = original(self, *args, **kwargs)
    for service in services:
        _advance_rollout(self, service)
    return services, failures
