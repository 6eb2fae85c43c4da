"""From loaded YAML documents to checked desired resources: envelope, botocore model, domain rules, references."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.errors import InvalidManifests, ManifestError, UsageError
from reconciler.core.ignore import ignore_problems
from reconciler.core.instance import KIND as INSTANCE
from reconciler.core.kind import Reference, Registry
from reconciler.core.loader import Document, Limits, load_file, load_text, load_tree, with_source_text
from reconciler.core.model import Address, Observed, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.plan import IGNORE_ANNOTATION
from reconciler.core.variables import Parameter, ssm_paths, substitute

SsmReader = Callable[[list[str]], Mapping[str, Parameter]]
"""Reads SSM parameters by name (the shell's, it calls AWS); names it cannot find are left out of the answer."""

API_VERSION = "ecs-reconciler/v1"
ENVELOPE = frozenset({"apiVersion", "kind", "metadata", "spec"})
METADATA = frozenset({"name", "annotations"})
TARGET = "Target"
"""The kind of a Target document (``reconciler.core.targets``)."""
DOCUMENT_KINDS = (TARGET, INSTANCE)
"""The kinds read before the registry's: Target documents and the Instance document."""


RESERVED_TAG_PREFIXES = ("ecs-reconciler/", "aws:")
"""Tag key prefixes a manifest cannot use, in any case: the tool writes its own tags, AWS reserves aws:."""


def _reserved_tags(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field path under spec, key) for each reserved tag key: ``tags`` is an ECS ``[{key, value}]`` list or, for
    a log group, a ``{key: value}`` map."""
    tags = spec.get("tags")
    if isinstance(tags, Mapping):
        keys = [(f"tags.{key}", key) for key in tags]
    elif isinstance(tags, list):
        keys = [(f"tags[{i}].key", tag.get("key")) for i, tag in enumerate(tags) if isinstance(tag, Mapping)]
    else:
        return []
    return [(path, str(key)) for path, key in keys if str(key).lower().startswith(RESERVED_TAG_PREFIXES)]


def unknown_kind(kind: object, kinds: Registry) -> str:
    """The problem of a document whose kind is none a manifest can have (the registry's or ``DOCUMENT_KINDS``), with
    the closest one, in any case, as a suggestion (``Servce``, ``service``: Service; ``Targt``: Target)."""
    known = (*kinds.names, *DOCUMENT_KINDS)
    by_lower = {name.lower(): name for name in known}
    close = difflib.get_close_matches(kind.lower(), by_lower, n=1) if isinstance(kind, str) else []
    hint = f" (did you mean {by_lower[close[0]]}?)" if close else ""
    return f"unknown kind {kind!r}{hint}; expected one of {', '.join(known)}"


def _resource(doc: Document, errors: list[ManifestError], kinds: Registry) -> Resource | None:
    body: Mapping[str, Any] = doc.body
    start = len(errors)

    def error(path: str, message: str) -> None:
        errors.append(ManifestError(doc.file, message, line=doc.line_of(path), field=path or None))

    for key in sorted(set(body) - ENVELOPE):
        error(key, f"unknown top-level field {key!r}; a manifest has apiVersion, kind, metadata and spec")
    if body.get("apiVersion") != API_VERSION:
        error("apiVersion", f"expected {API_VERSION!r}, got {body.get('apiVersion')!r}")
    kind = body.get("kind")
    module = kinds.get(kind)
    if module is None:
        error("kind", unknown_kind(kind, kinds))
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
    if module is not None and IGNORE_ANNOTATION in annotations:
        for problem in ignore_problems(annotations[IGNORE_ANNOTATION], module.spec_schema()):
            error(f"metadata.annotations.{IGNORE_ANNOTATION}", problem)
    if module is None or len(errors) > start:
        return None
    if module.name_field and module.name_field in spec:
        error(f"spec.{module.name_field}", f"the name comes from metadata.name; remove spec.{module.name_field}")
        return None
    if doc.sources:  # numbers and booleans that land in string fields keep their text as written
        spec = with_source_text(spec, doc.sources, path="spec")
    spec, shape_problems = module.check_shape(spec)
    for shape_problem in shape_problems:
        error(f"spec.{shape_problem.path}" if shape_problem.path else "spec", shape_problem.message)
    for path, key in _reserved_tags(spec):
        error(
            f"spec.{path}",
            f"tag key {key!r} is reserved (ecs-reconciler/ keys are the tool's own, aws: keys are AWS's); "
            "use another key",
        )
    if len(errors) > start:
        return None
    resource = Resource(
        module.address(str(name), spec),
        spec,
        doc.file,
        doc.line,
        dict(annotations),
        doc.lines,  # shared with the document (kept by the parse cache), not copied
    )
    return resource


def parse_documents(docs: list[Document], kinds: Registry) -> tuple[list[Resource], list[ManifestError]]:
    """Every resource the documents declare, and every problem found (all at once): each document on its own,
    then each resource's kind rules against the whole set."""
    errors: list[ManifestError] = []
    resources: list[Resource] = []
    first_seen: dict[Address, Resource] = {}
    for doc in docs:
        resource = _resource(doc, errors, kinds)
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
    for resource in resources:
        errors.extend(kinds.of(resource.address).check(resource, first_seen))
    return resources, errors


def read_documents(
    path: str | os.PathLike[str], *, limits: Limits | None = None
) -> tuple[list[Document], list[ManifestError]]:
    """The documents of a manifest file or tree, with the problems met reading them."""
    if not os.path.exists(path):
        raise UsageError(f"{os.fspath(path)}: no such file or directory")
    if os.path.isfile(path):
        return load_file(path)
    if os.path.isdir(path):
        return load_tree(path, limits=limits or Limits())
    raise UsageError(f"{os.fspath(path)}: not a manifest file or a directory")


def load_resources(
    path: str | os.PathLike[str],
    kinds: Registry,
    *,
    variables: Mapping[str, str] | None = None,
    ssm: SsmReader | None = None,
    limits: Limits | None = None,
) -> list[Resource]:
    """Load and check a manifest tree; raises InvalidManifests listing every problem (see ``resources_from``)."""
    docs, errors = read_documents(path, limits=limits)
    return resources_from(docs, errors, kinds, variables=variables, ssm=ssm)


def resources_from(
    loaded: list[Document],
    load_errors: list[ManifestError],
    kinds: Registry,
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
    resources, invalid = parse_documents(docs, kinds) if not problems else ([], [])
    errors = load_errors + problems + invalid
    if not errors and ssm is not None and (names := ssm_paths(loaded)):
        docs, errors = substitute(loaded, variables or {}, ssm=ssm(names))
        if not errors:
            resources, errors = parse_documents(docs, kinds)
    if errors:
        raise InvalidManifests(sorted(errors, key=lambda e: (e.file, e.line or 0)))
    return resources


@dataclass(frozen=True)
class VarFile:
    """A ``--var-file``'s variables, and which of them are declared sensitive."""

    values: dict[str, str]
    sensitive: frozenset[str] = frozenset()


VAR_FORM = "a string or number, or {value: ..., sensitive: true}"


def _scalar(doc: Document, body: Mapping[str, Any], key: str, *, path: str) -> str | None:
    value = body[key]
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return doc.sources.get(path, str(value))  # as written: 1.10 stays "1.10", yes stays "yes"
    return None


def load_var_file(path: str | os.PathLike[str]) -> VarFile:
    """A ``--var-file``: one YAML mapping of names to scalar values (or ``{value: ..., sensitive: true}``, as
    Terraform declares a variable sensitive), read as safely as a manifest."""
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
    sensitive: set[str] = set()
    doc = docs[0] if docs else None
    for key, value in (doc.body if doc else {}).items():
        assert doc is not None  # a body was read from it
        if isinstance(value, Mapping):
            found = _declared(doc, key, value, errors)
            if found is not None:
                values[key] = found
                if value.get("sensitive") is True:
                    sensitive.add(key)
            continue
        scalar = _scalar(doc, doc.body, key, path=key)
        if scalar is None:
            errors.append(ManifestError(name, f"must be {VAR_FORM}", line=doc.line_of(key), field=key))
        else:
            values[key] = scalar
    if errors:
        raise InvalidManifests(errors)
    return VarFile(values, frozenset(sensitive))


def _declared(doc: Document, key: str, value: Mapping[str, Any], errors: list[ManifestError]) -> str | None:
    """The value of a variable written as ``{value: ..., sensitive: true}``, or None after an error."""
    unknown = sorted(set(value) - {"value", "sensitive"})
    problem = None
    if unknown:
        problem = (f"{key}.{unknown[0]}", f"unknown key {unknown[0]!r}: a variable takes value and sensitive")
    elif "value" not in value:
        problem = (key, f"must be {VAR_FORM} (value is missing)")
    elif not isinstance(value.get("sensitive", False), bool):
        problem = (f"{key}.sensitive", "must be true or false")
    found = None if problem else _scalar(doc, value, "value", path=f"{key}.value")
    if problem is None and found is None:
        problem = (f"{key}.value", "must be a string or number")
    if problem is not None:
        errors.append(ManifestError(doc.file, problem[1], line=doc.line_of(problem[0]), field=problem[0]))
    return found


def shown(address: Address) -> str:
    """An address's name as a manifest writes it: ``demo``, or ``prod/web`` for a name scoped by its cluster."""
    return f"{address.scope}/{address.name}" if address.scope else address.name


def close_to(address: Address, declared: Collection[Address]) -> Address | None:
    """The declared address of the same kind whose name is closest to ``address``'s (difflib), if one is close."""
    names = {shown(a): a for a in declared if a.kind == address.kind and a != address}
    close = difflib.get_close_matches(shown(address), sorted(names), n=1)
    return names[close[0]] if close else None


def _misnamed(r: Resource, ref: Reference, near: Address, *, live: bool) -> ManifestError:
    where = "neither declared in the manifests nor live" if live else "not declared in the manifests"
    return r.error(ref.path, f"{ref.address.kind} {shown(ref.address)!r} is {where} (did you mean {shown(near)!r}?)")


def misnamed_references(resources: list[Resource], kinds: Registry, *, region: str | None) -> list[ManifestError]:
    """Validate-time rule: a reference to a name the manifests do not declare, close to one they do (a service's
    ``cluster: demo2`` beside a declared ``demo``), with the suggestion. Offline the name may still be live, so
    ``validate`` warns (``--strict`` fails); ``check_references`` refuses it at plan when it is not live either."""
    declared = {r.address for r in resources}
    return [
        _misnamed(r, ref, near, live=False)
        for r in resources
        for ref in kinds.references(r, region=region)
        if ref.address not in declared and (near := close_to(ref.address, declared)) is not None
    ]


def check_references(
    resources: list[Resource], observed: Observed, kinds: Registry, *, region: str | None
) -> list[ManifestError]:
    """Plan-time rule: what a resource needs (``Refers.references``) is declared in the manifests or live, and a
    name neither declared nor live is not one close to a declared name (a typo: refused with the suggestion, even
    where the reference is optional)."""
    declared = {r.address for r in resources}
    errors = []
    for r in resources:
        for ref in kinds.references(r, region=region):
            if ref.address in declared or ref.address in observed:
                continue
            near = close_to(ref.address, declared)
            if ref.required:
                hint = f" (did you mean {shown(near)!r}?)" if near else ""
                errors.append(r.error(ref.path, (ref.missing or f"{ref.address} is neither declared nor live") + hint))
            elif near is not None:
                errors.append(_misnamed(r, ref, near, live=True))
    return errors
