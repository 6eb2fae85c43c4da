"""AWS's own rules that botocore's model does not encode, checked offline so ``validate`` refuses what AWS would.

Each function takes a manifest spec (camelCase, as the Kind holds it) and returns ``(field path, message)`` pairs,
the path relative to the spec in the error form ``containerDefinitions[0].image``; ``[]`` when AWS would accept it.
Each rule names in a comment the AWS documentation it comes from; each message says what to do. The module is
pure: it reads no file and calls no AWS, and it never raises on a spec of the wrong shape (schema.py reports that).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "LOG_RETENTION_DAYS",
    "Problem",
    "cluster_rules",
    "log_group_rules",
    "scaling_rules",
    "service_rules",
    "tag_rules",
    "task_definition_rules",
]

Problem = tuple[str, str]
"""(field path relative to the spec, what is wrong and what to do)."""

LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
"""CloudWatch Logs API reference, PutRetentionPolicy, retentionInDays: the only values it takes."""

MAX_TASK_DEFINITION_BYTES = 64 * 1024
"""ECS developer guide, "Amazon ECS service quotas": task definition size, 64 KiB (not adjustable)."""
MAX_CONTAINERS = 10
"""ECS developer guide, "Amazon ECS service quotas": containers per task definition, 10 (not adjustable)."""
MIN_CONTAINER_MEMORY_MIB = 6
"""ECS API reference, ContainerDefinition.memory: the Docker daemon reserves 6 MiB; don't specify less."""
HEALTH_CHECK_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}
"""ECS API reference, HealthCheck data type: the valid range of each setting, in seconds (retries: a count)."""
FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})

_SCHEDULE_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)\Z")
_SCHEDULE_RATE = re.compile(r"rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)\Z")
_SCHEDULE_CRON = re.compile(r"cron\(([^()]*)\)\Z")
_SSM_PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*\Z")
_TAG_PUNCTUATION = frozenset(" _.:/=+-@")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$", re.I)


# --- small readers that never raise ------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(spec: Mapping[str, Any], field: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(index, item) for each mapping in the list ``spec[field]``."""
    return ((i, item) for i, item in enumerate(_list(spec.get(field))) if isinstance(item, Mapping))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _size(value: Any) -> int | None:
    """CPU units or MiB from ``1024``, ``"1024"``, ``"1 vCPU"`` or ``"2 GB"``; None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    match = _SIZE.match(str(value))
    if not match:
        return None
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    return int(number * 1024) if unit in ("vcpu", "gb") else int(number)


def _is_fargate(spec: Mapping[str, Any]) -> bool:
    return "FARGATE" in _list(spec.get("requiresCompatibilities"))


def _network_mode(spec: Mapping[str, Any]) -> str:
    """A task definition's network mode; AWS's default is bridge (Linux EC2)."""
    mode = spec.get("networkMode")
    return mode if isinstance(mode, str) else "bridge"


def _non_finite(value: Any, path: str) -> Iterator[Problem]:
    """Every ``.inf``/``.nan`` below ``value``."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, "infinity and NaN (.inf, .nan) are not numbers AWS takes: write a finite number"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _non_finite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, f"{path}[{index}]")


def _prefixed(prefix: str, problems: list[Problem]) -> list[Problem]:
    return [
        (f"{prefix}{'' if path.startswith('[') else '.'}{path}" if path else prefix, message)
        for path, message in problems
    ]


# --- task definitions --------------------------------------------------------------------------------------------


