"""The TaskDefinition kind: immutable revisions of a family; a new one is registered only when content differs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconciler.core.actions import Reason
from reconciler.core.aws_rules import as_size, fargate_compatible
from reconciler.core.diff import FieldChange, compare, drop_empty, key_values, keyed, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import (
    BaseKind,
    Decision,
    Exports,
    Findings,
    InPlace,
    PlanContext,
    Reference,
    Refers,
    TagsOnly,
    only_tags,
)
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name, family_of, revision_of
from reconciler.core.redact import credential_shape, is_sensitive
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.core.shapes import input_members
from reconciler.kinds.cluster import export_tags
from reconciler.kinds.defaults import fill, strip
from reconciler.kinds.log_group import KIND as LOG_GROUP
from reconciler.kinds.task_definition_rules import fargate_size_rules, task_definition_rules

OPERATION = "RegisterTaskDefinition"
CONTENT_FIELDS = input_members("ecs", OPERATION) - {"family", "tags"}
"""What a revision holds: RegisterTaskDefinition's input, per botocore's model."""
NEW_REVISION = "(new revision)"
"""Stands for the revision an earlier action of the same plan registers: ``family:(new revision)``."""
KEEP_REVISIONS_ANNOTATION = "ecs-reconciler/keep-revisions"
"""Annotation overriding how many ACTIVE revisions of the family are kept."""


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


def _port_mapping(mapping: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    return fill("portMapping", mapping, {"networkMode": network_mode})


def _container(container: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    out = fill("container", container)
    out.pop("name", None)
    for part in ("healthCheck", "restartPolicy"):
        if out.get(part):
            out[part] = fill(f"container.{part}", out[part], {"restartPolicy.enabled": out[part].get("enabled")})
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


def _volume(volume: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(volume)
    if out.get("efsVolumeConfiguration"):
        efs = fill("volume.efsVolumeConfiguration", out["efsVolumeConfiguration"])
        if efs.get("authorizationConfig"):
            efs["authorizationConfig"] = fill("volume.authorizationConfig", efs["authorizationConfig"])
        out["efsVolumeConfiguration"] = efs
    return out


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a RegisterTaskDefinition input or a DescribeTaskDefinition answer (plus its tags), with
    the defaults AWS fills in (``reconciler.kinds.defaults``) on both sides."""
    out = fill("task", {k: v for k, v in doc.items() if k in CONTENT_FIELDS})
    network_mode = str(out["networkMode"])
    for field in ("cpu", "memory"):
        if field in out:
            size = as_size(out[field])
            out[field] = str(size) if size is not None else str(out[field])
    if "containerDefinitions" in out:
        out["containerDefinitions"] = {
            str(c.get("name")): _container(c, network_mode) for c in out["containerDefinitions"] or []
        }
    if "volumes" in out:
        out["volumes"] = keyed([_volume(v) for v in out["volumes"] or []], "name")
    for field in ("requiresCompatibilities", "placementConstraints", "inferenceAccelerators"):
        if field in out:
            out[field] = sorted(out[field] or [], key=repr)
    if "proxyConfiguration" in out and out["proxyConfiguration"]:
        proxy = fill("task.proxyConfiguration", out["proxyConfiguration"])
        proxy["properties"] = key_values(proxy.get("properties"), "name", "value")
        out["proxyConfiguration"] = proxy
    out = drop_empty(out)
    tags = user_tags(doc.get("tags"))
    if tags:
        out["tags"] = tags
    return out


def log_groups(doc: Mapping[str, Any], *, region: str | None = None) -> list[tuple[str, str, bool]]:
    """(field path, group, created by the task itself) for each container of a task definition (spec or describe
    output) that logs with awslogs; with ``region``, only groups in that region (``awslogs-region`` may name
    another, which is not ours to see)."""
    found = []
    for i, container in enumerate(doc.get("containerDefinitions") or []):
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
            continue
        if region is not None and options.get("awslogs-region", region) != region:
            continue
        path = f"spec.containerDefinitions[{i}].logConfiguration.options.awslogs-group"
        creates = str(options.get("awslogs-create-group", "")).lower() == "true"
        found.append((path, str(options["awslogs-group"]), creates))
    return found


def revision_to_run(ref: str, ctx: PlanContext) -> str:
    """The ``family:revision`` a resource naming ``ref`` (family, family:revision or ARN) is to run: pinned by the
    manifest, the revision this plan registers (``family:(new revision)``), or the family's latest live one."""
    if ":" in revision_of(ref):
        return revision_of(ref)
    family = Address(KIND_NAME, family_of(ref))
    if family in ctx.produced:
        return ctx.produced[family]
    live = ctx.observed.get(family)
    return revision_of(str(live.body["taskDefinitionArn"])) if live else f"{family.name}:{NEW_REVISION}"


