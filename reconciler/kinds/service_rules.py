"""CreateService's rules beyond botocore's model (see ``reconciler.core.aws_rules`` for the form of a rule): DAEMON
services, launch-type-only fields, load balancers, networks, Availability Zone rebalancing, and what the service's
task definition must agree with (ports Service Connect and VPC Lattice name, Fargate Spot on Windows); its EBS
volumes are in ``service_volume_rules``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import (
    Problem,
    as_int,
    as_list,
    as_map,
    mappings,
    network_mode,
    non_finite,
    on_fargate,
    prefixed,
    providers_of,
    strategy_rules,
    tag_rules,
)
from reconciler.kinds.service_volume_rules import volume_rules
from reconciler.kinds.task_definition_runtime_rules import is_windows

MAX_SUBNETS = 16
"""ECS API reference, AwsVpcConfiguration.subnets: "There's a limit of 16 subnets"."""
MAX_SECURITY_GROUPS = 5
"""ECS API reference, AwsVpcConfiguration.securityGroups: "There's a limit of 5 security groups"."""


def service_rules(spec: Mapping[str, Any], task_definition: Mapping[str, Any] | None) -> list[Problem]:
    """CreateService's rules beyond botocore's model; ``task_definition`` is the spec of the declared task definition
    of the service's family (None when the manifests do not declare it: the rules that need it are skipped)."""
    problems: list[Problem] = list(non_finite(spec, ""))
    launch = spec.get("launchType")

    # ECS API reference, CreateService capacityProviderStrategy: "If a capacityProviderStrategy is specified, the
    # launchType parameter must be omitted."
    if "launchType" in spec and "capacityProviderStrategy" in spec:
        problems.append(("capacityProviderStrategy", "set either launchType or capacityProviderStrategy, not both"))
    # ECS API reference, CreateService launchType: "If you want to use Amazon ECS Managed Instances, you must use the
    # capacityProviderStrategy request parameter and omit the launchType request parameter."
    if launch == "MANAGED_INSTANCES":
        problems.append(
            (
                "launchType",
                "Managed Instances run through a capacity provider: name it in capacityProviderStrategy instead",
            )
        )
    # ECS API reference, CreateService networkConfiguration: required for task definitions that use the awsvpc
    # network mode, which Fargate tasks always use.
    if launch == "FARGATE" and "networkConfiguration" not in spec:
        problems.append(("networkConfiguration", "Fargate services need networkConfiguration.awsvpcConfiguration"))

    if spec.get("schedulingStrategy") == "DAEMON":
        problems += _daemon_rules(spec)

    # ECS API reference, AwsVpcConfiguration.assignPublicIp: only for tasks on Fargate.
    vpc = as_map(as_map(spec.get("networkConfiguration")).get("awsvpcConfiguration"))
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
    load_balancers = list(mappings(spec, "loadBalancers"))
    # healthCheckGracePeriodSeconds needs no load balancer: ECS API reference, CreateService, applies it to "Elastic
    # Load Balancing, VPC Lattice, and container health checks" (and leaves it unused without any).
    # ECS API reference, CreateService role: only with a load balancer and a task definition not using awsvpc.
    if spec.get("role") and not load_balancers:
        problems.append(("role", "role is only for services with loadBalancers: remove it"))

    problems += strategy_rules(spec.get("capacityProviderStrategy"), "capacityProviderStrategy")
    problems += _network_rules(vpc)
    problems += _rebalancing_rules(spec, load_balancers)

    # ECS API reference, LoadBalancer: with a target group, containerName and containerPort are required.
    for i, balancer in load_balancers:
        if balancer.get("targetGroupArn"):
            for field in ("containerName", "containerPort"):
                if field not in balancer:
                    problems.append((f"loadBalancers[{i}]", f"a target group needs {field}: add it"))

    problems += prefixed("tags", tag_rules(spec.get("tags")))
    windows = is_windows(task_definition) if task_definition is not None else None
    problems += volume_rules(spec, task_definition, fargate=on_fargate(spec), windows=windows)
    if task_definition is not None:
        problems += _service_with_task_definition(spec, task_definition, load_balancers)
        problems += _fargate_spot_rules(spec, task_definition)
    return problems


def _daemon_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """What a DAEMON service may not set."""
    problems: list[Problem] = []
    # ECS API reference, CreateService schedulingStrategy: DAEMON takes no desired count, no placement strategy,
    # no Fargate, and only the ECS deployment controller.
    if "desiredCount" in spec:
        problems.append(("desiredCount", "a DAEMON service runs one task per instance: remove desiredCount"))
    if on_fargate(spec):
        problems.append(("schedulingStrategy", "Fargate does not support DAEMON services: use REPLICA"))
    if spec.get("placementStrategy"):
        problems.append(("placementStrategy", "a DAEMON service takes no placement strategy: remove it"))
    controller = as_map(spec.get("deploymentController")).get("type", "ECS")
    if controller != "ECS":
        problems.append(
            ("schedulingStrategy", f"the {controller} deployment controller does not support DAEMON: use REPLICA")
        )
    return problems


