"""The emulator's ECS service deployments agree with their service, as AWS's do (shared by the service calls and the
rollout model)."""

from __future__ import annotations

from typing import Any

from moto.ecs.exceptions import ECSException
from moto.ecs.models import EC2ContainerServiceBackend, Service

from reconciler.core.aws_rules import on_fargate

ACTIVE_STATUSES = ("ACTIVE", "DRAINING")
"""The statuses of a service that still exists (ECS keeps INACTIVE services describable for a while after delete)."""


def is_fargate(service: Service) -> bool:
    """Whether the service's tasks run on Fargate: its launch type, or a Fargate provider in its strategy."""
    strategy = getattr(service, "capacity_provider_strategy", None)
    return on_fargate({"launchType": service.launch_type, "capacityProviderStrategy": strategy})


def _platform_family(backend: EC2ContainerServiceBackend, service: Service) -> str:
    # ECS API reference, Service.platformFamily: only for Fargate; "Linux" unless the task definition's
    # runtimePlatform names another operating system family.
    family = "Linux"
    if service.task_definition:
        try:
            task_definition = backend.describe_task_definition(service.task_definition)
        except ECSException:
            return family
        os_family = (task_definition.runtime_platform or {}).get("operatingSystemFamily")
        if os_family and os_family != "LINUX":
            family = os_family
    return family


def sync_deployment(backend: EC2ContainerServiceBackend, service: Any) -> None:
    """Make the PRIMARY deployment agree with the service, as AWS's deployments do.

    ``service`` is a moto Service carrying the attributes these patches add, hence ``Any``.
    """
    platform_family = _platform_family(backend, service) if is_fargate(service) else None
    service.platform_family = platform_family
    for deployment in service.deployments:
        if deployment.get("status") != "PRIMARY":
            continue
        deployment["taskDefinition"] = service.task_definition
        deployment["desiredCount"] = service.desired_count
        deployment["networkConfiguration"] = service.network_configuration
        deployment["platformVersion"] = service.platform_version
        deployment["platformFamily"] = platform_family
        if service.launch_type:
            deployment["launchType"] = service.launch_type
            deployment.pop("capacityProviderStrategy", None)
        else:
            deployment.pop("launchType", None)
            deployment["capacityProviderStrategy"] = getattr(service, "capacity_provider_strategy", None)
        for key in [k for k, v in deployment.items() if v is None]:
            del deployment[key]
