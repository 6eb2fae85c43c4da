"""The emulator's ECS services: CreateService, UpdateService, DeleteService and ListServices as the ECS API
reference documents them where moto differs (idempotency, echoed inputs, defaults, statuses), each starting a
rollout."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.ecs_deployments import ACTIVE_STATUSES, is_fargate, sync_deployment
from reconciler.emulator.hooks import patch
from reconciler.emulator.rollouts import describe_services, start_rollout

# CreateService inputs that AWS echoes in the Service shape and moto's create_service drops: camelCase -> attribute.
_CREATE_SERVICE_ECHOED = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "deploymentConfiguration": "deployment_configuration",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "enableExecuteCommand": "enable_execute_command",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}
# CreateService inputs that AWS echoes on the service's deployment (the Deployment shape), not on the Service.
_CREATE_SERVICE_DEPLOYMENT_ECHOED = ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations")


def _default_deployment_configuration(scheduling_strategy: str) -> dict[str, Any]:
    # ECS API reference, DeploymentConfiguration: maximumPercent defaults to 200 and minimumHealthyPercent to 100
    # for REPLICA services; for DAEMON services they default to 100 and 0. The circuit breaker is off by default,
    # and AWS returns it as {"enable": false, "rollback": false}.
    daemon = scheduling_strategy == "DAEMON"
    return {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 100 if daemon else 200,
        "minimumHealthyPercent": 0 if daemon else 100,
    }


def _check_subnets(backend: EC2ContainerServiceBackend, network: dict[str, Any] | None) -> None:
    """ECS API reference, CreateService awsvpcConfiguration.subnets: ECS looks the subnets up in EC2 and refuses a
    subnet that does not exist with InvalidParameterException "Error retrieving subnet information for [...]: The
    subnet ID '...' does not exist" (moto accepted any id)."""
    subnets = ((network or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
    known = ec2_backends[backend.account_id][backend.region_name].subnets
    existing = {subnet_id for by_zone in known.values() for subnet_id in by_zone}
    missing = [s for s in subnets if s not in existing]
    if missing:
        raise InvalidParameterException(
            f"Error retrieving subnet information for [{', '.join(missing)}]: The subnet ID '{missing[0]}' does not "
            "exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)"
        )


def _create_service(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    name = self._get_param("serviceName")
    token = self._get_param("clientToken")
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in ACTIVE_STATUSES:
        # ECS API reference, CreateService clientToken: repeating a request with the same token returns the
        # service already created; a service of the same name that is ACTIVE or DRAINING in the cluster
        # otherwise fails with InvalidParameterException "Creation of service was not idempotent."
        # (moto silently replaced the service).
        if token and getattr(existing, "client_token", None) == token:
            return ActionResult({"service": existing})
        raise InvalidParameterException("Creation of service was not idempotent.")

    _check_subnets(backend, self._get_param("networkConfiguration"))
    strategy = self._get_param("capacityProviderStrategy")
    launch_type = self._get_param("launchType")
    if strategy and launch_type:
        # ECS API reference, CreateService: "If a capacityProviderStrategy is specified, the launchType parameter
        # must be omitted."
        raise InvalidParameterException(
            "Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again."
        )
    if not strategy and not launch_type and cluster.default_capacity_provider_strategy:
        # ECS API reference, CreateService: with neither launchType nor capacityProviderStrategy, the cluster's
        # defaultCapacityProviderStrategy is used.
        strategy = copy.deepcopy(cluster.default_capacity_provider_strategy)

    result = original(self)
    service: Any = backend.services[f"{cluster.name}:{name}"]  # gains attributes moto's Service does not declare
    service.client_token = token
    # AWS's Service has a createdAt; moto gave only its deployments one.
    service.created_at = utcnow()
    # CreateService keeps every input that AWS echoes in the Service shape; moto dropped these.
    for param, attribute in _CREATE_SERVICE_ECHOED.items():
        value = self._get_param(param)
        if value is not None:
            setattr(service, attribute, value)
    if strategy:
        # ECS API reference, Service.launchType / capacityProviderStrategy: a service uses one or the other, so a
        # service created with a capacity provider strategy has no launchType (moto forced "EC2").
        service.capacity_provider_strategy = strategy
        service.launch_type = None
    _fill_created(service)
    sync_deployment(backend, service)
    start_rollout(service, previous_running=0)
    for param in _CREATE_SERVICE_DEPLOYMENT_ECHOED:
        value = self._get_param(param)
        if value is not None:
            for deployment in service.deployments:
                deployment[param] = value
    return cast("ActionResult", result)


def _fill_created(service: Any) -> None:
    """What AWS answers for a new service where CreateService was not given it (``service``: moto's Service)."""
    # ECS API reference, CreateService defaults: deploymentConfiguration as documented (filled field by field
    # under what was given), enableECSManagedTags and enableExecuteCommand false, no placement constraints or
    # strategies, and Availability Zone rebalancing ENABLED for create requests.
    given = getattr(service, "deployment_configuration", None) or {}
    service.deployment_configuration = {**_default_deployment_configuration(service.scheduling_strategy), **given}
    for attribute, default in (
        ("enable_ecs_managed_tags", False),
        ("enable_execute_command", False),
        ("placement_constraints", []),
        ("placement_strategy", []),
        ("availability_zone_rebalancing", "DISABLED" if service.scheduling_strategy == "DAEMON" else "ENABLED"),
    ):
        if getattr(service, attribute, None) is None:
            setattr(service, attribute, default)
    if service.load_balancers and getattr(service, "health_check_grace_period_seconds", None) is None:
        # ECS API reference, healthCheckGracePeriodSeconds: 0 when not given; returned for services behind a load
        # balancer only.
        service.health_check_grace_period_seconds = 0
    if not service.network_configuration:
        # AWS omits networkConfiguration when none was given; moto returned {}.
        service.network_configuration = None
    if is_fargate(service) and not service.platform_version:
        # ECS API reference, platformVersion: for Fargate, "If one isn't specified, the LATEST platform version is
        # used"; platformFamily is set for Fargate services only.
        service.platform_version = "LATEST"


def _update_service(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
) -> Service:
    properties = dict(service_properties)
    service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    if service.status not in ACTIVE_STATUSES:
        # ECS API reference, UpdateService: ServiceNotActiveException when the service is not ACTIVE (moto updated
        # deleted services).
        raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")
    previous_deployment_configuration = getattr(service, "deployment_configuration", None)
    previous_running = service.running_count
    service = original(self, service_properties)
    task_definition = properties.get("task_definition")
    if task_definition:
        # AWS stores the task definition's full ARN whatever form (family, family:revision) was given; moto kept
        # the string as sent.
        service.task_definition = self.describe_task_definition(task_definition).arn
    if properties.get("deployment_configuration") is not None:
        # UpdateService changes only the deploymentConfiguration fields it is given; moto replaced the whole block.
        base = previous_deployment_configuration or _default_deployment_configuration(service.scheduling_strategy)
        service.deployment_configuration = {**base, **properties["deployment_configuration"]}
    strategy = properties.get("capacity_provider_strategy")
    if strategy:
        # ECS API reference, UpdateService capacityProviderStrategy: moving a service to a capacity provider
        # strategy drops its launchType (a service uses one or the other).
        service.launch_type = None
    elif strategy is not None:
        # An empty list moves the service back to a launch type (ECS API reference, UpdateService); the task
        # definition does not say which, so FARGATE when it is Fargate-only, else EC2.
        service.capacity_provider_strategy = None
        if not service.launch_type:
            requires = self.describe_task_definition(service.task_definition).requires_compatibilities or []
            service.launch_type = "FARGATE" if requires == ["FARGATE"] else "EC2"
    if is_fargate(service) and not service.platform_version:
        service.platform_version = "LATEST"
    sync_deployment(self, service)
    start_rollout(service, previous_running=previous_running)
    return cast("Service", service)


def _delete_service(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, cluster_name: str, service_name: str, force: bool
) -> Service:
    service = self._get_service(cluster_name, service_name)
    if service.status not in ACTIVE_STATUSES:
        # ECS API reference, DeleteService: ServiceNotActiveException for a service already deleted (moto deleted
        # it again).
        raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")
    return cast("Service", original(self, cluster_name, service_name, force))


def _list_services(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    # ECS API reference, ListServices: "Returns a list of services" that are ACTIVE or DRAINING; deleted
    # (INACTIVE) services stay describable for a while but are not listed. moto listed them.
    inactive = {service.arn for service in self.services.values() if service.status not in ACTIVE_STATUSES}
    return [arn for arn in original(self, *args, **kwargs) if arn not in inactive]


def patch_ecs_services() -> None:
    """Install these patches."""
    patch(EC2ContainerServiceResponse, "create_service", _create_service)
    patch(EC2ContainerServiceBackend, "update_service", _update_service)
    patch(EC2ContainerServiceBackend, "delete_service", _delete_service)
    patch(EC2ContainerServiceBackend, "list_services", _list_services)
    patch(EC2ContainerServiceBackend, "describe_services", describe_services)