def _network_rules(vpc: Mapping[str, Any]) -> list[Problem]:
    """ECS API reference, AwsVpcConfiguration subnets / securityGroups: at most 16 subnets and 5 security groups."""
    problems: list[Problem] = []
    for field, most in (("subnets", MAX_SUBNETS), ("securityGroups", MAX_SECURITY_GROUPS)):
        count = len(as_list(vpc.get(field)))
        if count > most:
            problems.append(
                (f"networkConfiguration.awsvpcConfiguration.{field}", f"{count} {field}: a task takes at most {most}")
            )
    return problems


def _rebalancing_rules(spec: Mapping[str, Any], load_balancers: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    """ECS developer guide, "Balancing an Amazon ECS service across Availability Zones": what Availability Zone
    rebalancing does not support."""
    if spec.get("availabilityZoneRebalancing") != "ENABLED":
        return []
    field, problems = "availabilityZoneRebalancing", []
    fix = "set availabilityZoneRebalancing: DISABLED"
    if spec.get("schedulingStrategy") == "DAEMON":
        problems.append((field, f"DAEMON services are not rebalanced across Availability Zones: {fix}"))
    if spec.get("launchType") == "EXTERNAL":
        problems.append((field, f"EXTERNAL tasks are not rebalanced across Availability Zones: {fix}"))
    if as_int(as_map(spec.get("deploymentConfiguration")).get("maximumPercent")) == 100:
        problems.append(
            (field, f"rebalancing needs room to start a task first; maximumPercent 100 leaves none: raise it or {fix}")
        )
    if any(b.get("loadBalancerName") for _, b in load_balancers):
        problems.append(
            (field, f"services behind a Classic Load Balancer are not rebalanced: use a target group or {fix}")
        )
    for i, constraint in mappings(spec, "placementConstraints"):
        if "attribute:ecs.availability-zone" in str(constraint.get("expression", "")):
            problems.append(
                (
                    f"placementConstraints[{i}].expression",
                    f"a constraint on ecs.availability-zone forbids rebalancing: remove it or {fix}",
                )
            )
    return problems


def _fargate_spot_rules(spec: Mapping[str, Any], task_definition: Mapping[str, Any]) -> list[Problem]:
    """ECS developer guide, "AWS Fargate capacity providers": "Windows containers on Fargate don't support the
    Fargate Spot capacity provider" (ARM64 Linux tasks do, on platform 1.4.0: API CapacityProviderStrategyItem)."""
    if "FARGATE_SPOT" in providers_of(spec.get("capacityProviderStrategy")) and is_windows(task_definition):
        return [("capacityProviderStrategy", "Fargate Spot does not run Windows tasks: use FARGATE")]
    return []


def _service_with_task_definition(
    spec: Mapping[str, Any], task_definition: Mapping[str, Any], load_balancers: list[tuple[int, Mapping[str, Any]]]
) -> list[Problem]:
    problems: list[Problem] = []
    mode = network_mode(task_definition)
    containers = {str(c.get("name")): c for _, c in mappings(task_definition, "containerDefinitions")}

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
        name, port = balancer.get("containerName"), as_int(balancer.get("containerPort"))
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
        for _, m in mappings(c, "portMappings")
        if m.get("name") is not None
    }
    connect = as_map(spec.get("serviceConnectConfiguration"))
    shown = sorted(port_names) or "none: name a port mapping with name:"
    protocols = {
        str(m.get("name")): str(m.get("appProtocol") or "tcp")
        for c in containers.values()
        for _, m in mappings(c, "portMappings")
        if m.get("name") is not None
    }

    def check_port_name(path: str, port_name: Any) -> None:
        if port_name is not None and str(port_name) not in port_names:
            named = f"no port mapping of the task definition is named {port_name!r}; named ones: {shown}"
            problems.append((path, named))

    for i, service in mappings(connect, "services"):
        port_name = service.get("portName")
        check_port_name(f"serviceConnectConfiguration.services[{i}].portName", port_name)
        # ECS API reference, TimeoutConfiguration.perRequestTimeoutSeconds: "can only be set if Service Connect
        # appProtocol isn't TCP" (a port mapping without appProtocol is TCP, PortMapping.appProtocol).
        timeout = as_map(service.get("timeout"))
        if "perRequestTimeoutSeconds" in timeout and protocols.get(str(port_name), "tcp").lower() == "tcp":
            problems.append(
                (
                    f"serviceConnectConfiguration.services[{i}].timeout.perRequestTimeoutSeconds",
                    f"port {port_name!r} speaks TCP, which takes only idleTimeoutSeconds: remove it or set the "
                    "port mapping's appProtocol (http, http2, grpc)",
                )
            )
    # ECS API reference, VpcLatticeConfiguration.portName: "the name of the portMapping you defined in your task
    # definition".
    for i, lattice in mappings(spec, "vpcLatticeConfigurations"):
        check_port_name(f"vpcLatticeConfigurations[{i}].portName", lattice.get("portName"))
    return problems


def _container_ports(container: Mapping[str, Any]) -> set[int]:
    ports = set()
    for _, mapping in mappings(container, "portMappings"):
        port = as_int(mapping.get("containerPort"))
        if port is not None:
            ports.add(port)
    return ports
