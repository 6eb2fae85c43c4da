"""RegisterTaskDefinition's rules beyond botocore's model (see ``reconciler.core.aws_rules`` for the form of a rule):
the containers, their memory, ports, health checks, links, logs, secrets, files, mounts and dependencies, and what
Fargate refuses; how containers run and what storage they get are in ``task_definition_runtime_rules`` and
``task_definition_storage_rules``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import (
    Problem,
    as_int,
    as_map,
    as_size,
    fargate_compatible,
    mappings,
    network_mode,
    non_finite,
    prefixed,
    tag_rules,
)
from reconciler.kinds.task_definition_runtime_rules import runtime_rules
from reconciler.kinds.task_definition_storage_rules import storage_rules

MAX_TASK_DEFINITION_BYTES = 64 * 1024
"""ECS developer guide, "Amazon ECS service quotas": task definition size, 64 KiB (not adjustable)."""
MAX_CONTAINERS = 10
"""ECS developer guide, "Amazon ECS service quotas": containers per task definition, 10 (not adjustable)."""
MIN_CONTAINER_MEMORY_MIB = 6
"""ECS API reference, ContainerDefinition.memory: the Docker daemon reserves 6 MiB; don't specify less."""
HEALTH_CHECK_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}
"""ECS API reference, HealthCheck data type: the valid range of each setting, in seconds (retries: a count)."""
_SSM_PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*\Z")


def task_definition_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """RegisterTaskDefinition's rules beyond botocore's model."""
    problems: list[Problem] = list(non_finite(spec, ""))
    containers = list(mappings(spec, "containerDefinitions"))
    mode = network_mode(spec)
    fargate = fargate_compatible(spec)
    volumes = {str(v.get("name")) for _, v in mappings(spec, "volumes")}
    names = {str(c.get("name")) for _, c in containers}
    task_memory, task_cpu = as_size(spec.get("memory")), as_size(spec.get("cpu"))

    # ECS developer guide, "Amazon ECS service quotas": containers per task definition.
    if len(containers) > MAX_CONTAINERS:
        problems.append(
            ("containerDefinitions", f"{len(containers)} containers: a task definition holds at most {MAX_CONTAINERS}")
        )
    # ECS API reference, ContainerDefinition.essential: "All tasks must have at least one essential container."
    if containers and not any(c.get("essential", True) is not False for _, c in containers):
        problems.append(("containerDefinitions", "no essential container: mark at least one with essential: true"))

    for i, container in containers:
        problems += prefixed(
            f"containerDefinitions[{i}]",
            _container_rules(
                container, mode=mode, fargate=fargate, volumes=volumes, names=names, task_memory=task_memory
            ),
        )

    problems += _fit_rules(containers, task_memory=task_memory, task_cpu=task_cpu)
    if fargate:
        problems += _fargate_task_rules(spec)
    problems += runtime_rules(spec) + storage_rules(spec)
    problems += _size_rules(spec)
    problems += prefixed("tags", tag_rules(spec.get("tags")))
    return problems


def _fit_rules(
    containers: list[tuple[int, Mapping[str, Any]]], *, task_memory: int | None, task_cpu: int | None
) -> list[Problem]:
    """The containers' memory and cpu against the task's."""
    problems: list[Problem] = []
    # ECS API reference, ContainerDefinition.memory / cpu: the containers' reservations must fit in the task's
    # memory and cpu when those are set at task level.
    if task_memory is not None:
        reserved = sum(as_int(c.get("memoryReservation")) or as_int(c.get("memory")) or 0 for _, c in containers)
        if reserved > task_memory:
            problems.append(
                (
                    "memory",
                    f"containers reserve {reserved} MiB, more than the task's {task_memory} MiB: "
                    "lower their memory/memoryReservation or raise the task memory",
                )
            )
    if task_cpu is not None:
        used = sum(as_int(c.get("cpu")) or 0 for _, c in containers)
        if used > task_cpu:
            problems.append(
                (
                    "cpu",
                    f"containers use {used} CPU units, more than the task's {task_cpu}: "
                    "lower their cpu or raise the task cpu",
                )
            )
    return problems