def _export_container(container: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    out = strip("container", container)
    if out.get("healthCheck"):
        out["healthCheck"] = strip("container.healthCheck", out["healthCheck"])
    mode = {"networkMode": network_mode}
    out["portMappings"] = [strip("portMapping", p, mode) for p in out.get("portMappings") or []]
    return out


# --- security findings (rules in reconciler.core.security) --------------------------------------------------------


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for i, container in enumerate(spec.get("containerDefinitions") or []):
        yield f"spec.containerDefinitions[{i}]", container


def _image_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag: it runs whatever 'latest' is at launch"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image!r} is tagged latest: each task may run different code"
    return None


def _is_root(user: Any) -> bool:
    return str(user).split(":", 1)[0].strip() in ("", "root", "0")


KIND_NAME = "TaskDefinition"


class TaskDefinitionKind(BaseKind, Refers, Exports, Findings):
    name = KIND_NAME
    name_field = "family"

    def check_name(self, name: object) -> str | None:
        return check_ecs_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec("ecs", OPERATION, spec, provided=["family"])

    def spec_schema(self) -> dict[str, Any]:
        return input_schema("ecs", OPERATION, provided=["family"])

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name)

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
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
        errors += resource.spec_errors(task_definition_rules(spec))
        if not fargate_compatible(spec):
            return errors
        if not spec.get("executionRoleArn") and (why := _needs_execution_role(spec)):
            error("spec.executionRoleArn", f"a Fargate task needs an execution role when {why}")
        if spec.get("networkMode") != "awsvpc":
            error("spec.networkMode", f"Fargate requires networkMode 'awsvpc', got {spec.get('networkMode')!r}")
        errors += resource.spec_errors(fargate_size_rules(spec))
        return errors

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        """The awslogs groups the containers write to in the tool's region; needed unless the task creates them
        (``awslogs-create-group: "true"``)."""
        missing = (
            "log group {!r} is neither declared (kind LogGroup) nor live, and awslogs-create-group is not "
            '"true": the task would fail to start'
        )
        return [
            Reference(Address(LOG_GROUP.name, group), path, required=not creates, missing=missing.format(group))
            for path, group, creates in log_groups(resource.spec, region=region)
        ]

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        return [Address(LOG_GROUP.name, group) for _, group, _ in log_groups(live.body, region=region)]

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        """Changes between the spec and the latest ACTIVE revision; any content change means a new revision."""
        return compare(normalize(live.body), normalize(resource.spec))

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        """Only tags differ: the latest revision is retagged; any other change registers a new revision."""
        if live is not None and only_tags(changes):
            return TagsOnly()
        return InPlace(Reason.NEW_REVISION, f"{resource.address.name}:{NEW_REVISION}")

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        body = live.body
        spec = strip("task", {k: v for k, v in body.items() if k in CONTENT_FIELDS})
        mode = str(spec.get("networkMode", "bridge"))
        spec["containerDefinitions"] = [_export_container(c, mode) for c in spec.get("containerDefinitions") or []]
        return drop_empty({**spec, **export_tags(body)})

    def findings(self, resource: Resource, declared: Mapping[Address, Resource]) -> Iterator[tuple[str, str, str]]:
        spec = resource.spec
        mode = spec.get("networkMode")
        if mode != "awsvpc":
            shown = mode or "bridge (the default)"
            yield (
                "network-mode",
                "spec.networkMode",
                f"networkMode {shown} gives tasks no network isolation of their own",
            )
        for path, container in containers(spec):
            name = container.get("name")
            for j, env in enumerate(container.get("environment") or []):
                env_name, value = str(env.get("name", "")), env.get("value")
                if not value:
                    continue
                shape = credential_shape(value, name=env_name) if isinstance(value, str) else None
                if shape is not None:
                    held = f"a credential ({shape})"
                elif is_sensitive(env_name):
                    held = "a literal value"
                else:
                    continue
                yield (
                    "plaintext-secret",
                    f"{path}.environment[{j}]",
                    f"container {name}: {env_name} holds {held} in plaintext environment",
                )
            if container.get("privileged") is True:
                yield "privileged", f"{path}.privileged", f"container {name} runs privileged (root on the host)"
            if "user" not in container:
                yield "root-user", path, f"container {name} sets no user, so it runs as the image's user (often root)"
            elif _is_root(container["user"]):
                yield "root-user", f"{path}.user", f"container {name} runs as root"
            if container.get("readonlyRootFilesystem") is not True:
                yield (
                    "writable-root-filesystem",
                    f"{path}.readonlyRootFilesystem",
                    f"container {name} can write to its root filesystem",
                )
            if (problem := _image_problem(str(container.get("image", "")))) is not None:
                yield "image-tag", f"{path}.image", f"container {name}: {problem}"


KIND = TaskDefinitionKind()
