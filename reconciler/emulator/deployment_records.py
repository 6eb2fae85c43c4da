"""The emulator's record of each service deployment, where it is kept, and what makes one fail.

Records live on moto's ECS backend (one per account and region), so resetting the emulator empties them and
``--state`` saves them with everything else. Times are ``clock.CLOCK`` seconds.
"""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.ecs.models import EC2ContainerServiceBackend

from reconciler.emulator.deployment_stages import Stage

TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
"""ServiceDeploymentStatus values a deployment never leaves."""
STOPPABLE = ("PENDING", "IN_PROGRESS")
"""Developer Guide, "Stopping Amazon ECS service deployments": these move to ROLLBACK_REQUESTED on a stop."""
STOPPING = ("STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
"""... and in these a stop lets the stop or rollback under way go on."""

HOOK_FAIL_ENV = "ECS_RECONCILER_EMULATOR_HOOK_FAIL"
"""Lambda lifecycle hooks succeed in the emulator (no function runs); a hook whose hookTargetArn contains this
text answers FAILED instead, and ECS rolls the deployment back (Developer Guide, "Lifecycle hooks for Amazon ECS
service deployments": a hook that returns FAILED rolls the deployment back)."""


@dataclass
class Hook:
    """One lifecycle hook run at one stage of a deployment (a DeploymentLifecycleHookDetail)."""

    hook_id: str
    target_type: str
    target_arn: str | None
    stage_index: int
    timeout_action: str
    started: float
    expires: float
    status: str
    resolved: float | None = None
    """When the hook was answered, timed out or failed."""


@dataclass
class Deployment:
    """One service deployment (a ServiceDeployment) and the service revisions it moves between."""

    arn: str
    service_arn: str
    cluster_arn: str
    service_key: str
    """moto's key for the service: ``cluster:name``."""
    strategy: str
    configuration: dict[str, Any]
    target: str
    target_task_definition: str
    sources: list[str]
    source_task_definition: str | None
    created: float
    updated: float
    status: str = "PENDING"
    reason: str | None = None
    started: float | None = None
    finished: float | None = None
    stopped: float | None = None
    stages: tuple[Stage, ...] = ()
    index: int = 0
    entered: float = 0.0
    """When the current stage was entered."""
    hooks: list[Hook] = field(default_factory=list)
    rollback: dict[str, Any] | None = None
    """The ServiceDeployment's rollback member (reason, startedAt, serviceRevisionArn) once one started."""
    rollback_at: float | None = None
    failed_tasks: int = 0
    breaker_status: str = "MONITORING"
    alarms_status: str = "MONITORING"
    triggered_alarms: list[str] = field(default_factory=list)

    def waiting_hooks(self) -> list[Hook]:
        """The hooks of the current stage that have not answered yet."""
        return [h for h in self.hooks if h.stage_index == self.index and h.resolved is None]


def all_deployments(backend: EC2ContainerServiceBackend) -> dict[str, list[Deployment]]:
    """Deployments by service ARN, oldest first, kept on moto's backend."""
    store: dict[str, list[Deployment]] | None = getattr(backend, "service_deployments", None)
    if store is None:
        store = {}
        backend.service_deployments = store  # type: ignore[attr-defined]
    return store


def service_arn_of(deployment_arn: str) -> str:
    """The service a deployment ARN belongs to (``...:service-deployment/CLUSTER/SERVICE/ID``)."""
    prefix, _, path = deployment_arn.partition(":service-deployment/")
    return f"{prefix}:service/{path.rpartition('/')[0]}"


def find(backend: EC2ContainerServiceBackend, arn: str) -> Deployment | None:
    """The deployment with this ARN, if there is one."""
    return next((d for d in all_deployments(backend).get(service_arn_of(arn), []) if d.arn == arn), None)


def new_arn(backend: EC2ContainerServiceBackend, service: Any) -> str:
    """A service deployment ARN as AWS makes them (``.../service-deployment/CLUSTER/SERVICE/<21 characters>``)."""
    return (
        f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:service-deployment/"
        f"{service.cluster_name}/{service.name}/{secrets.token_urlsafe(16)[:21]}"
    )


def new_hook_id(target_type: str) -> str:
    """A hook id: ``ecs-pause-`` and 43 characters for PAUSE hooks, as the Developer Guide's "Pause hooks for
    Amazon ECS service deployments" shows one; ``ecs-lambda-`` for Lambda hooks (no published example)."""
    return f"ecs-{'pause' if target_type == 'PAUSE' else 'lambda'}-{secrets.token_urlsafe(32)}"


def lambda_hook_fails(target_arn: str | None) -> bool:
    """The Lambda hook answers FAILED (``HOOK_FAIL_ENV``)."""
    text = os.environ.get(HOOK_FAIL_ENV)
    return bool(text and target_arn and text in target_arn)


def alarms_in_alarm(backend: EC2ContainerServiceBackend, deployment: Deployment) -> list[str]:
    """The deployment's CloudWatch alarms (deploymentConfiguration.alarms, when enabled) in state ALARM, read from
    the emulator's CloudWatch in the same account and region."""
    alarms = deployment.configuration.get("alarms") or {}
    if not alarms.get("enable"):
        return []
    known = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    return [n for n in alarms.get("alarmNames") or [] if n in known and known[n].state_value == "ALARM"]


def breaker_threshold(configuration: dict[str, Any], desired: int) -> int:
    """ECS API Reference, ServiceDeploymentCircuitBreaker.threshold and ThresholdConfiguration: by default
    (BOUNDED_PERCENT, 50) half the desired count, at least 3 and at most 200; COUNT takes the value itself;
    UNBOUNDED_PERCENT is the percentage without the bounds."""
    threshold = (configuration.get("deploymentCircuitBreaker") or {}).get("thresholdConfiguration") or {}
    kind, value = threshold.get("type", "BOUNDED_PERCENT"), int(threshold.get("value", 50))
    if kind == "COUNT":
        return value
    count = math.ceil(desired * value / 100)
    return max(count, 1) if kind == "UNBOUNDED_PERCENT" else min(max(count, 3), 200)