def _size_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """The task definition's size as JSON."""
    problems: list[Problem] = []
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
    """One container's rules, in its task definition (network mode, Fargate, volumes, container names, memory)."""
    problems: list[Problem] = []
    # ECS API reference, ContainerDefinition.image: required by RegisterTaskDefinition (the model marks it optional).
    if not container.get("image"):
        problems.append(("image", "a container needs an image (a repository and tag, e.g. nginx:1.27)"))

    problems += _memory_rules(container, fargate=fargate, task_memory=task_memory)
    problems += _port_rules(container, mode)
    problems += _health_check_rules(container)
    problems += _network_mode_rules(container, mode)

    log = as_map(container.get("logConfiguration"))
    # ECS developer guide, "Using the awslogs log driver": awslogs-group is required.
    if log.get("logDriver") == "awslogs" and not as_map(log.get("options")).get("awslogs-group"):
        problems.append(("logConfiguration.options", "the awslogs driver needs options.awslogs-group (a log group)"))

    problems += _reference_rules(container, volumes=volumes, names=names)
    if fargate:
        problems += _fargate_container_rules(container)
    return problems


def _memory_rules(container: Mapping[str, Any], *, fargate: bool, task_memory: int | None) -> list[Problem]:
    """A container's memory and memory reservation."""
    problems: list[Problem] = []
    memory, reservation = as_int(container.get("memory")), as_int(container.get("memoryReservation"))
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
    return problems


def _port_rules(container: Mapping[str, Any], mode: str) -> list[Problem]:
    """A container's port mappings, for the task's network mode."""
    problems: list[Problem] = []
    for j, mapping in mappings(container, "portMappings"):
        container_port, host_port = as_int(mapping.get("containerPort")), as_int(mapping.get("hostPort"))
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
    return problems


def _health_check_rules(container: Mapping[str, Any]) -> list[Problem]:
    """A container's health check settings."""
    problems: list[Problem] = []
    check = as_map(container.get("healthCheck"))
    for field, (low, high) in HEALTH_CHECK_RANGES.items():
        # ECS API reference, HealthCheck data type: each setting's valid range.
        value = as_int(check.get(field))
        if value is not None and not low <= value <= high:
            unit = "" if field == "retries" else " seconds"
            problems.append((f"healthCheck.{field}", f"{value} is out of range: use {low}-{high}{unit}"))
    return problems


def _network_mode_rules(container: Mapping[str, Any], mode: str) -> list[Problem]:
    """What a container may set in the task's network mode."""
    problems: list[Problem] = []
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
    return problems


def _reference_rules(container: Mapping[str, Any], *, volumes: set[str], names: set[str]) -> list[Problem]:
    """What a container names: secrets, environment files, volumes and the containers it depends on."""
    problems: list[Problem] = []
    name = container.get("name")
    # ECS API reference, Secret.valueFrom: the full ARN of a Secrets Manager secret or SSM parameter, or the name of
    # an SSM parameter in the task's Region.
    for j, secret in mappings(container, "secrets"):
        value = secret.get("valueFrom")
        if isinstance(value, str) and not _is_secret_reference(value):
            problems.append(
                (
                    f"secrets[{j}].valueFrom",
                    "must be a Secrets Manager secret ARN, an SSM parameter ARN, or an SSM parameter name",
                )
            )
    # ECS API reference, EnvironmentFile.value: the ARN of an S3 object with a .env extension.
    for j, env_file in mappings(container, "environmentFiles"):
        value = env_file.get("value")
        if isinstance(value, str) and not (value.startswith("arn:") and ":s3:::" in value and value.endswith(".env")):
            problems.append(
                (f"environmentFiles[{j}].value", "must be an S3 object ARN ending in .env (arn:aws:s3:::bucket/f.env)")
            )
    # ECS API reference, MountPoint.sourceVolume: the name of a volume of the task definition.
    for j, mount in mappings(container, "mountPoints"):
        source = mount.get("sourceVolume")
        if isinstance(source, str) and source not in volumes:
            problems.append((f"mountPoints[{j}].sourceVolume", f"no volume {source!r}: declare it in spec.volumes"))
    # ECS API reference, ContainerDependency.containerName: another container of the same task definition.
    for j, dependency in mappings(container, "dependsOn"):
        other = dependency.get("containerName")
        if isinstance(other, str) and (other not in names or other == name):
            problems.append(
                (
                    f"dependsOn[{j}].containerName",
                    f"{other!r} is not another container of this task definition: name one of {sorted(names - {name})}",
                )
            )
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
    linux = as_map(container.get("linuxParameters"))
    for field in ("devices", "sharedMemorySize", "tmpfs"):
        if linux.get(field):
            problems.append((f"linuxParameters.{field}", f"{field} is not supported on Fargate: remove it"))
    return problems


