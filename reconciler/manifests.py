"""From loaded YAML documents to checked desired resources: envelope, botocore model, domain rules, references."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler.errors import InvalidManifests, ManifestError
from reconciler.kinds import KINDS, service, task_definition
from reconciler.loader import Document, load_tree
from reconciler.model import Address, Observed, Resource
from reconciler.names import check_ecs_name
from reconciler.schema import check_input, coerce_scalars

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
    if problem := check_ecs_name(name):
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
    if module.NAME_FIELD in spec:
        error(f"spec.{module.NAME_FIELD}", f"the name comes from metadata.name; remove spec.{module.NAME_FIELD}")
        return None
    spec = coerce_scalars("ecs", module.OPERATION, dict(spec))
    for shape_problem in check_input("ecs", module.OPERATION, spec, provided=[module.NAME_FIELD]):
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
                ManifestError(
                    r.file,
                    f"launchType FARGATE needs task definition {td.address.name!r} to list FARGATE in "
                    f"requiresCompatibilities ({td.file})",
                    line=r.line_of("spec.launchType"),
                    field="spec.launchType",
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


def load_resources(path: str | os.PathLike[str]) -> list[Resource]:
    """Load and check a manifest tree; raises InvalidManifests listing every problem."""
    if not os.path.isdir(path):
        raise InvalidManifests([ManifestError(str(path), "not a directory")])
    docs, errors = load_tree(path)
    return resources_from(docs, errors)


def resources_from(docs: list[Document], load_errors: list[ManifestError]) -> list[Resource]:
    """Check documents already read into memory (with the loader's errors); raises InvalidManifests."""
    resources, problems = parse_documents(docs)
    errors = load_errors + problems
    if errors:
        raise InvalidManifests(errors)
    return resources


def check_references(resources: list[Resource], observed: Observed) -> list[ManifestError]:
    """Plan-time rule: a service's cluster and task definition family are declared or live."""
    declared = {r.address for r in resources}
    errors = []
    for r in resources:
        if r.address.kind != service.KIND:
            continue
        cluster_addr = Address("Cluster", str(r.address.cluster))
        if cluster_addr not in declared and cluster_addr not in observed:
            errors.append(
                ManifestError(
                    r.file,
                    f"cluster {r.address.cluster!r} is neither declared in the manifests nor live",
                    line=r.line_of("spec.cluster"),
                    field="spec.cluster",
                )
            )
        family = service.family_of(str(r.spec.get("taskDefinition", "")))
        td_addr = Address(task_definition.KIND, family)
        if family and td_addr not in declared and td_addr not in observed:
            errors.append(
                ManifestError(
                    r.file,
                    f"task definition family {family!r} is neither declared in the manifests nor live",
                    line=r.line_of("spec.taskDefinition"),
                    field="spec.taskDefinition",
                )
            )
    return errors
