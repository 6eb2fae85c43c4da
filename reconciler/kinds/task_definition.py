"""The TaskDefinition kind: immutable revisions of a family; a new one is registered only when content differs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.aws import Aws
from reconciler.core.diff import FieldChange, compare, drop_empty, key_values, keyed, user_tags
from reconciler.core.errors import AwsError, ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.schema import ShapeProblem, check_spec, input_members
from reconciler.tags import is_managed, managed_tags, sync_tags

KIND = "TaskDefinition"
NAME_FIELD = "family"
OPERATION = "RegisterTaskDefinition"
CONTENT_FIELDS = input_members("ecs", OPERATION) - {"family", "tags"}
"""What a revision holds: RegisterTaskDefinition's input, per botocore's model."""

FARGATE_MEMORY = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}
"""Fargate task sizes: vCPU units to the memory (MiB) values allowed with them (ECS developer guide)."""
_UNITS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$", re.I)


check_name = check_ecs_name


def check_shape(spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
    return check_spec("ecs", OPERATION, spec, provided=[NAME_FIELD])


def address(name: str, spec: Mapping[str, Any]) -> Address:
    return Address(KIND, name)


def task_size(value: Any) -> int | None:
    """CPU units or MiB from ``"1024"``, ``1024``, ``"1 vCPU"`` or ``"2 GB"``; None when unreadable."""
    match = _UNITS.match(str(value))
    if not match:
        return None
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    return int(number * 1024) if unit in ("vcpu", "gb") else int(number)


def _is_fargate(spec: Mapping[str, Any]) -> bool:
    return "FARGATE" in (spec.get("requiresCompatibilities") or [])


def _needs_execution_role(spec: Mapping[str, Any]) -> str | None:
    """Why ECS needs an execution role to start this task (ECS developer guide, "Task execution IAM role")."""
    for container in spec.get("containerDefinitions") or []:
        name = container.get("name")
        if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
            return f"container {name!r} logs with awslogs"
        if container.get("secrets"):
            return f"container {name!r} uses secrets"
        if container.get("repositoryCredentials") or ".dkr.ecr." in str(container.get("image", "")):
            return f"container {name!r} pulls from a private registry"
    return None


def check(resource: Resource) -> list[ManifestError]:
    """Fargate rules (awsvpc, task-level size, valid cpu/memory pair) and container names."""
    spec, errors = resource.spec, []

    def error(path: str, message: str) -> None:
        errors.append(resource.error(path, message))

    seen: set[str] = set()
    for i, container in enumerate(spec.get("containerDefinitions") or []):
        name = container.get("name")
        problem = check_ecs_name(name)
        if problem:
            error(f"spec.containerDefinitions[{i}].name", problem)
        elif name in seen:
            error(f"spec.containerDefinitions[{i}].name", f"duplicate container name {name!r}")
        seen.add(str(name))
    if not _is_fargate(spec):
        return errors
    if not spec.get("executionRoleArn") and (why := _needs_execution_role(spec)):
        error("spec.executionRoleArn", f"a Fargate task needs an execution role when {why}")
    if spec.get("networkMode") != "awsvpc":
        error("spec.networkMode", f"Fargate requires networkMode 'awsvpc', got {spec.get('networkMode')!r}")
    cpu, memory = task_size(spec.get("cpu")), task_size(spec.get("memory"))
    if spec.get("cpu") is None or spec.get("memory") is None:
        error("spec.cpu" if spec.get("cpu") is None else "spec.memory", "Fargate requires task-level cpu and memory")
    elif cpu not in FARGATE_MEMORY:
        error("spec.cpu", f"{spec['cpu']!r} is not a Fargate CPU size; use one of {sorted(FARGATE_MEMORY)}")
    elif memory not in FARGATE_MEMORY[cpu]:
        allowed = FARGATE_MEMORY[cpu]
        error(
            "spec.memory",
            f"{spec['memory']!r} is not valid with cpu {spec['cpu']!r} on Fargate: "
            f"use {allowed.start} to {allowed.stop - 1} MiB in steps of {allowed.step}",
        )
    return errors


def _port_mapping(mapping: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    out = {"protocol": "tcp", **mapping}
    if network_mode in ("awsvpc", "host") and "hostPort" not in out and "containerPort" in out:
        out["hostPort"] = out["containerPort"]
    return out


def _container(container: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    out = dict(container)
    out.pop("name", None)
    if out.get("cpu", 0) == 0:
        out.pop("cpu", None)
    if out.get("essential", True) is True:
        out.pop("essential", None)
    if "portMappings" in out:
        ports = [_port_mapping(p, network_mode) for p in out["portMappings"] or []]
        out["portMappings"] = sorted(ports, key=lambda p: (p.get("containerPort", 0), p["protocol"], str(p)))
    if "environment" in out:
        out["environment"] = key_values(out["environment"], "name", "value")
    if "secrets" in out:
        out["secrets"] = key_values(out["secrets"], "name", "valueFrom")
    for field, key in (("ulimits", "name"), ("dependsOn", "containerName"), ("systemControls", "namespace")):
        if field in out:
            out[field] = keyed(out[field], key)
    for field in ("links", "dnsServers", "dnsSearchDomains", "dockerSecurityOptions"):
        if field in out:
            out[field] = sorted(out[field] or [])
    for field in ("mountPoints", "volumesFrom", "extraHosts", "environmentFiles"):
        if field in out:
            out[field] = sorted(out[field] or [], key=repr)
    return out


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a RegisterTaskDefinition input or a DescribeTaskDefinition answer (plus its tags)."""
    out = {k: v for k, v in doc.items() if k in CONTENT_FIELDS}
    network_mode = str(out.setdefault("networkMode", "bridge"))
    for field in ("cpu", "memory"):
        if field in out:
            size = task_size(out[field])
            out[field] = str(size) if size is not None else str(out[field])
    if "containerDefinitions" in out:
        out["containerDefinitions"] = {
            str(c.get("name")): _container(c, network_mode) for c in out["containerDefinitions"] or []
        }
    if "volumes" in out:
        out["volumes"] = keyed(out["volumes"], "name")
    for field in ("requiresCompatibilities", "placementConstraints", "inferenceAccelerators"):
        if field in out:
            out[field] = sorted(out[field] or [], key=repr)
    if "proxyConfiguration" in out and out["proxyConfiguration"]:
        proxy = dict(out["proxyConfiguration"])
        proxy["properties"] = key_values(proxy.get("properties"), "name", "value")
        out["proxyConfiguration"] = proxy
    out = drop_empty(out)
    tags = user_tags(doc.get("tags"))
    if tags:
        out["tags"] = tags
    return out