def task_definition_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """RegisterTaskDefinition's rules beyond botocore's model."""
    problems: list[Problem] = list(_non_finite(spec, ""))
    containers = list(_items(spec, "containerDefinitions"))
    mode = _network_mode(spec)
    fargate = _is_fargate(spec)
    volumes = {str(v.get("name")) for _, v in _items(spec, "volumes")}
    names = {str(c.get("name")) for _, c in containers}
    task_memory, task_cpu = _size(spec.get("memory")), _size(spec.get("cpu"))

    # ECS developer guide, "Amazon ECS service quotas": containers per task definition.
    if len(containers) > MAX_CONTAINERS:
        problems.append(
            ("containerDefinitions", f"{len(containers)} containers: a task definition holds at most {MAX_CONTAINERS}")
        )
    # ECS API reference, ContainerDefinition.essential: "All tasks must have at least one essential container."
    if containers and not any(c.get("essential", True) is not False for _, c in containers):
        problems.append(("containerDefinitions", "no essential container: mark at least one with essential: true"))

    for i, container in containers:
        problems += _prefixed(
            f"containerDefinitions[{i}]",
            _container_rules(
                container, mode=mode, fargate=fargate, volumes=volumes, names=names, task_memory=task_memory
            ),
        )

    # ECS API reference, ContainerDefinition.memory / cpu: the containers' reservations must fit in the task's
    # memory and cpu when those are set at task level.
    if task_memory is not None:
        reserved = sum(_int(c.get("memoryReservation")) or _int(c.get("memory")) or 0 for _, c in containers)
        if reserved > task_memory:
            problems.append(
                (
                    "memory",
                    f"containers reserve {reserved} MiB, more than the task's {task_memory} MiB: "
                    "lower their memory/memoryReservation or raise the task memory",
                )
            )
    if task_cpu is not None:
        used = sum(_int(c.get("cpu")) or 0 for _, c in containers)
        if used > task_cpu:
            problems.append(
                (
                    "cpu",
                    f"containers use {used} CPU units, more than the task's {task_cpu}: "
                    "lower their cpu or raise the task cpu",
                )
            )

    if fargate:
        problems += _fargate_task_rules(spec)
    # ECS developer guide, "Amazon ECS service quotas": task definition size, 64 KiB of JSON.
    try:
        size = len(json.dumps(spec, separators=(",", ":"), default=str).encode())
    except (TypeError, ValueError):
        size = 0
    if size > MAX_TASK_DEFINITION_BYTES:
        problems.append(
            (
                "",
                f"the task definition is {size} bytes of JSON, over AWS's limit of {MAX_TASK_DEFINITION_BYTES} "
                "(64 KiB): move long values (environment, commands) into environmentFiles or secrets",
            )
        )
    problems += _prefixed("tags", tag_rules(spec.get("tags")))
    return problems


