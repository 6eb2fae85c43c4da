"""patch_moto(): make moto behave like the documented AWS APIs where a diff engine would notice.

Each patch says which AWS behaviour it stands for. Idempotent and process-wide.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import threading
from collections.abc import Callable
from typing import Any, cast

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_scheduled_action
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs.exceptions import InvalidParameterException as LogsInvalidParameterException
from moto.logs.responses import LogsResponse

from reconciler.emulator.cloud_map_elb import patch_cloud_map_and_elb
from reconciler.emulator.rollouts import _describe_services, _start_rollout
from reconciler.emulator.scaling_tags import (
    _deregister_scalable_target,
    _register_scalable_target,
    _register_scalable_target_response,
    _scaling_list_tags,
    _scaling_tag_resource,
    _scaling_untag_resource,
)

_ACTIVE_STATUSES = ("ACTIVE", "DRAINING")
_FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


_patch_lock = threading.Lock()
_patched = False

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


def patch_moto() -> None:
    """Make moto's ECS behave like documented AWS where a diff engine would notice. Idempotent, process-wide."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        _patch(EC2ContainerServiceResponse, "create_service", _create_service)
        _patch(EC2ContainerServiceResponse, "describe_clusters", _describe_clusters)
        _patch(EC2ContainerServiceBackend, "update_service", _update_service)
        _patch(EC2ContainerServiceBackend, "delete_service", _delete_service)
        _patch(EC2ContainerServiceBackend, "list_services", _list_services)
        _patch(EC2ContainerServiceBackend, "create_cluster", _create_cluster)
        _patch(EC2ContainerServiceBackend, "list_clusters", _list_clusters)
        _patch(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
        _patch(EC2ContainerServiceBackend, "register_task_definition", _register_task_definition)
        _patch(EC2ContainerServiceBackend, "list_tags_for_resource", _list_tags_for_resource)
        _patch(EC2ContainerServiceResponse, "list_task_definitions", _list_task_definitions)
        _patch(EC2ContainerServiceBackend, "describe_services", _describe_services)
        _patch(ApplicationAutoscalingBackend, "register_scalable_target", _register_scalable_target)
        _patch(ApplicationAutoscalingBackend, "deregister_scalable_target", _deregister_scalable_target)
        ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target_response  # type: ignore[method-assign]
        ApplicationAutoScalingResponse.tag_resource = _scaling_tag_resource  # type: ignore[attr-defined]
        ApplicationAutoScalingResponse.untag_resource = _scaling_untag_resource  # type: ignore[attr-defined]
        ApplicationAutoScalingResponse.list_tags_for_resource = _scaling_list_tags  # type: ignore[attr-defined]
        LogsResponse.associate_kms_key = _associate_kms_key  # type: ignore[attr-defined]
        LogsResponse.disassociate_kms_key = _disassociate_kms_key  # type: ignore[attr-defined]
        _patch(LogsResponse, "describe_log_groups", _describe_log_groups)
        _patch(ApplicationAutoscalingBackend, "describe_scaling_policies", _describe_scaling_policies)
        ApplicationAutoScalingResponse.describe_scheduled_actions = _describe_scheduled_actions  # type: ignore[method-assign]
        _patch(EC2ContainerServiceBackend, "describe_capacity_providers", _describe_capacity_providers)
        _patch(EC2ContainerServiceBackend, "run_task", _run_task)
        _patch(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", _task_resources)
        patch_cloud_map_and_elb(_patch)
        _patched = True


def _describe_capacity_providers(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, names: list[str] | None
) -> Any:
    # ECS API reference, DescribeCapacityProviders: without capacityProviders, every provider is described.
    return original(self, names if names is not None else list(self.capacity_providers))


TASK_EXIT_ENV = "ECS_RECONCILER_EMULATOR_TASK_EXIT"
"""The exit code of a one-off task (RunTask), read when the task is started so a test can set it with
monkeypatch.setenv: the task ran and its essential container exited with this code (default 0, a command that
succeeded). moto's tasks would otherwise run for ever with no exit code."""


def _run_task(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    # ECS developer guide, task lifecycle: a task whose essential container exits is STOPPED, with the container's
    # exit code and stopCode EssentialContainerExited.
    tasks = original(self, *args, **kwargs)
    code = int(os.environ.get(TASK_EXIT_ENV, "0"))
    for task in tasks:
        task.status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stop_code = "EssentialContainerExited"
        task.stopped_reason = "Essential container in task exited"
        for container in task.containers:
            container.last_status = "STOPPED"
            container.exitCode = code
    return tasks


def _task_resources(original: Callable[..., Any], self: EC2ContainerServiceBackend, task_definition: Any) -> Any:
    # ECS API reference, ContainerDefinition.memory: optional when the task sets memory (Fargate always does); moto
    # added None to an int for such a container.
    sized = copy.copy(task_definition)
    sized.container_definitions = [
        {"memory": 0, **c} if c.get("memory") is None and c.get("memoryReservation") is None else c
        for c in task_definition.container_definitions
    ]
    return original(sized)  # a staticmethod in moto


def _associate_kms_key(self: Any) -> str:
    # CloudWatch Logs API reference, AssociateKmsKey: encrypts the log group with the key; DescribeLogGroups then
    # shows it as kmsKeyId. moto has no such call.
    self.logs_backend.groups[self._get_param("logGroupName")].kms_key_id = self._get_param("kmsKeyId")
    return ""


def _disassociate_kms_key(self: Any) -> str:
    # CloudWatch Logs API reference, DisassociateKmsKey: the group is no longer encrypted with the key.
    self.logs_backend.groups[self._get_param("logGroupName")].kms_key_id = None
    return ""


def _describe_log_groups(original: Callable[..., Any], self: LogsResponse) -> str:
    # CloudWatch Logs API reference, DescribeLogGroups: logGroupIdentifiers (1 to 50; names in an account that is not
    # a monitoring account) answers just those groups, skipping names that do not exist, and excludes the name
    # prefix and pattern filters. moto ignored it and listed every group.
    identifiers = self._get_param("logGroupIdentifiers")
    if identifiers is None:
        return str(original(self))
    if (
        not 1 <= len(identifiers) <= 50
        or self._get_param("logGroupNamePrefix")
        or self._get_param("logGroupNamePattern")
    ):
        raise LogsInvalidParameterException("logGroupIdentifiers takes 1 to 50 names and no name prefix or pattern")
    groups = [group for name, group in sorted(self.logs_backend.groups.items()) if name in set(identifiers)]
    return json.dumps({"logGroups": [group.to_describe_dict() for group in groups]})


_POLICIES_PAGE = 10
_ACTIONS_PAGE = 50


def _page(items: list[Any], size: int, token: str | None) -> tuple[list[Any], str | None]:
    start = int(token or 0)
    return items[start : start + size], str(start + size) if start + size < len(items) else None


def _describe_scaling_policies(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, **kwargs: Any
) -> tuple[str | None, list[Any]]:
    # Application Auto Scaling API reference, DescribeScalingPolicies: MaxResults is 1 to 10 and defaults to 10
    # (moto paged 100 at a time and took any size); ResourceId filters by the exact id (moto also matched ids
    # contained in it).
    size = kwargs["max_results"] or _POLICIES_PAGE
    if not 1 <= size <= _POLICIES_PAGE:
        raise AWSValidationException(f"MaxResults must be between 1 and {_POLICIES_PAGE}")
    policies = [
        p
        for p in self.policies.values()
        if p.service_namespace == kwargs["service_namespace"]
        and kwargs["resource_id"] in (None, p.resource_id)
        and kwargs["scalable_dimension"] in (None, p.scalable_dimension)
    ]
    page, token = _page(policies, size, kwargs["next_token"])
    return token, page


_TASK_DEFINITIONS_PAGE = 100


def _list_task_definitions(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, ListTaskDefinitions: up to maxResults (1 to 100, default 100) ARNs a page with a nextToken;
    # sort ASC or DESC by family, then revision (moto answered every ARN at once, unsorted).
    size = self._get_param("maxResults") or _TASK_DEFINITIONS_PAGE
    if not 1 <= size <= _TASK_DEFINITIONS_PAGE:
        raise _error("ClientException", f"maxResults must be between 1 and {_TASK_DEFINITIONS_PAGE}")
    family, status = self._get_param("familyPrefix"), self._get_param("status", "ACTIVE")
    arns = [  # copies of the registry: another request may register a revision meanwhile
        revision.arn
        for revisions in list(self.ecs_backend.task_definitions.values())
        for revision in list(revisions.values())
        if family in (None, revision.family) and revision.status == status
    ]

    def key(arn: str) -> tuple[str, int]:
        family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
        return family, int(revision)

    arns = sorted(arns, key=key, reverse=self._get_param("sort") == "DESC")
    page, token = _page(arns, size, self._get_param("nextToken"))
    return ActionResult({"taskDefinitionArns": page, **({"nextToken": token} if token else {})})


def _describe_scheduled_actions(self: ApplicationAutoScalingResponse) -> str:
    # Application Auto Scaling API reference, DescribeScheduledActions: up to MaxResults (1 to 50, default 50)
    # actions a page, with a NextToken for the rest. moto returned every action at once.
    params = json.loads(self.body)
    size = params.get("MaxResults") or _ACTIONS_PAGE
    if not 1 <= size <= _ACTIONS_PAGE:
        raise AWSValidationException(f"MaxResults must be between 1 and {_ACTIONS_PAGE}")
    actions = self.applicationautoscaling_backend.describe_scheduled_actions(
        scheduled_action_names=params.get("ScheduledActionNames"),
        service_namespace=params.get("ServiceNamespace"),
        resource_id=params.get("ResourceId"),
        scalable_dimension=params.get("ScalableDimension"),
    )
    page, token = _page(actions, size, params.get("NextToken"))
    return json.dumps({"ScheduledActions": [_build_scheduled_action(a) for a in page], "NextToken": token})


def _patch(cls: type, name: str, replacement: Callable[..., Any]) -> None:
    """Replace ``cls.name`` by ``replacement(original, self, *args, **kwargs)``."""
    original = getattr(cls, name)

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return replacement(original, self, *args, **kwargs)

    setattr(cls, name, wrapper)


def _error(code: str, message: str) -> ECSException:
    return ECSException(code, message)


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


def _is_fargate(service: Service) -> bool:
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    return service.launch_type == "FARGATE" or any(i.get("capacityProvider") in _FARGATE_PROVIDERS for i in strategy)


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


def _sync_deployment(backend: EC2ContainerServiceBackend, service: Any) -> None:
    """Make the PRIMARY deployment agree with the service, as AWS's deployments do.

    ``service`` is a moto Service carrying the attributes these patches add, hence ``Any``.
    """
    platform_family = _platform_family(backend, service) if _is_fargate(service) else None
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


def _create_service(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    name = self._get_param("serviceName")
    token = self._get_param("clientToken")
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in _ACTIVE_STATUSES:
        # ECS API reference, CreateService clientToken: repeating a request with the same token returns the
        # service already created; a service of the same name that is ACTIVE or DRAINING in the cluster
        # otherwise fails with InvalidParameterException "Creation of service was not idempotent."
        # (moto silently replaced the service).
        if token and getattr(existing, "client_token", None) == token:
            return ActionResult({"service": existing})
        raise InvalidParameterException("Creation of service was not idempotent.")

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
    if _is_fargate(service) and not service.platform_version:
        # ECS API reference, platformVersion: for Fargate, "If one isn't specified, the LATEST platform version is
        # used"; platformFamily is set for Fargate services only.
        service.platform_version = "LATEST"
    _sync_deployment(backend, service)
    _start_rollout(service, previous_running=0)
    for param in _CREATE_SERVICE_DEPLOYMENT_ECHOED:
        value = self._get_param(param)
        if value is not None:
            for deployment in service.deployments:
                deployment[param] = value
    return cast("ActionResult", result)


def _update_service(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
) -> Service:
    properties = dict(service_properties)
    service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    if service.status not in _ACTIVE_STATUSES:
        # ECS API reference, UpdateService: ServiceNotActiveException when the service is not ACTIVE (moto updated
        # deleted services).
        raise _error("ServiceNotActiveException", "Service was not ACTIVE.")
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
    if _is_fargate(service) and not service.platform_version:
        service.platform_version = "LATEST"
    _sync_deployment(self, service)
    _start_rollout(service, previous_running=previous_running)
    return cast("Service", service)


def _delete_service(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, cluster_name: str, service_name: str, force: bool
) -> Service:
    service = self._get_service(cluster_name, service_name)
    if service.status not in _ACTIVE_STATUSES:
        # ECS API reference, DeleteService: ServiceNotActiveException for a service already deleted (moto deleted
        # it again).
        raise _error("ServiceNotActiveException", "Service was not ACTIVE.")
    return cast("Service", original(self, cluster_name, service_name, force))


def _list_services(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    # ECS API reference, ListServices: "Returns a list of services" that are ACTIVE or DRAINING; deleted
    # (INACTIVE) services stay describable for a while but are not listed. moto listed them.
    inactive = {service.arn for service in self.services.values() if service.status not in _ACTIVE_STATUSES}
    return [arn for arn in original(self, *args, **kwargs) if arn not in inactive]


def _create_cluster(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    cluster = original(self, *args, **kwargs)
    # AWS returns capacityProviders and defaultCapacityProviderStrategy as empty lists when none were given;
    # moto omitted them.
    if cluster.capacity_providers is None:
        cluster.capacity_providers = []
    if cluster.default_capacity_provider_strategy is None:
        cluster.default_capacity_provider_strategy = []
    if cluster.tags is None:
        cluster.tags = []
    return cluster


def _list_clusters(original: Callable[..., Any], self: EC2ContainerServiceBackend) -> list[str]:
    # ECS API reference, ListClusters: deleted (INACTIVE) clusters are not listed (moto listed them).
    inactive = {cluster.arn for cluster in self.clusters.values() if cluster.status == "INACTIVE"}
    return [arn for arn in original(self) if arn not in inactive]


def _delete_cluster(original: Callable[..., Any], self: EC2ContainerServiceBackend, cluster_str: str) -> Any:
    cluster = self._get_cluster(cluster_str)
    if any(s.cluster_name == cluster.name and s.status in _ACTIVE_STATUSES for s in self.services.values()):
        # ECS API reference, DeleteCluster: ClusterContainsServicesException while the cluster has ACTIVE or
        # DRAINING services (moto deleted it anyway).
        raise _error(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        )
    return original(self, cluster_str)


def _register_task_definition(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any
) -> TaskDefinition:
    task_definition = original(self, *args, **kwargs)
    # ECS API reference, PortMapping: protocol defaults to "tcp"; with the awsvpc or host network mode hostPort is
    # the containerPort (AWS fills it in). moto echoed the mappings as sent.
    for container in task_definition.container_definitions:
        mappings = []
        for mapping in container.get("portMappings") or []:
            mapping = {"protocol": "tcp", **mapping}
            if task_definition.network_mode in ("awsvpc", "host") and "containerPort" in mapping:
                mapping.setdefault("hostPort", mapping["containerPort"])
            mappings.append(mapping)
        container["portMappings"] = mappings  # a new list: moto shares its default [] between containers
    # AWS's TaskDefinition has a registeredAt; moto had none.
    task_definition.registered_at = utcnow()
    return cast("TaskDefinition", task_definition)


def _list_tags_for_resource(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, resource_arn: str
) -> list[dict[str, str]]:
    # ECS API reference, ListTagsForResource: an untagged resource has "tags": []; moto returned nothing for
    # clusters created without tags.
    return original(self, resource_arn) or []


def _describe_clusters(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, Cluster.activeServicesCount: the number of ACTIVE services in the cluster; moto kept 0.
    backend = self.ecs_backend
    for cluster in backend.clusters.values():
        cluster.active_services_count = sum(
            1 for s in backend.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE"
        )
    result = original(self)
    include = self._get_param("include", []) or []
    # ECS API reference, DescribeClusters include: settings and configuration are returned only when SETTINGS and
    # CONFIGURATIONS are asked for (a cluster created without settings then shows containerInsights "disabled",
    # as moto already stores). moto always returned both.
    for flag, field in (("SETTINGS", "settings"), ("CONFIGURATIONS", "configuration")):
        path = f"DescribeClustersResponse.clusters.Cluster.{field}"
        if flag in include:
            self._include_in_response(path)
        else:
            self._exclude_from_response(path)
    return cast("ActionResult", result)