def diff(resource: Resource, live: Live) -> list[FieldChange]:
    """Changes between the spec and the latest ACTIVE revision; any content change means a new revision."""
    return compare(normalize(live.body), normalize(resource.spec))


def log_groups(doc: Mapping[str, Any], *, region: str | None = None) -> set[str]:
    """Every awslogs group the containers of a task definition (spec or describe output) write to; with
    ``region``, only those in that region (``awslogs-region``, when set, names another)."""
    return {
        str(c["logConfiguration"]["options"]["awslogs-group"])
        for c in doc.get("containerDefinitions") or []
        if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs"
        and "awslogs-group" in (c["logConfiguration"].get("options") or {})
        and (region is None or c["logConfiguration"]["options"].get("awslogs-region", region) == region)
    }


def only_tags_changed(changes: list[FieldChange]) -> bool:
    return bool(changes) and all(c.path == "tags" or c.path.startswith("tags.") for c in changes)


def observe(aws: Aws, families: list[str]) -> dict[Address, Live]:
    """The latest ACTIVE revision of each family (one DescribeTaskDefinition each, concurrently)."""

    def describe(family: str) -> Live | None:
        try:
            answer = aws.call("ecs", "DescribeTaskDefinition", family, taskDefinition=family, include=["TAGS"])
        except AwsError as exc:
            if exc.code in ("ClientException", "ResourceNotFoundException"):
                return None
            raise
        body = {**answer["taskDefinition"], "tags": answer.get("tags", [])}
        return Live(Address(KIND, family), body, managed=is_managed(body["tags"]))

    return {live.address: live for live in aws.map(describe, sorted(set(families))) if live is not None}


def list_managed(aws: Aws) -> dict[Address, Live]:
    """Every live family whose latest revision carries the managed-by tag (for prune)."""
    families = aws.pages("ecs", "ListTaskDefinitionFamilies", "families", status="ACTIVE")
    return {a: v for a, v in observe(aws, families).items() if v.managed}


def revision_of(arn_or_ref: str) -> str:
    """``family:revision`` from a task definition ARN (or the reference itself)."""
    return arn_or_ref.rsplit("/", 1)[-1]


def register(aws: Aws, resource: Resource, *, revision: str | None) -> str:
    """Register a new revision; returns its ARN."""
    spec = dict(resource.spec)
    spec["tags"] = managed_tags(spec.get("tags"), revision=revision)
    answer = aws.call("ecs", "RegisterTaskDefinition", resource.address.name, family=resource.address.name, **spec)
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def retag(aws: Aws, resource: Resource, live: Live, *, revision: str | None) -> str:
    """Only tags differ: tag the latest revision in place instead of registering a new one."""
    arn = str(live.body["taskDefinitionArn"])
    sync_tags(aws, arn, resource.spec, live.body.get("tags"), revision=revision)
    return arn


def active_revisions(aws: Aws, family: str) -> list[str]:
    """ARNs of the family's ACTIVE revisions, newest first."""
    arns = aws.pages(
        "ecs", "ListTaskDefinitions", "taskDefinitionArns", family, familyPrefix=family, status="ACTIVE", sort="DESC"
    )
    exact = [a for a in arns if revision_of(a).rsplit(":", 1)[0] == family]
    return sorted(exact, key=lambda a: int(a.rsplit(":", 1)[-1]), reverse=True)


def deregister_old(aws: Aws, family: str, *, keep: int, in_use: set[str]) -> list[str]:
    """Deregister ACTIVE revisions beyond the newest ``keep``, never one in ``in_use`` (``family:rev``)."""
    old = [a for a in active_revisions(aws, family)[keep:] if revision_of(a) not in in_use]
    for arn in old:
        aws.call("ecs", "DeregisterTaskDefinition", revision_of(arn), taskDefinition=arn)
    return old


def delete(aws: Aws, live: Live, *, in_use: set[str]) -> None:
    """Prune a family: deregister every ACTIVE revision no service uses."""
    deregister_old(aws, live.address.name, keep=0, in_use=in_use)