def _container_rules(
    container: Mapping[str, Any],
    *,
    mode: str,
    fargate: bool,
    volumes: set[str],
    names: set[str],
    task_memory: int | None,
) -> list[Problem]:
    problems: list[Problem] = []
    name = container.get("name")

    # ECS API reference, ContainerDefinition.image: required by RegisterTaskDefinition (the model marks it optional).
    if not container.get("image"):
        problems.append(("image", "a container needs an image (a repository and tag, e.g. nginx:1.27)"))

    memory, reservation = _int(container.get("memory")), _int(container.get("memoryReservation"))
    # ECS API reference, ContainerDefinition.memory: on EC2 a task needs a task-level memory or, per container,
    # memory or memoryReservation.
    if not fargate and task_memory is None and memory is None and reservation is None:
        problems.append(
            ("memory", "on EC2 a container needs memory or memoryReservation (in MiB) when the task sets no memory")
        )
    # ECS API reference, ContainerDefinition.memory: "memory must be greater than memoryReservation".
    if memory is not None and reservation is not None and reservation > memory:
        problems.append(
            ("memoryReservation", f"memoryReservation {reservation} is above memory {memory}: make it smaller")
        )
    # ECS API reference, ContainerDefinition.memory: the Docker daemon reserves 6 MiB; don't specify less.
    for field, value in (("memory", memory), ("memoryReservation", reservation)):
        if value is not None and value < MIN_CONTAINER_MEMORY_MIB:
            problems.append((field, f"{value} MiB is too little: a container needs at least 6 MiB"))

    for j, mapping in _items(container, "portMappings"):
        container_port, host_port = _int(mapping.get("containerPort")), _int(mapping.get("hostPort"))
        # ECS API reference, PortMapping.hostPort: with awsvpc (and host) the hostPort is left out or equal to
        # the containerPort.
        if mode in ("awsvpc", "host") and host_port not in (None, container_port):
            problems.append(
                (
                    f"portMappings[{j}].hostPort",
                    f"with networkMode {mode} hostPort must equal containerPort ({container_port}): drop hostPort",
                )
            )
        # ECS API reference, PortMapping: ports are 0-65535 (a containerPort at least 1).
        for field, port, low in (("containerPort", container_port, 1), ("hostPort", host_port, 0)):
            if port is not None and not low <= port <= 65535:
                problems.append((f"portMappings[{j}].{field}", f"{port} is not a port: use {low}-65535"))

    check = _map(container.get("healthCheck"))
    for field, (low, high) in HEALTH_CHECK_RANGES.items():
        # ECS API reference, HealthCheck data type: each setting's valid range.
        value = _int(check.get(field))
        if value is not None and not low <= value <= high:
            unit = "" if field == "retries" else " seconds"
            problems.append((f"healthCheck.{field}", f"{value} is out of range: use {low}-{high}{unit}"))

    # ECS API reference, ContainerDefinition.links: only for the bridge network mode.
    if container.get("links") and mode != "bridge":
        problems.append(
            ("links", f"links work only with networkMode bridge, not {mode}: reach containers on localhost")
        )
    # ECS API reference, ContainerDefinition.hostname / dnsServers / dnsSearchDomains / extraHosts: not supported
    # with the awsvpc network mode.
    if mode == "awsvpc":
        for field in ("hostname", "dnsServers", "dnsSearchDomains", "extraHosts"):
            if container.get(field):
                problems.append((field, f"{field} is not supported with networkMode awsvpc: remove it"))

    log = _map(container.get("logConfiguration"))
    # ECS developer guide, "Using the awslogs log driver": awslogs-group is required.
    if log.get("logDriver") == "awslogs" and not _map(log.get("options")).get("awslogs-group"):
        problems.append(("logConfiguration.options", "the awslogs driver needs options.awslogs-group (a log group)"))

    # ECS API reference, Secret.valueFrom: the full ARN of a Secrets Manager secret or SSM parameter, or the name of
    # an SSM parameter in the task's Region.
    for j, secret in _items(container, "secrets"):
        value = secret.get("valueFrom")
        if isinstance(value, str) and not _is_secret_reference(value):
            problems.append(
                (
                    f"secrets[{j}].valueFrom",
                    "must be a Secrets Manager secret ARN, an SSM parameter ARN, or an SSM parameter name",
                )
            )
    # ECS API reference, EnvironmentFile.value: the ARN of an S3 object with a .env extension.
    for j, env_file in _items(container, "environmentFiles"):
        value = env_file.get("value")
        if isinstance(value, str) and not (value.startswith("arn:") and ":s3:::" in value and value.endswith(".env")):
            problems.append(
                (f"environmentFiles[{j}].value", "must be an S3 object ARN ending in .env (arn:aws:s3:::bucket/f.env)")
            )
    # ECS API reference, MountPoint.sourceVolume: the name of a volume of the task definition.
    for j, mount in _items(container, "mountPoints"):
        source = mount.get("sourceVolume")
        if isinstance(source, str) and source not in volumes:
            problems.append((f"mountPoints[{j}].sourceVolume", f"no volume {source!r}: declare it in spec.volumes"))
    # ECS API reference, ContainerDependency.containerName: another container of the same task definition.
    for j, dependency in _items(container, "dependsOn"):
        other = dependency.get("containerName")
        if isinstance(other, str) and (other not in names or other == name):
            problems.append(
                (
                    f"dependsOn[{j}].containerName",
                    f"{other!r} is not another container of this task definition: name one of {sorted(names - {name})}",
                )
            )

    if fargate:
        problems += _fargate_container_rules(container)
    return problems


def _is_secret_reference(value: str) -> bool:
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        return len(parts) == 6 and parts[2] in ("secretsmanager", "ssm")
    return bool(_SSM_PARAMETER_NAME.match(value))


