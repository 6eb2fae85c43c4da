"""RegisterTaskDefinition's rules for how containers run (see ``reconciler.core.aws_rules`` for the form of a rule):
the runtime platform (ARM64, Windows) and its Fargate sizes, restart policies, start and stop timeouts, GPUs and
Neuron devices, FireLens log routers and health-check command forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, as_list, as_map, as_size, fargate_compatible, mappings, prefixed

WINDOWS_FARGATE_CPU = (1024, 2048, 4096)
"""ECS API reference, RegisterTaskDefinition memory ("The CPU units cannot be less than 1 vCPU when you use Windows
containers on Fargate"; 8 and 16 vCPU "require Linux platform 1.4.0 or later"): the cpu sizes Windows tasks on
Fargate take."""
RESTART_ATTEMPT_PERIOD = (60, 1800)
"""ECS API reference, ContainerRestartPolicy.restartAttemptPeriod: seconds, minimum 60, maximum 1800."""
MAX_IGNORED_EXIT_CODES = 50
"""ECS API reference, ContainerRestartPolicy.ignoredExitCodes: at most 50 exit codes."""
FARGATE_TIMEOUT = (2, 120)
"""ECS API reference, ContainerDefinition.startTimeout / stopTimeout: "The valid values for Fargate are 2-120
seconds"."""
HEALTH_CHECK_FORMS = ("CMD", "CMD-SHELL")
"""ECS API reference, HealthCheck.command: the array starts with CMD (arguments run directly) or CMD-SHELL (run
with the container's default shell)."""
FIRELENS_CONFIG_TYPES = ("s3", "file")
"""ECS API reference, FirelensConfiguration.options: config-file-type is s3 or file."""


def is_windows(spec: Mapping[str, Any]) -> bool:
    """Whether a task definition runs Windows containers (runtimePlatform.operatingSystemFamily WINDOWS_*)."""
    family = as_map(spec.get("runtimePlatform")).get("operatingSystemFamily")
    return isinstance(family, str) and family.startswith("WINDOWS")


def is_arm(spec: Mapping[str, Any]) -> bool:
    """Whether a task definition runs on ARM (runtimePlatform.cpuArchitecture ARM64)."""
    return as_map(spec.get("runtimePlatform")).get("cpuArchitecture") == "ARM64"


def runtime_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """The runtime platform and the containers' restart, timeout, device, FireLens and health-check rules."""
    fargate = fargate_compatible(spec)
    compatibilities = as_list(spec.get("requiresCompatibilities"))
    problems = _platform_rules(spec, fargate=fargate)
    containers = list(mappings(spec, "containerDefinitions"))
    for i, container in containers:
        problems += prefixed(
            f"containerDefinitions[{i}]", _container_rules(container, fargate=fargate, compatibilities=compatibilities)
        )
    problems += _firelens_task_rules(containers)
    # ECS API reference, ResourceRequirement.value: "Only one container in a task can specify NeuronDevice
    # resources."
    neuron = [
        i for i, c in containers if "NeuronDevice" in {r.get("type") for _, r in mappings(c, "resourceRequirements")}
    ]
    if len(neuron) > 1:
        problems.append(
            (
                f"containerDefinitions[{neuron[1]}].resourceRequirements",
                "only one container of a task may take NeuronDevice resources: remove them from the others",
            )
        )
    return problems


def _platform_rules(spec: Mapping[str, Any], *, fargate: bool) -> list[Problem]:
    problems: list[Problem] = []
    windows = is_windows(spec)
    # ECS API reference, RuntimePlatform.cpuArchitecture: ARM64 runs Linux tasks ("You can run your Linux tasks on
    # an ARM-based platform").
    if windows and is_arm(spec):
        problems.append(
            ("runtimePlatform.cpuArchitecture", "ARM64 runs Linux tasks only: use X86_64 for Windows containers")
        )
    if windows and fargate:
        cpu = as_size(spec.get("cpu"))
        # ECS API reference, RegisterTaskDefinition memory: Windows on Fargate takes no less than 1 vCPU, and the
        # 8 and 16 vCPU sizes need the Linux platform.
        if cpu is not None and cpu not in WINDOWS_FARGATE_CPU:
            problems.append(
                (
                    "cpu",
                    f"Windows containers on Fargate take cpu 1024, 2048 or 4096 (1, 2 or 4 vCPU), not {cpu}: use one",
                )
            )
        # ECS developer guide, "Fargate task ephemeral storage": not supported for Windows containers on Fargate.
        if "ephemeralStorage" in spec:
            problems.append(("ephemeralStorage", "Windows containers on Fargate take no ephemeralStorage: remove it"))
    if windows:
        # ECS API reference, RegisterTaskDefinition pidMode / ipcMode: "not supported for Windows containers".
        for field in ("pidMode", "ipcMode"):
            if spec.get(field):
                problems.append((field, f"{field} is not supported for Windows containers: remove it"))
    return problems


def _container_rules(container: Mapping[str, Any], *, fargate: bool, compatibilities: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    restart = as_map(container.get("restartPolicy"))
    period = as_int(restart.get("restartAttemptPeriod"))
    low, high = RESTART_ATTEMPT_PERIOD
    # ECS API reference, ContainerRestartPolicy.restartAttemptPeriod: 60 to 1800 seconds.
    if period is not None and not low <= period <= high:
        problems.append(("restartPolicy.restartAttemptPeriod", f"{period} is out of range: use {low}-{high} seconds"))
    # ECS API reference, ContainerRestartPolicy.ignoredExitCodes: at most 50.
    codes = as_list(restart.get("ignoredExitCodes"))
    if len(codes) > MAX_IGNORED_EXIT_CODES:
        problems.append(
            ("restartPolicy.ignoredExitCodes", f"{len(codes)} exit codes: list at most {MAX_IGNORED_EXIT_CODES}")
        )

    if fargate:
        low, high = FARGATE_TIMEOUT
        # ECS API reference, ContainerDefinition.startTimeout / stopTimeout: 2-120 seconds on Fargate.
        for field in ("startTimeout", "stopTimeout"):
            value = as_int(container.get(field))
            if value is not None and not low <= value <= high:
                problems.append((field, f"{value} seconds is out of Fargate's range: use {low}-{high}"))

    for j, requirement in mappings(container, "resourceRequirements"):
        kind = requirement.get("type")
        # ECS developer guide, "Amazon ECS task definition differences for Fargate": GPUs and Elastic Inference
        # accelerators are not supported on Fargate.
        if fargate and kind in ("GPU", "InferenceAccelerator"):
            problems.append(
                (
                    f"resourceRequirements[{j}].type",
                    f"Fargate tasks take no {kind}: run them on EC2 or Managed Instances",
                )
            )
        # ECS API reference, ResourceRequirement.value: NeuronDevice "must be ALL" and is "only supported on Managed
        # Instances".
        if kind == "NeuronDevice":
            if requirement.get("value") != "ALL":
                problems.append((f"resourceRequirements[{j}].value", "NeuronDevice takes the value ALL: use ALL"))
            if compatibilities and "MANAGED_INSTANCES" not in compatibilities:
                problems.append(
                    (
                        f"resourceRequirements[{j}].type",
                        "NeuronDevice runs on Managed Instances only: use requiresCompatibilities [MANAGED_INSTANCES]",
                    )
                )

    command = as_list(as_map(container.get("healthCheck")).get("command"))
    # ECS API reference, HealthCheck.command: starts with CMD or CMD-SHELL, followed by the command.
    if command and command[0] not in HEALTH_CHECK_FORMS:
        problems.append(
            (
                "healthCheck.command",
                f"starts with {command[0]!r}: start it with CMD (run directly) or CMD-SHELL (a shell)",
            )
        )
    elif len(command) == 1:
        problems.append(("healthCheck.command", f"{command[0]} runs nothing: add the command after it"))
    problems += _firelens_container_rules(container, fargate=fargate)
    return problems


def _firelens_container_rules(container: Mapping[str, Any], *, fargate: bool) -> list[Problem]:
    options = as_map(as_map(container.get("firelensConfiguration")).get("options"))
    config_type, config_value = options.get("config-file-type"), options.get("config-file-value")
    problems: list[Problem] = []
    # ECS API reference, FirelensConfiguration.options: config-file-type s3 or file, with a config-file-value.
    if config_type is not None and config_type not in FIRELENS_CONFIG_TYPES:
        problems.append(("firelensConfiguration.options.config-file-type", f"{config_type!r}: use s3 or file"))
    if config_type is not None and not config_value:
        problems.append(
            (
                "firelensConfiguration.options.config-file-value",
                "config-file-type needs config-file-value (an S3 object ARN or a file path in the image): add it",
            )
        )
    # ECS API reference, FirelensConfiguration.options: "Tasks hosted on Fargate only support the file
    # configuration file type."
    if fargate and config_type == "s3":
        problems.append(
            (
                "firelensConfiguration.options.config-file-type",
                "Fargate reads FireLens configuration from a file only: use file and bake it into the image",
            )
        )
    return problems


def _firelens_task_rules(containers: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    routers = [i for i, c in containers if "firelensConfiguration" in c]
    problems: list[Problem] = []
    # ECS developer guide, "Send Amazon ECS logs to an AWS service or AWS Partner" (FireLens): a task has one log
    # router container.
    if len(routers) > 1:
        problems.append(
            (
                f"containerDefinitions[{routers[1]}].firelensConfiguration",
                "a task has one FireLens log router: remove this one",
            )
        )
    # ECS developer guide, FireLens: the awsfirelens log driver routes to the task's log router container.
    for i, container in containers:
        if as_map(container.get("logConfiguration")).get("logDriver") == "awsfirelens" and not routers:
            problems.append(
                (
                    f"containerDefinitions[{i}].logConfiguration.logDriver",
                    "awsfirelens needs a log router: add a container with firelensConfiguration (fluentbit or fluentd)",
                )
            )
    return problems
