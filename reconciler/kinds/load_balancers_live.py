"""A service's load balancers against Elastic Load Balancing: at plan time, each target group exists, sits behind a
load balancer and fits the task definition (target type for its network mode, protocol and container port for its
port mappings); during a rollout, which targets are not healthy and why.

The task definition is the declared one when the service names its family, else the live revision it names. Rules
that need only the declared task definition (the container and port exist) run offline in ``aws_rules``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.errors import AwsError, ManifestError
from reconciler.core.model import Address, Resource
from reconciler.core.names import family_of, revision_of
from reconciler.kinds.task_definition import KIND as TASK_DEFINITION

TARGET_TYPES = {"awsvpc": "ip", "bridge": "instance", "host": "instance"}
"""The target type ECS registers a task as, by the task definition's network mode (ECS developer guide, load
balancing: awsvpc tasks register their ENI's IP, bridge and host tasks the container instance)."""
UDP_PROTOCOLS = frozenset({"UDP", "TCP_UDP"})
"""Target group protocols that carry UDP: the container's port mapping must be udp."""


@dataclass(frozen=True)
class _Entry:
    resource: Resource
    index: int
    balancer: Mapping[str, Any]

    def error(self, field: str, message: str) -> ManifestError:
        return self.resource.error(f"spec.loadBalancers[{self.index}].{field}", message)


