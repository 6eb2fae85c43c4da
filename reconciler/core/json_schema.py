"""JSON Schemas (draft-07) of the manifest kinds, for editors: completion, hover text and inline errors through
yaml-language-server, generated from the same botocore shapes the validator checks (``reconciler.core.schema``).

Each kind's ``spec_schema`` builds its spec from botocore's input shapes with :func:`input_schema` (types, enums,
required members, sizes, ranges, and AWS's own documentation as descriptions, stripped of HTML); :func:`kind_schema`
puts the spec in the manifest's envelope, and :func:`manifest_schema` picks a kind's schema by the document's
``kind``, so one modeline serves a file holding several kinds. Draft-07 because every yaml-language-server release
reads it; the schemas use nothing later drafts changed.

A schema accepts what the validator accepts and no more: a number where a string is wanted (``cpu: 256``), a number
written as text where a number is wanted, and ``${VAR}`` placeholders in any field that is not a boolean (they are
filled before checking). What needs more than one field or another resource (a Fargate size, a dangling family) is
left to ``validate``. The module is pure: it reads botocore's bundled model files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

from botocore.model import Shape

from reconciler.core.kind import Kind, Registry
from reconciler.core.manifests import API_VERSION
from reconciler.core.shapes import operation_input, pascal_to_camel
from reconciler.core.targets import ACCOUNT, REGION, ROLE_ARN
from reconciler.core.targets import KIND as TARGET

DRAFT = "http://json-schema.org/draft-07/schema#"
PLACEHOLDER = r"\$\{"
"""Text holding a ``${VAR}`` placeholder: any value once filled in."""
_INTEGER_TEXT = r"^\s*[+-]?\d+\s*$"
_NUMBER_TEXT = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_BLOCKS = frozenset({"p", "li", "note", "important", "br", "ul", "ol", "dt", "dd"})


class _Text(HTMLParser):
    """AWS's documentation HTML as plain text: one paragraph per block element, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[str]] = [[]]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.paragraphs.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.paragraphs.append([])

    def handle_data(self, data: str) -> None:
        self.paragraphs[-1].append(data)


def plain_text(html: str) -> str:
    """``<p>The <i>cluster</i> to use.</p> <note><p>Also...</p></note>`` -> ``The cluster to use.\\n\\nAlso...``."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    paragraphs = (re.sub(r"\s+", " ", "".join(parts)).strip() for parts in parser.paragraphs)
    return "\n\n".join(p for p in paragraphs if p)


def _bounds(metadata: Mapping[str, Any], low: str, high: str) -> dict[str, Any]:
    """botocore's ``min`` and ``max`` under the JSON Schema names ``low`` and ``high``, where the shape has them."""
    return {name: metadata[key] for name, key in ((low, "min"), (high, "max")) if key in metadata}


def _placeholder_or(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "string", "pattern": PLACEHOLDER}]}


def _scalar(shape: Shape) -> dict[str, Any]:
    """A scalar shape, as loose as the validator's coercion (``reconciler.core.schema.coerce_scalars``)."""
    metadata, kind = shape.metadata, shape.type_name
    if kind == "string" and metadata.get("enum"):
        return _placeholder_or({"type": "string", "enum": list(metadata["enum"])})
    if kind == "string":
        return {"type": ["string", "number", "boolean"], **_bounds(metadata, "minLength", "maxLength")}
    if kind in ("integer", "long", "float", "double"):
        whole = kind in ("integer", "long")
        number = {"type": "integer" if whole else "number", **_bounds(metadata, "minimum", "maximum")}
        text = {"type": "string", "pattern": _INTEGER_TEXT if whole else _NUMBER_TEXT}
        return {"anyOf": [number, text, {"type": "string", "pattern": PLACEHOLDER}]}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "timestamp":
        return {"type": ["string", "number"]}
    if kind == "blob":
        return {"type": "string"}
    return {}


class _Builder:
    """One walk over an input shape; ``user_case``: member names as manifests write them (camelCase)."""

    def __init__(self, user_case: bool) -> None:
        self.user_case = user_case
        self.walking: list[str] = []

    def name(self, member: str) -> str:
        return pascal_to_camel(member) if self.user_case else member

    def schema(self, shape: Shape, documentation: str = "") -> dict[str, Any]:
        if shape.name in self.walking:  # a recursive shape: its inner levels are left unchecked
            out: dict[str, Any] = {}
        elif shape.metadata.get("document"):
            out = {}
        elif shape.type_name in ("structure", "list", "map"):
            self.walking.append(shape.name)
            out = getattr(self, shape.type_name)(shape)
            self.walking.pop()
        else:
            out = _scalar(shape)
        text = plain_text(documentation or shape.documentation or "")
        return {"description": text, **out} if text else out

    def structure(self, shape: Any, provided: Iterable[str] = ()) -> dict[str, Any]:
        skipped = set(provided)
        members = shape.members
        out: dict[str, Any] = {
            "type": "object",
            "properties": {self.name(n): self.schema(m, m.documentation) for n, m in members.items()},
            "additionalProperties": False,
        }
        required = [self.name(n) for n in shape.required_members if n not in skipped]
        if required:
            out["required"] = required
        if shape.metadata.get("union"):
            out.update(minProperties=1, maxProperties=1)
        return out

    def list(self, shape: Any) -> dict[str, Any]:
        return {"type": "array", "items": self.schema(shape.member), **_bounds(shape.metadata, "minItems", "maxItems")}

    def map(self, shape: Any) -> dict[str, Any]:
        keys = _bounds(shape.key.metadata, "minLength", "maxLength")
        if shape.key.enum:
            keys["enum"] = list(shape.key.enum)
        out: dict[str, Any] = {"type": "object", "additionalProperties": self.schema(shape.value)}
        if keys:
            out["propertyNames"] = keys
        return out


