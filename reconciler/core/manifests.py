"""From loaded YAML documents to checked desired resources: envelope, botocore model, domain rules, references."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.core.errors import InvalidManifests, ManifestError
from reconciler.core.loader import Document, load_text, load_tree, with_source_text
from reconciler.core.model import Address, Observed, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.variables import Parameter, ssm_paths, substitute
from reconciler.kinds import KINDS, log_group, scaling, service, task_definition

SsmReader = Callable[[list[str]], Mapping[str, Parameter]]
"""Reads SSM parameters by name (the shell's, it calls AWS); names it cannot find are left out of the answer."""

API_VERSION = "ecs-reconciler/v1"
ENVELOPE = frozenset({"apiVersion", "kind", "metadata", "spec"})
METADATA = frozenset({"name", "annotations"})


def _resource(doc: Document, errors: list[ManifestError]) -> Resource | None:
    body: Mapping[str, Any] = doc.body
    start = len(errors)

    def error(path: str, message: str) -> None:
        errors.append(ManifestError(doc.file, message, line=doc.line_of(path), field=path or None))

    for key in sorted(set(body) - ENVELOPE):
        error(key, f"unknown top-level field {key!r}; a manifest has apiVersion, kind, metadata and spec")
    if body.get("apiVersion") != API_VERSION:
        error("apiVersion", f"expected {API_VERSION!r}, got {body.get('apiVersion')!r}")
    kind = body.get("kind")
    module = KINDS.get(kind) if isinstance(kind, str) else None
    if module is None:
        error("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        error("metadata", "missing or not a mapping; it needs at least a name")
        return None
    for key in sorted(set(metadata) - METADATA):
        error(f"metadata.{key}", f"unknown field {key!r}; metadata has name and annotations")
    name = metadata.get("name")
    if problem := (module.check_name if module else check_ecs_name)(name):
        error("metadata.name", problem)
    annotations = metadata.get("annotations") or {}
    if not isinstance(annotations, Mapping) or not all(isinstance(v, str) for v in annotations.values()):
        error("metadata.annotations", "must be a mapping of strings to strings")
        annotations = {}
    spec = body.get("spec", {})
    if not isinstance(spec, Mapping):
        error("spec", "must be a mapping (the API input, camelCase)")
        return None
    if module is None or len(errors) > start:
        return None
    if module.NAME_FIELD and module.NAME_FIELD in spec:
        error(f"spec.{module.NAME_FIELD}", f"the name comes from metadata.name; remove spec.{module.NAME_FIELD}")
        return None
    if doc.sources:  # numbers and booleans that land in string fields keep their text as written
        spec = with_source_text(spec, doc.sources, path="spec")
    spec, shape_problems = module.check_shape(spec)
    for shape_problem in shape_problems:
        error(f"spec.{shape_problem.path}" if shape_problem.path else "spec", shape_problem.message)
    if len(errors) > start:
        return None
    resource = Resource(
        module.address(str(name), spec),
        spec,
        doc.file,
        doc.line,
        dict(annotations),
        {path: line for path, line in doc.lines.items()},
    )
    errors.extend(module.check(resource))
    return resource if len(errors) == start else None


def _cross_check(resources: list[Resource], errors: list[ManifestError]) -> None:
    families = {r.address.name: r for r in resources if r.address.kind == task_definition.KIND}
    for r in resources:
        if r.address.kind != service.KIND or r.spec.get("launchType") != "FARGATE":
            continue
        td = families.get(service.family_of(str(r.spec.get("taskDefinition", ""))))
        if td and "FARGATE" not in (td.spec.get("requiresCompatibilities") or []):
            errors.append(
                r.error(
                    "spec.launchType",
                    f"launchType FARGATE needs task definition {td.address.name!r} to list FARGATE in "
                    f"requiresCompatibilities ({td.file})",
                )
            )


def parse_documents(docs: list[Document]) -> tuple[list[Resource], list[ManifestError]]:
    """Every resource the documents declare, and every problem found (all at once)."""
    errors: list[ManifestError] = []
    resources: list[Resource] = []
    first_seen: dict[Address, Resource] = {}
    for doc in docs:
        resource = _resource(doc, errors)
        if resource is None:
            continue
        if (other := first_seen.get(resource.address)) is not None:
            errors.append(
                ManifestError(
                    doc.file,
                    f"duplicate {resource.address}: already declared in {other.file}:{other.line}",
                    line=doc.line_of("metadata.name"),
                    field="metadata.name",
                )
            )
            continue
        first_seen[resource.address] = resource
        resources.append(resource)
    _cross_check(resources, errors)
    return resources, errors


def load_resources(
    path: str | os.PathLike[str], *, variables: Mapping[str, str] | None = None, ssm: SsmReader | None = None
) -> list[Resource]:
    """Load and check a manifest tree; raises InvalidManifests listing every problem (see ``resources_from``)."""
    if not os.path.isdir(path):
        raise InvalidManifests([ManifestError(str(path), "not a directory")])
    docs, errors = load_tree(path)
    return resources_from(docs, errors, variables=variables, ssm=ssm)


def resources_from(
    loaded: list[Document],
    load_errors: list[ManifestError],
    *,
    variables: Mapping[str, str] | None = None,
    ssm: SsmReader | None = None,
) -> list[Resource]:
    """Check documents already read into memory (with the loader's errors); raises InvalidManifests.

    ``variables`` fill ``${VAR}`` placeholders. The documents are checked offline first, ``${ssm:...}`` placeholders
    left as written; only when that passes, and ``ssm`` is given, are the parameters read and the documents checked
    again with their values (so a bad manifest never costs an AWS call).
    """
    docs, problems = substitute(loaded, variables or {})
    resources, invalid = parse_documents(docs) if not problems else ([], [])
    errors = load_errors + problems + invalid
    if not errors and ssm is not None and (names := ssm_paths(loaded)):
        docs, errors = substitute(loaded, variables or {}, ssm=ssm(names))
        if not errors:
            resources, errors = parse_documents(docs)
    if errors:
        raise InvalidManifests(sorted(errors, key=lambda e: (e.file, e.line or 0)))
    return resources


def load_var_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """A ``--var-file``: one YAML mapping of names to scalar values, read as safely as a manifest."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InvalidManifests([ManifestError(name, f"cannot read var file: {exc.strerror}")]) from exc
    docs, errors = load_text(data, file=name)
    if len(docs) > 1:
        errors.append(ManifestError(name, "a var file holds one YAML mapping", line=docs[1].line))
    values: dict[str, str] = {}
    for key, value in (docs[0].body if docs else {}).items():
        if isinstance(value, str):
            values[key] = value
        elif isinstance(value, bool | int | float):
            values[key] = docs[0].sources.get(key, str(value))  # as written: 1.10 stays "1.10", yes stays "yes"
        else:
            errors.append(ManifestError(name, "must be a string or number", line=docs[0].line_of(key), field=key))
    if errors:
        raise InvalidManifests(errors)
    return values


ECS_TASKS = "ecs-tasks.amazonaws.com"
ROLE_FIELDS = ("taskRoleArn", "executionRoleArn")


def awslogs_groups(resource: Resource, region: str) -> list[tuple[str, str]]:
    """(field path, group) for each container of a task definition that logs with awslogs to a group it does not
    create itself (``awslogs-create-group: "true"``) in ``region`` (a group in another region is not ours to see)."""
    found = []
    for i, container in enumerate(resource.spec.get("containerDefinitions") or []):
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or str(options.get("awslogs-create-group", "")).lower() == "true":
            continue
        if "awslogs-group" in options and options.get("awslogs-region", region) == region:
            path = f"spec.containerDefinitions[{i}].logConfiguration.options.awslogs-group"
            found.append((path, str(options["awslogs-group"])))
    return found


def role_name(ref: str) -> str:
    """The role name in a role ARN (``arn:aws:iam::1:role/path/name`` -> ``name``) or a bare name."""
    return ref.rsplit("/", 1)[-1]


def role_refs(resource: Resource) -> list[tuple[str, str]]:
    """(field path, role name) for the roles a task definition names."""
    if resource.address.kind != task_definition.KIND:
        return []
    return [(f"spec.{f}", role_name(str(resource.spec[f]))) for f in ROLE_FIELDS if resource.spec.get(f)]


def _trusts_ecs_tasks(role: Mapping[str, Any]) -> bool:
    document = role.get("AssumeRolePolicyDocument") or {}
    for statement in document.get("Statement") or []:
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        principal = (statement.get("Principal") or {}) if isinstance(statement.get("Principal"), Mapping) else {}
        services = principal.get("Service") or []
        services = [services] if isinstance(services, str) else services
        assumes = {"sts:AssumeRole", "sts:*", "*"} & set(actions)
        if statement.get("Effect") == "Allow" and ECS_TASKS in services and assumes:
            return True
    return False


def check_roles(resources: list[Resource], roles: Mapping[str, Mapping[str, Any] | None]) -> list[ManifestError]:
    """Plan-time rule: each role a task definition names exists (``roles``: name -> GetRole's Role, or None when
    IAM has none) and trusts ecs-tasks.amazonaws.com."""
    errors = []
    for r in resources:
        for path, name in role_refs(r):
            role = roles.get(name)
            if role is None:
                message = f"IAM role {name!r} does not exist"
            elif not _trusts_ecs_tasks(role):
                message = f"IAM role {name!r} does not trust {ECS_TASKS} (its trust policy must allow sts:AssumeRole)"
            else:
                continue
            errors.append(r.error(path, message))
    return errors


def check_references(resources: list[Resource], observed: Observed, *, region: str) -> list[ManifestError]:
    """Plan-time rules: a service's cluster and task definition family, a scaling policy's service and an awslogs
    log group are declared or live."""
    declared = {r.address for r in resources}
    errors = []
    for r in resources:
        if r.address.kind == scaling.KIND:
            target = scaling.service_address(r.address)
            if target not in declared and target not in observed:
                errors.append(
                    r.error(
                        "spec.service",
                        f"service {target.cluster}/{target.name} is neither declared in the manifests nor live",
                    )
                )
        for path, group in awslogs_groups(r, region) if r.address.kind == task_definition.KIND else []:
            addr = Address(log_group.KIND, group)
            if addr not in declared and addr not in observed:
                errors.append(
                    r.error(
                        path,
                        f"log group {group!r} is neither declared (kind LogGroup) nor live, and "
                        'awslogs-create-group is not "true": the task would fail to start',
                    )
                )
        if r.address.kind != service.KIND:
            continue
        cluster_addr = Address("Cluster", str(r.address.cluster))
        if cluster_addr not in declared and cluster_addr not in observed:
            errors.append(
                r.error("spec.cluster", f"cluster {r.address.cluster!r} is neither declared in the manifests nor live")
            )
        family = service.family_of(str(r.spec.get("taskDefinition", "")))
        td_addr = Address(task_definition.KIND, family)
        if family and td_addr not in declared and td_addr not in observed:
            errors.append(
                r.error(
                    "spec.taskDefinition",
                    f"task definition family {family!r} is neither declared in the manifests nor live",
                )
            )
    return errors