def describe_target_groups(aws: Aws, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Target groups by ARN, 20 a call; a chunk naming one that does not exist is asked again ARN by ARN, so the
    answer leaves out exactly the missing ones."""

    def one(chunk: list[str]) -> list[dict[str, Any]]:
        try:
            return list(
                aws.call("elbv2", "DescribeTargetGroups", ",".join(chunk), TargetGroupArns=chunk)["TargetGroups"]
            )
        except AwsError as exc:
            if exc.code != "TargetGroupNotFound":
                raise
        if len(chunk) == 1:
            return []
        return [group for arn in chunk for group in one([arn])]

    return {str(g["TargetGroupArn"]): g for chunk in aws.map(one, batches(sorted(set(arns)), 20)) for g in chunk}


def _task_definitions(
    aws: Aws, services: Sequence[Resource], declared: Mapping[Address, Resource]
) -> dict[str, Mapping[str, Any] | None]:
    """The task definition each service runs, by its ``taskDefinition`` value: declared (family named alone), else
    live (DescribeTaskDefinition); None when neither (the reference check reports that)."""
    out: dict[str, Mapping[str, Any] | None] = {}
    for service in services:
        ref = str(service.spec.get("taskDefinition") or "")
        if not ref or ref in out:
            continue
        mine = declared.get(Address(TASK_DEFINITION.name, family_of(ref)))
        if mine is not None and ":" not in revision_of(ref):
            out[ref] = mine.spec
            continue
        try:
            out[ref] = aws.call("ecs", "DescribeTaskDefinition", ref, taskDefinition=ref)["taskDefinition"]
        except AwsError as exc:
            if exc.code not in ("ClientException", "InvalidParameterException"):
                raise
            out[ref] = None
    return out


def _mapping(task_definition: Mapping[str, Any], container: object, port: object) -> Mapping[str, Any] | None:
    for item in task_definition.get("containerDefinitions") or []:
        if item.get("name") == container:
            for mapping in item.get("portMappings") or []:
                if mapping.get("containerPort") == port:
                    return dict(mapping)
    return None


def _check_entry(entry: _Entry, group: Mapping[str, Any] | None, task: Mapping[str, Any] | None) -> list[ManifestError]:
    arn = str(entry.balancer["targetGroupArn"])
    if group is None:
        return [entry.error("targetGroupArn", f"target group {arn} does not exist (elbv2 DescribeTargetGroups)")]
    name = group.get("TargetGroupName", arn)
    errors = []
    if not group.get("LoadBalancerArns"):
        errors.append(
            entry.error("targetGroupArn", f"target group {name} is not attached to a load balancer (add a listener)")
        )
    if task is None:
        return errors
    mode = str(task.get("networkMode") or "bridge")  # ECS's default network mode for Linux tasks
    wanted, actual = TARGET_TYPES.get(mode), group.get("TargetType", "instance")
    if wanted and actual != wanted:
        errors.append(
            entry.error(
                "targetGroupArn",
                f"target group {name} has target type {actual}, but networkMode {mode} tasks register as {wanted} "
                f"targets: use a target group of type {wanted}",
            )
        )
    container, port = entry.balancer.get("containerName"), entry.balancer.get("containerPort")
    mapping = _mapping(task, container, port)
    if mapping is None:
        family = revision_of(str(task.get("taskDefinitionArn") or task.get("family") or "the task definition"))
        errors.append(
            entry.error("containerPort", f"{family} has no container {container!r} mapping containerPort {port}")
        )
        return errors
    carries = str(mapping.get("protocol") or "tcp")
    protocol = str(group.get("Protocol") or "")
    if protocol and (carries == "udp") != (protocol in UDP_PROTOCOLS):
        errors.append(
            entry.error(
                "containerPort",
                f"target group {name} speaks {protocol} but container {container!r} maps port {port} as {carries}",
            )
        )
    return errors


def check_load_balancers(
    aws: Aws, services: Sequence[Resource], declared: Mapping[Address, Resource]
) -> list[ManifestError]:
    """Every ``loadBalancers`` entry with a target group, checked against elbv2 and the task definition."""
    entries = [
        _Entry(service, i, balancer)
        for service in services
        for i, balancer in enumerate(service.spec.get("loadBalancers") or [])
        if balancer.get("targetGroupArn")
    ]
    if not entries:
        return []
    groups = describe_target_groups(aws, [str(e.balancer["targetGroupArn"]) for e in entries])
    tasks = _task_definitions(aws, [e.resource for e in entries], declared)
    errors = []
    for entry in entries:
        task = tasks.get(str(entry.resource.spec.get("taskDefinition") or ""))
        errors += _check_entry(entry, groups.get(str(entry.balancer["targetGroupArn"])), task)
    return errors


@dataclass(frozen=True)
class UnhealthyTarget:
    """One registered target that is not healthy, as Elastic Load Balancing explains it."""

    target_group: str
    target: str
    port: int | None
    state: str
    reason: str
    description: str

    def __str__(self) -> str:
        where = f"{self.target}:{self.port}" if self.port is not None else self.target
        why = f"{self.reason}: {self.description}" if self.description else self.reason
        return f"{where} in {self.target_group} is {self.state} ({why})"


def unhealthy_targets(aws: Aws, service: Mapping[str, Any]) -> list[UnhealthyTarget]:
    """The targets of a service's target groups (a DescribeServices entry) that are not healthy, with ELB's reason
    (``Target.ResponseCodeMismatch``, ``Target.Timeout``, ...): what a rollout that waits too long reports."""
    arns = sorted({str(b["targetGroupArn"]) for b in service.get("loadBalancers") or [] if b.get("targetGroupArn")})

    def one(arn: str) -> list[UnhealthyTarget]:
        answer = aws.call("elbv2", "DescribeTargetHealth", arn, TargetGroupArn=arn)
        out = []
        for item in answer.get("TargetHealthDescriptions", []):
            health = item.get("TargetHealth") or {}
            if health.get("State") != "healthy":
                target = item.get("Target") or {}
                out.append(
                    UnhealthyTarget(
                        arn.rsplit("/", 2)[-2] if arn.count("/") >= 2 else arn,
                        str(target.get("Id", "")),
                        target.get("Port"),
                        str(health.get("State", "unknown")),
                        str(health.get("Reason", "")),
                        str(health.get("Description", "")),
                    )
                )
        return out

    return [target for group in aws.map(one, arns) for target in group]
