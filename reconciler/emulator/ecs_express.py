"""The emulator's ECS Express Mode services (moto has none of these calls): CreateExpressGatewayService,
DescribeExpressGatewayService, UpdateExpressGatewayService and DeleteExpressGatewayService as the ECS API reference
documents them.

An Express service is an ECS service that ECS manages (DescribeServices answers it with ``resourceManagementType``
ECS): creating one registers its task definition, creates the service and starts its first service deployment,
whose service revision lists the resources ECS created for it (``ecsManagedResources``: load balancer, listener,
rule, target group, certificate, security groups, scalable target and policy, alarm, log group). Those are records
only, but for the scalable target: the emulator creates no load balancer or alarm behind them, and registers the
Application Auto Scaling target of the service, tagged with the service's tags, as ECS does.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import botocore.session
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ClusterNotFoundException, ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.clock import CLOCK
from reconciler.emulator.ecs_deployments import sync_deployment
from reconciler.emulator.rollouts import start_rollout
from reconciler.emulator.scaling import target_tags
from reconciler.emulator.service_deployments import latest, start_deployment
from reconciler.emulator.service_revisions import revisions

_UPDATE = botocore.session.get_session().get_service_model("ecs").operation_model("UpdateExpressGatewayService")
CONFIGURATION = tuple(member for member in _UPDATE.input_shape.members if member != "serviceArn")
"""ExpressGatewayServiceConfiguration members an update may change (UpdateExpressGatewayService's inputs, read from
botocore's model of the ECS API)."""
OWN_TASK_DEFINITION_EXCLUDES = (
    "primaryContainer",
    "executionRoleArn",
    "taskRoleArn",
    "cpu",
    "memory",
    "cpuArchitecture",
)
"""CreateExpressGatewayService taskDefinitionArn: "you cannot also specify" these."""


def patch_ecs_express() -> None:
    """Install the Express Gateway calls."""
    for name, handler in (
        ("create_express_gateway_service", _create),
        ("describe_express_gateway_service", _describe),
        ("update_express_gateway_service", _update),
        ("delete_express_gateway_service", _delete),
    ):
        setattr(EC2ContainerServiceResponse, name, handler)


def _filled(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration ECS answers: healthCheckPath /ping, the container's port 80, X86_64, the scaling target
    value 60 and one task at least (ECS API reference, CreateExpressGatewayService and ExpressGatewayContainer)."""
    out = copy.deepcopy(config)
    out.setdefault("healthCheckPath", "/ping")
    if "taskDefinitionArn" not in out:
        out.setdefault("cpuArchitecture", "X86_64")
        out.setdefault("cpu", "256")
        out.setdefault("memory", "512")
        out.setdefault("primaryContainer", {}).setdefault("containerPort", 80)
    scaling = out.setdefault("scalingTarget", {})
    scaling.setdefault("minTaskCount", 1)
    scaling.setdefault("maxTaskCount", max(1, int(scaling["minTaskCount"])))
    scaling.setdefault("autoScalingMetric", "AVERAGE_CPU")
    scaling.setdefault("autoScalingTargetValue", 60)
    return out


def _check(config: dict[str, Any]) -> None:
    if "taskDefinitionArn" in config:
        if given := [k for k in OWN_TASK_DEFINITION_EXCLUDES if k in config]:
            # ECS API reference, CreateExpressGatewayService taskDefinitionArn.
            raise InvalidParameterException(f"taskDefinitionArn cannot be specified with {', '.join(given)}.")
    elif not (config.get("primaryContainer") or {}).get("image"):
        raise InvalidParameterException("primaryContainer.image is required without a taskDefinitionArn.")
    path = config.get("healthCheckPath")
    if path is not None and not str(path).startswith("/"):
        # ECS API reference, healthCheckPath: "must start with a forward slash".
        raise InvalidParameterException("healthCheckPath must start with a forward slash.")


def _register(backend: EC2ContainerServiceBackend, cluster: str, name: str, config: dict[str, Any]) -> str:
    """The task definition ECS registers for the service's primary container (DG "Resources created by Amazon ECS
    Express Mode services": container, logging and awsvpc networking); its family name is the emulator's choice."""
    if "taskDefinitionArn" in config:
        return str(backend.describe_task_definition(config["taskDefinitionArn"]).arn)
    container = config["primaryContainer"]
    definition = {
        "name": "Main",
        "image": container["image"],
        "essential": True,
        "portMappings": [{"containerPort": container["containerPort"], "protocol": "tcp"}],
        "environment": container.get("environment") or [],
        "secrets": container.get("secrets") or [],
        **({"command": container["command"]} if container.get("command") else {}),
    }
    registered = backend.register_task_definition(
        family=f"{cluster}-{name}",
        container_definitions=[definition],
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        cpu=str(config["cpu"]),
        memory=str(config["memory"]),
        task_role_arn=config.get("taskRoleArn"),
        execution_role_arn=config.get("executionRoleArn"),
        runtime_platform={"cpuArchitecture": config["cpuArchitecture"], "operatingSystemFamily": "LINUX"},
    )
    return str(registered.arn)


def _arn(backend: EC2ContainerServiceBackend, service: str, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{key}:{kind}".encode()).hexdigest()[:16]
    return f"arn:aws:{service}:{backend.region_name}:{backend.account_id}:{kind}/{digest}"


SCALING_ROLE = (
    "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
)
"""DG "Resources created by Amazon ECS Express Mode services", IAM role defaults: the service-linked role Application
Auto Scaling uses for the service."""


def _scaling_backend(backend: EC2ContainerServiceBackend) -> Any:
    return applicationautoscaling_backends[backend.account_id][backend.region_name]


def _scalable_target(backend: EC2ContainerServiceBackend, service: Any, config: dict[str, Any]) -> str:
    """Register (or update) the service's scalable target: DG "Resources created by Amazon ECS Express Mode
    services", Application scaling target defaults: MinCapacity and MaxCapacity from the scaling target, dimension
    ecs:service:DesiredCount, and "Tags: Derived from the tags passed in" the create (tags are only added on
    create). Its ARN."""
    scaling, aas = config["scalingTarget"], _scaling_backend(backend)
    resource_id = f"service/{service.cluster_name}/{service.name}"
    new = resource_id not in aas.targets.get("ecs:service:DesiredCount", {})
    target = aas.register_scalable_target(
        "ecs",
        resource_id,
        "ecs:service:DesiredCount",
        min_capacity=int(scaling["minTaskCount"]),
        max_capacity=int(scaling["maxTaskCount"]),
        role_arn=f"arn:aws:iam::{backend.account_id}:{SCALING_ROLE}",
        suspended_state=None,
    )
    if new:
        target_tags(aas)[target.arn] = {str(t["key"]): str(t["value"]) for t in service.tags or []}
    return str(target.arn)


def _managed_resources(backend: EC2ContainerServiceBackend, service: Any, config: dict[str, Any]) -> dict[str, Any]:
    """ECSManagedResources as DescribeServiceRevisions answers them for an Express service, every one ACTIVE."""
    key, now = service.arn, CLOCK.utc()

    def one(aws_service: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {"arn": _arn(backend, aws_service, kind, key), "status": "ACTIVE", "updatedAt": now, **extra}

    scaling, digest = config["scalingTarget"], hashlib.sha256(key.encode()).hexdigest()[:8]
    target = {"arn": _scalable_target(backend, service, config), "status": "ACTIVE", "updatedAt": now}
    port = (config.get("primaryContainer") or {}).get("containerPort", 80)
    return {
        "ingressPaths": [
            {
                "accessType": "PUBLIC",
                "endpoint": f"https://{service.name}-{digest}.ecs.{backend.region_name}.on.aws",
                "loadBalancer": one("elasticloadbalancing", "loadbalancer/app", scheme="internet-facing"),
                "loadBalancerSecurityGroups": [one("ec2", "security-group")],
                "certificate": one("acm", "certificate", domainName=f"{service.name}-{digest}.on.aws"),
                "listener": one("elasticloadbalancing", "listener/app"),
                "rule": one("elasticloadbalancing", "listener-rule/app"),
                "targetGroups": [
                    one(
                        "elasticloadbalancing",
                        "targetgroup",
                        healthCheckPath=config["healthCheckPath"],
                        healthCheckPort=port,
                        port=port,
                    )
                ],
            }
        ],
        "autoScaling": {
            "scalableTarget": {
                **target,
                "minCapacity": scaling["minTaskCount"],
                "maxCapacity": scaling["maxTaskCount"],
            },
            "applicationAutoScalingPolicies": [
                one(
                    "application-autoscaling",
                    "scaling-policy",
                    policyType="TargetTrackingScaling",
                    targetValue=float(scaling["autoScalingTargetValue"]),
                    metric=scaling["autoScalingMetric"],
                )
            ],
        },
        "metricAlarms": [one("cloudwatch", "alarm")],
        "serviceSecurityGroups": [one("ec2", "security-group-service")],
        # DG "Resources created by Amazon ECS Express Mode services", Logging defaults: /aws/ecs/<cluster>/<name>-####.
        "logGroups": [
            one("logs", "log-group", logGroupName=f"/aws/ecs/{service.cluster_name}/{service.name}-{digest[:4]}")
        ],
    }


def _deploy(backend: EC2ContainerServiceBackend, service: Any, express: dict[str, Any]) -> None:
    """Start the service deployment of the express service's configuration now, and record its revision."""
    config = express["configuration"]
    start_deployment(backend, service, previous=None)
    deployment = latest(backend, service.arn)
    assert deployment is not None
    revision = revisions(backend)[deployment.target]
    revision["ecsManagedResources"] = _managed_resources(backend, service, config)
    express["currentDeployment"] = deployment.arn
    express["activeConfigurations"] = [
        {"serviceRevisionArn": deployment.target, **copy.deepcopy(config), "createdAt": CLOCK.utc()}
    ]


def _service_of(self: EC2ContainerServiceResponse) -> Any:
    arn = self._get_param("serviceArn")
    for service in self.ecs_backend.services.values():
        if arn in (service.arn, service.name) and getattr(service, "express", None) and service.status == "ACTIVE":
            return service
    # ECS API reference, DescribeExpressGatewayService errors: ServiceNotFoundException.
    raise ECSException("ServiceNotFoundException", f"Express service {arn} not found.")


def _answer(service: Any, *, tags: bool) -> dict[str, Any]:
    express = service.express
    answer = {
        "cluster": service.cluster_arn,
        "serviceName": service.name,
        "serviceArn": service.arn,
        "infrastructureRoleArn": express["infrastructureRoleArn"],
        "status": {"statusCode": "ACTIVE" if service.status == "ACTIVE" else "INACTIVE"},
        "currentDeployment": express.get("currentDeployment"),
        "activeConfigurations": copy.deepcopy(express["activeConfigurations"]),
        "createdAt": express["createdAt"],
        "updatedAt": express["updatedAt"],
    }
    if tags:
        # ECS API reference, DescribeExpressGatewayService include: tags only with TAGS.
        answer["tags"] = copy.deepcopy(service.tags)
    return answer


def _create(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster_name = str(self._get_param("cluster") or "default").split("/")[-1]
    if cluster_name not in backend.clusters:
        if cluster_name != "default":
            raise ClusterNotFoundException
        # DG "Resources created by Amazon ECS Express Mode services": the default cluster, if it does not exist.
        backend.create_cluster("default", capacity_providers=["FARGATE"])
    name = self._get_param("serviceName")
    existing = backend.services.get(f"{cluster_name}:{name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        raise InvalidParameterException("Creation of service was not idempotent.")
    config = {k: self._get_param(k) for k in CONFIGURATION if self._get_param(k) is not None}
    _check(config)
    config = _filled(config)
    task_definition = _register(backend, cluster_name, name, config)
    tags = self._get_param("tags") or []
    service: Any = backend.create_service(
        cluster_name,
        name,
        int(config["scalingTarget"]["minTaskCount"]),
        task_definition_str=task_definition,
        tags=tags,
        launch_type="FARGATE",
        platform_version="LATEST",
    )
    # ECS API reference, Service.resourceManagementType: ECS for an Express service, managed by ECS.
    service.resource_management_type = "ECS"
    service.created_at = utcnow()
    service.express = {
        "infrastructureRoleArn": self._get_param("infrastructureRoleArn"),
        "configuration": config,
        "createdAt": CLOCK.utc(),
        "updatedAt": CLOCK.utc(),
    }
    sync_deployment(backend, service)
    start_rollout(service, previous_running=0)
    _deploy(backend, service, service.express)
    return ActionResult({"service": _answer(service, tags=True)})


def _describe(self: EC2ContainerServiceResponse) -> ActionResult:
    include = self._get_param("include") or []
    return ActionResult({"service": _answer(_service_of(self), tags="TAGS" in include)})


def _update(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, UpdateExpressGatewayService: a new service revision of the given fields (the others kept)
    # and a rolling deployment; the infrastructure role is not among its inputs.
    backend, service = self.ecs_backend, _service_of(self)
    express = service.express
    given = {k: self._get_param(k) for k in CONFIGURATION if self._get_param(k) is not None}
    config = copy.deepcopy(express["configuration"])
    if "taskDefinitionArn" in given:
        for key in OWN_TASK_DEFINITION_EXCLUDES:
            config.pop(key, None)
    elif "primaryContainer" in given:
        config.pop("taskDefinitionArn", None)
    for key, value in given.items():
        config[key] = {**config.get(key, {}), **value} if key == "scalingTarget" else value
    _check(given if "taskDefinitionArn" in given else config)
    config = _filled(config)
    express["configuration"] = config
    express["updatedAt"] = CLOCK.utc()
    previous_running = service.running_count
    service.task_definition = _register(backend, service.cluster_name, service.name, config)
    low, high = int(config["scalingTarget"]["minTaskCount"]), int(config["scalingTarget"]["maxTaskCount"])
    service.desired_count = max(low, min(service.desired_count, high))  # within the scaling target's range
    sync_deployment(backend, service)
    start_rollout(service, previous_running=previous_running)
    _deploy(backend, service, express)
    answer = _answer(service, tags=False)
    target = answer.pop("activeConfigurations")[0]
    for key in ("infrastructureRoleArn", "currentDeployment"):
        answer.pop(key)
    return ActionResult({"service": {**answer, "targetConfiguration": target}})


def _delete(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, DeleteExpressGatewayService: the service and every resource ECS manages for it are removed.
    backend, service = self.ecs_backend, _service_of(self)
    answer = _answer(service, tags=False)
    aas, resource_id = _scaling_backend(backend), f"service/{service.cluster_name}/{service.name}"
    if resource_id in aas.targets.get("ecs:service:DesiredCount", {}):
        aas.deregister_scalable_target("ecs", resource_id, "ecs:service:DesiredCount")
    service.desired_count = 0
    backend.delete_service(service.cluster_name, service.name, force=True)
    answer["status"] = {"statusCode": "DRAINING"}
    return ActionResult({"service": answer})