def _fargate_task_rules(spec: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    # ECS API reference, HostVolumeProperties.sourcePath: bind mounts on Fargate take no host path.
    for i, volume in mappings(spec, "volumes"):
        if as_map(volume.get("host")).get("sourcePath"):
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


def _gib(start: int, stop: int, step: int) -> tuple[int, ...]:
    """MiB values from ``start`` to ``stop`` GB inclusive, in ``step`` GB steps."""
    return tuple(range(start * 1024, stop * 1024 + 1, step * 1024))


FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _gib(1, 4, 1),
    1024: _gib(2, 8, 1),
    2048: _gib(4, 16, 1),
    4096: _gib(8, 30, 1),
    8192: _gib(16, 60, 4),
    16384: _gib(32, 120, 8),
}
"""Fargate task sizes: CPU units to the memory values (MiB) allowed with them, as AWS publishes them (ECS developer
guide, "Troubleshoot Amazon ECS task definition invalid CPU or memory errors", task-cpu-memory-error.html, and the
ECS API reference, RegisterTaskDefinition ``memory``): 256 takes 512 MiB, 1 GB or 2 GB (not 1.5 GB); 512 takes 1 to
4 GB and 1024 takes 2 to 8 GB, in 1 GB steps; 2048 takes 4 to 16 GB and 4096 8 to 30 GB, in 1 GB steps; 8192 takes 16
to 60 GB in 4 GB steps and 16384 32 to 120 GB in 8 GB steps."""


def _allowed_memory(cpu: int) -> str:
    """What memory goes with ``cpu`` on Fargate, in words: the values, or the range and its step."""
    allowed = FARGATE_SIZES[cpu]
    if len(allowed) <= 4:
        return ", ".join(str(m) for m in allowed) + " MiB"
    step = allowed[1] - allowed[0]
    return f"{allowed[0]} to {allowed[-1]} MiB ({allowed[0] // 1024} to {allowed[-1] // 1024} GB) in steps of {step}"


def fargate_size_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """A Fargate task's cpu and memory: both set, and a pair from ``FARGATE_SIZES`` (RegisterTaskDefinition answers
    "Invalid 'cpu' setting for task" otherwise)."""
    if spec.get("cpu") is None or spec.get("memory") is None:
        return [("cpu" if spec.get("cpu") is None else "memory", "Fargate requires task-level cpu and memory")]
    cpu, memory = as_size(spec.get("cpu")), as_size(spec.get("memory"))
    if cpu not in FARGATE_SIZES:
        sizes = ", ".join(str(c) for c in FARGATE_SIZES)
        return [("cpu", f"{spec['cpu']!r} is not a Fargate CPU size: use one of {sizes} CPU units")]
    if memory not in FARGATE_SIZES[cpu]:
        return [
            (
                "memory",
                f"{spec['memory']!r} is not valid with cpu {spec['cpu']!r} on Fargate: "
                f"with {cpu} CPU units use {_allowed_memory(cpu)}",
            )
        ]
    return []