def input_schema(
    service: str,
    operation: str,
    *,
    provided: Iterable[str] = (),
    user_case: bool = False,
    require: Iterable[str] = (),
) -> dict[str, Any]:
    """The input of ``operation`` as a JSON Schema object, with the arguments ``reconciler.core.schema.check_spec``
    takes: ``provided`` (exact API names) are members the tool fills in, so not required; ``user_case``: camelCase
    member names for a PascalCase API. ``require``: members (as written) the kind requires beyond the shape."""
    shape = operation_input(service, operation, documented=True)
    out = _Builder(user_case).structure(shape, provided) if shape is not None else {"type": "object"}
    required = [*out.get("required", []), *(name for name in require if name not in out.get("required", []))]
    return {**out, "required": required} if required else out


def without(schema: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """An object schema less the members ``names`` (as written): those the tool fills in and refuses from a user."""
    left = set(names)
    out = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k not in left}}
    if "required" in out:
        out["required"] = [k for k in out["required"] if k not in left]
    return out


def _envelope(kind: str, description: str, spec: Mapping[str, Any], *, name_field: str | None) -> dict[str, Any]:
    if name_field:  # metadata.name fills it: the loader refuses it in the spec
        spec = without(spec, [name_field])
    metadata = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The resource's name."},
            "annotations": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Settings of the tool for this resource (e.g. ecs-reconciler/suspend), strings only.",
            },
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    return {
        "$schema": DRAFT,
        "title": f"ecs-reconciler {kind}",
        "description": description,
        "type": "object",
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": kind},
            "metadata": metadata,
            "spec": spec,
        },
        "required": ["apiVersion", "kind", "metadata"],
        "additionalProperties": False,
    }


def kind_schema(kind: Kind) -> dict[str, Any]:
    """One kind's whole manifest: apiVersion, kind, metadata (name, annotations) and its spec."""
    return _envelope(kind.name, f"A {kind.name} manifest.", kind.spec_schema(), name_field=kind.name_field)


def target_schema() -> dict[str, Any]:
    """The Target document (``reconciler.core.targets``): which account and region the manifests below it live in."""
    spec = {
        "type": "object",
        "properties": {
            "region": {"type": "string", "pattern": REGION.pattern, "description": "The target's AWS region."},
            "roleArn": {"type": "string", "pattern": ROLE_ARN.pattern, "description": "The IAM role to assume."},
            "accountId": {"type": "string", "pattern": ACCOUNT.pattern, "description": "The account to reach."},
            "externalId": {"type": "string", "description": "sts:ExternalId of the role's trust policy."},
        },
        "required": ["region"],
        "additionalProperties": False,
    }
    description = "Which AWS account and region the manifests in this folder and below live in."
    return _envelope(TARGET, description, spec, name_field=None)


def file_name(kind: str) -> str:
    """``ScalingPolicy`` -> ``scalingpolicy.json``."""
    return f"{kind.lower()}.json"


MANIFEST = "manifest.json"
"""The schema of any manifest document: it refers to each kind's file beside it by the document's ``kind``."""


def manifest_schema(kinds: Registry, *, bundled: bool = False) -> dict[str, Any]:
    """Any manifest document: each kind's schema by the document's ``kind``, referred to in the file beside it, or
    with ``bundled`` inside this one (``definitions``), for a single file."""
    names = [*kinds.names, TARGET]
    if bundled:
        kinds_by_file = {file_name(kind.name): kind_schema(kind) for kind in kinds}
        kinds_by_file[file_name(TARGET)] = target_schema()
        definitions = {
            name: {k: v for k, v in kinds_by_file[file_name(name)].items() if k != "$schema"} for name in names
        }
        refs = {name: f"#/definitions/{name}" for name in names}
    else:
        definitions, refs = {}, {name: file_name(name) for name in names}
    out = {
        "$schema": DRAFT,
        "title": "ecs-reconciler manifest",
        "description": "One document of an ecs-reconciler manifest file; its kind picks the rest of its schema.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": {"apiVersion": {"const": API_VERSION}, "kind": {"enum": names}},
        "allOf": [{"if": {"properties": {"kind": {"const": name}}}, "then": {"$ref": refs[name]}} for name in names],
    }
    return {**out, "definitions": definitions} if definitions else out


def all_schemas(kinds: Registry) -> dict[str, dict[str, Any]]:
    """File name -> schema: each kind's, the Target's, and ``manifest.json`` that picks one by ``kind``."""
    out = {file_name(kind.name): kind_schema(kind) for kind in kinds}
    out[file_name(TARGET)] = target_schema()
    out[MANIFEST] = manifest_schema(kinds)
    return out