def _fargate_container_rules(container: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    # ECS API reference, ContainerDefinition.privileged and dockerSecurityOptions: not supported on Fargate.
    if container.get("privileged") is True:
        problems.append(("privileged", "Fargate does not run privileged containers: remove privileged"))
    if container.get("dockerSecurityOptions"):
        problems.append(("dockerSecurityOptions", "not supported on Fargate: remove dockerSecurityOptions"))
    # ECS API reference, LinuxParameters: devices, sharedMemorySize and tmpfs are not supported on Fargate.
    linux = _map(container.get("linuxParameters"))
    for field in ("devices", "sharedMemorySize", "tmpfs"):
        if linux.get(field):
            problems.append((f"linuxParameters.{field}", f"{field} is not supported on Fargate: remove it"))
    return problems


def _fargate_task_rules(spec: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    # ECS API reference, HostVolumeProperties.sourcePath: bind mounts on Fargate take no host path.
    for i, volume in _items(spec, "volumes"):
        if _map(volume.get("host")).get("sourcePath"):
            problems.append(
                (f"volumes[{i}].host.sourcePath", "Fargate has no host paths: drop host.sourcePath (a task volume)")
            )
    # ECS API reference, RegisterTaskDefinition ipcMode: not supported on Fargate.
    if spec.get("ipcMode"):
        problems.append(("ipcMode", "Fargate does not support ipcMode: remove it"))
    # ECS API reference, RegisterTaskDefinition pidMode: Fargate supports only "task".
    if spec.get("pidMode") == "host":
        problems.append(("pidMode", "Fargate supports pidMode task only: use task or remove it"))
    # ECS API reference, TaskDefinitionPlacementConstraint: not supported for tasks run on Fargate.
    if spec.get("placementConstraints"):
        problems.append(("placementConstraints", "Fargate tasks take no placement constraints: remove them"))
    return problems


# --- services ----------------------------------------------------------------------------------------------------


def service_rules(spec: Mapping[str, Any], task_definition: Mapping[str, Any] | None) -> list[Problem]:
    """CreateService's rules beyond botocore's model; ``task_definition`` is the spec of the declared task definition
    of the service's family (None when the manifests do not declare it: the rules that need it are skipped)."""
    problems: list[Problem] = list(_non_finite(spec, ""))
    daemon = spec.get("schedulingStrategy") == "DAEMON"
    launch = spec.get("launchType")

    # ECS API reference, CreateService schedulingStrategy: DAEMON takes no desired count, no placement strategy,
    # no Fargate, and only the ECS deployment controller.
    if daemon:
        if "desiredCount" in spec:
            problems.append(("desiredCount", "a DAEMON service runs one task per instance: remove desiredCount"))
        if launch == "FARGATE" or any(p in FARGATE_PROVIDERS for p in _providers(spec.get("capacityProviderStrategy"))):
            problems.append(("schedulingStrategy", "Fargate does not support DAEMON services: use REPLICA"))
        if spec.get("placementStrategy"):
            problems.append(("placementStrategy", "a DAEMON service takes no placement strategy: remove it"))
        controller = _map(spec.get("deploymentController")).get("type", "ECS")
        if controller != "ECS":
            problems.append(
                ("schedulingStrategy", f"the {controller} deployment controller does not support DAEMON: use REPLICA")
            )

    # ECS API reference, AwsVpcConfiguration.assignPublicIp: only for tasks on Fargate.
    vpc = _map(_map(spec.get("networkConfiguration")).get("awsvpcConfiguration"))
    if launch == "EC2" and "assignPublicIp" in vpc:
        problems.append(
            (
                "networkConfiguration.awsvpcConfiguration.assignPublicIp",
                "EC2 tasks get no public IP from ECS: remove assignPublicIp (use a NAT gateway or public subnets)",
            )
        )
    # ECS API reference, CreateService platformVersion: only for tasks on Fargate.
    if launch == "EC2" and spec.get("platformVersion"):
        problems.append(("platformVersion", "platformVersion is for Fargate only: remove it with launchType EC2"))
    load_balancers = list(_items(spec, "loadBalancers"))
    # ECS API reference, CreateService healthCheckGracePeriodSeconds: only for services with a load balancer.
    if "healthCheckGracePeriodSeconds" in spec and not load_balancers:
        problems.append(
            ("healthCheckGracePeriodSeconds", "only services with loadBalancers take a grace period: remove it")
        )
    # ECS API reference, CreateService role: only with a load balancer and a task definition not using awsvpc.
    if spec.get("role") and not load_balancers:
        problems.append(("role", "role is only for services with loadBalancers: remove it"))

    problems += _strategy_rules(spec.get("capacityProviderStrategy"), "capacityProviderStrategy")

    # ECS API reference, LoadBalancer: with a target group, containerName and containerPort are required.
    for i, balancer in load_balancers:
        if balancer.get("targetGroupArn"):
            for field in ("containerName", "containerPort"):
                if field not in balancer:
                    problems.append((f"loadBalancers[{i}]", f"a target group needs {field}: add it"))

    problems += _prefixed("tags", tag_rules(spec.get("tags")))
    if task_definition is not None:
        problems += _service_with_task_definition(spec, task_definition, load_balancers)
    return problems


def _service_with_task_definition(
    spec: Mapping[str, Any], task_definition: Mapping[str, Any], load_balancers: list[tuple[int, Mapping[str, Any]]]
) -> list[Problem]:
    problems: list[Problem] = []
    mode = _network_mode(task_definition)
    containers = {str(c.get("name")): c for _, c in _items(task_definition, "containerDefinitions")}

    # ECS API reference, CreateService role: not with a task definition using the awsvpc network mode.
    if spec.get("role") and mode == "awsvpc":
        problems.append(("role", "an awsvpc task definition uses the service-linked role: remove role"))
    # ECS API reference, CreateService networkConfiguration: required for awsvpc, not supported otherwise.
    if "networkConfiguration" in spec and mode != "awsvpc":
        problems.append(
            ("networkConfiguration", f"the task definition uses networkMode {mode}: remove networkConfiguration")
        )
    if "networkConfiguration" not in spec and mode == "awsvpc":
        problems.append(
            ("networkConfiguration", "an awsvpc task definition needs networkConfiguration.awsvpcConfiguration")
        )

    # ECS API reference, LoadBalancer containerName / containerPort: a container of the task definition and one of
    # its port mappings.
    for i, balancer in load_balancers:
        name, port = balancer.get("containerName"), _int(balancer.get("containerPort"))
        if name is None:
            continue
        container = containers.get(str(name))
        if container is None:
            problems.append(
                (
                    f"loadBalancers[{i}].containerName",
                    f"the task definition has no container {name!r}: use one of {sorted(containers)}",
                )
            )
        elif port is not None and port not in _container_ports(container):
            problems.append(
                (
                    f"loadBalancers[{i}].containerPort",
                    f"container {name!r} maps no containerPort {port}: add a port mapping or use one it maps",
                )
            )

    # ECS API reference, ServiceConnectService.portName: the name of a port mapping of the task definition.
    port_names = {
        str(m.get("name"))
        for c in containers.values()
        for _, m in _items(c, "portMappings")
        if m.get("name") is not None
    }
    connect = _map(spec.get("serviceConnectConfiguration"))
    for i, service in _items(connect, "services"):
        port_name = service.get("portName")
        if port_name is not None and str(port_name) not in port_names:
            shown = sorted(port_names) or "none: name a port mapping with name:"
            problems.append(
                (
                    f"serviceConnectConfiguration.services[{i}].portName",
                    f"no port mapping of the task definition is named {port_name!r}; named ones: {shown}",
                )
            )
    return problems


def _container_ports(container: Mapping[str, Any]) -> set[int]:
    ports = set()
    for _, mapping in _items(container, "portMappings"):
        port = _int(mapping.get("containerPort"))
        if port is not None:
            ports.add(port)
    return ports


def _providers(strategy: Any) -> list[str]:
    return [str(item.get("capacityProvider")) for item in _list(strategy) if isinstance(item, Mapping)]


def _strategy_rules(strategy: Any, path: str) -> list[Problem]:
    """ECS API reference, CapacityProviderStrategyItem, and developer guide "Capacity provider strategies"."""
    items = [(i, item) for i, item in enumerate(_list(strategy)) if isinstance(item, Mapping)]
    if not items:
        return []
    problems: list[Problem] = []
    providers = [str(item.get("capacityProvider")) for _, item in items]
    # A strategy holds either Fargate providers or Auto Scaling group providers, not both.
    if {p in FARGATE_PROVIDERS for p in providers} == {True, False}:
        problems.append(
            (path, "mixes FARGATE/FARGATE_SPOT with Auto Scaling group providers: use one kind or the other")
        )
    # Only one capacity provider in a strategy can have a base defined.
    based = [i for i, item in items if (_int(item.get("base")) or 0) > 0]
    if len(based) > 1:
        problems.append((f"{path}[{based[1]}].base", "only one capacity provider of a strategy may set a base"))
    # Weights all 0: "any RunTask or CreateService actions using the capacity provider strategy will fail".
    if all((_int(item.get("weight")) or 0) == 0 for _, item in items):
        problems.append((path, "every weight is 0, so no task can be placed: give at least one provider a weight"))
    return problems


# --- clusters, log groups, scaling, tags -------------------------------------------------------------------------


def cluster_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateCluster's rules beyond botocore's model."""
    problems: list[Problem] = list(_non_finite(spec, ""))
    problems += _strategy_rules(spec.get("defaultCapacityProviderStrategy"), "defaultCapacityProviderStrategy")
    problems += _prefixed("tags", tag_rules(spec.get("tags")))
    return problems


def log_group_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateLogGroup and PutRetentionPolicy's rules beyond botocore's model."""
    problems: list[Problem] = list(_non_finite(spec, ""))
    # CloudWatch Logs API reference, PutRetentionPolicy retentionInDays: one of a fixed list of values.
    days = spec.get("retentionInDays")
    if days is not None and _int(days) not in LOG_RETENTION_DAYS:
        closest = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - (_int(days) or 0)))
        problems.append(
            (
                "retentionInDays",
                f"{days} is not a retention CloudWatch Logs offers (closest: {closest}); use one of "
                f"{', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        )
    # CloudWatch Logs API reference, CreateLogGroup kmsKeyId: the ARN of a KMS key.
    key = spec.get("kmsKeyId")
    if isinstance(key, str) and not (key.startswith("arn:") and ":kms:" in key):
        problems.append(("kmsKeyId", "must be a KMS key ARN (arn:aws:kms:region:account:key/id), not an id or alias"))
    problems += _prefixed("tags", tag_rules(spec.get("tags")))
    return problems


def scaling_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """Application Auto Scaling's rules beyond botocore's model, for a ScalingPolicy spec."""
    problems: list[Problem] = list(_non_finite(spec, ""))
    for i, action in _items(spec, "scheduledActions"):
        schedule = action.get("schedule")
        # Application Auto Scaling API reference, PutScheduledAction Schedule, and its user guide's "Schedule
        # recurring scaling actions using cron expressions": at(), rate() or a 6-field cron() with ? in
        # day-of-month or day-of-week.
        if isinstance(schedule, str) and (why := _schedule_problem(schedule)):
            problems.append((f"scheduledActions[{i}].schedule", why))
        # Application Auto Scaling API reference, ScalableTargetAction: MinCapacity must not exceed MaxCapacity.
        target = _map(action.get("scalableTargetAction"))
        low, high = _int(target.get("minCapacity")), _int(target.get("maxCapacity"))
        if low is not None and high is not None and low > high:
            problems.append(
                (
                    f"scheduledActions[{i}].scalableTargetAction.minCapacity",
                    f"minCapacity {low} is greater than maxCapacity {high}: swap or fix them",
                )
            )
        # Application Auto Scaling API reference, PutScheduledAction StartTime/EndTime: start before end.
        start, end = _timestamp(action.get("startTime")), _timestamp(action.get("endTime"))
        if start is not None and end is not None and start >= end:
            problems.append((f"scheduledActions[{i}].endTime", "endTime must be after startTime"))
    for i, policy in _items(spec, "policies"):
        step = _map(policy.get("stepScalingPolicyConfiguration"))
        problems += _prefixed(f"policies[{i}].stepScalingPolicyConfiguration", _step_rules(step))
    return problems


def _schedule_problem(schedule: str) -> str | None:
    usage = "use at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours day month weekday year)"
    if match := _SCHEDULE_AT.match(schedule):
        try:
            datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return f"{match.group(1)} is not a date and time: {usage}"
        return None
    if _SCHEDULE_RATE.match(schedule):
        return None
    if match := _SCHEDULE_CRON.match(schedule):
        fields = match.group(1).split()
        if len(fields) != 6:
            return f"a cron expression has 6 fields, this one {len(fields)}: {usage}"
        if "?" not in (fields[2], fields[4]):
            return "cron needs ? in day-of-month or day-of-week (one of them, e.g. cron(0 22 * * ? *))"
        return None
    return f"{schedule!r} is not a schedule: {usage}"


def _step_rules(step: Mapping[str, Any]) -> list[Problem]:
    """Application Auto Scaling API reference, StepAdjustment: intervals may not overlap or leave a gap, and at
    most one has no lower bound and one no upper bound."""
    adjustments = [(i, a) for i, a in _items(step, "stepAdjustments")]
    if len(adjustments) < 2:
        return []
    problems: list[Problem] = []
    lows = [a.get("metricIntervalLowerBound") for _, a in adjustments]
    highs = [a.get("metricIntervalUpperBound") for _, a in adjustments]
    if lows.count(None) > 1 or highs.count(None) > 1:
        problems.append(("stepAdjustments", "only one step may leave out its lower bound, and one its upper bound"))
        return problems
    try:
        ranked = sorted(
            zip(lows, highs, strict=True), key=lambda bounds: -math.inf if bounds[0] is None else float(bounds[0])
        )
    except (TypeError, ValueError):
        return problems
    for (_, high), (low, _) in zip(ranked, ranked[1:], strict=False):
        if high is None or low is None or float(high) != float(low):
            problems.append(
                ("stepAdjustments", "step intervals must meet end to end (each upper bound the next lower bound)")
            )
            break
    return problems


def _timestamp(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def tag_rules(tags: Any) -> list[Problem]:
    """ECS API reference, Tag data type / TagResource, and CloudWatch Logs TagLogGroup: the reserved ``aws:``
    prefix and the characters tags may hold. ``tags`` is ECS's ``[{key, value}]`` list or a ``{key: value}`` map;
    paths are relative to it (``[0].key``, ``team``)."""
    pairs: list[tuple[str, Any, Any, str]]
    if isinstance(tags, Mapping):
        pairs = [(str(key), str(key), value, str(key)) for key, value in tags.items()]
    else:
        pairs = [
            (f"[{i}].key", item.get("key"), item.get("value"), f"[{i}].value")
            for i, item in enumerate(_list(tags))
            if isinstance(item, Mapping)
        ]
    problems: list[Problem] = []
    for key_path, key, value, value_path in pairs:
        if not isinstance(key, str):
            continue
        if key.lower().startswith("aws:"):
            problems.append((key_path, f"tag key {key!r}: the aws: prefix (any case) is reserved for AWS; rename it"))
        if bad := _bad_tag_characters(key):
            problems.append((key_path, f"tag key {key!r} holds {bad}: use letters, digits, spaces and _ . : / = + - @"))
        if isinstance(value, str) and (bad := _bad_tag_characters(value)):
            problems.append((value_path, f"tag value holds {bad}: use letters, digits, spaces and _ . : / = + - @"))
    return problems


def _bad_tag_characters(text: str) -> str | None:
    bad = sorted({c for c in text if not (c.isalnum() or c in _TAG_PUNCTUATION)})
    return " ".join(repr(c) for c in bad) if bad else None
