"""The ``ecs-reconciler/ignore`` annotation's value, checked: a comma-separated list of field paths as the plan prints
them, each naming a field of the kind.

A path is walked through the kind's spec schema (``Kind.spec_schema``, built from the botocore shape its spec is
checked against): a structure's segment must be one of its fields (with the closest one suggested); a list's
segment is the key of one of its items (a container's name, an environment variable's, a tag's) or an index
``[n]``; a map's is any key; nothing lies below a scalar. ``*``, empty items and separators other than commas are
errors: a value that ignores nothing would leave the fields the user meant to keep to be healed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
"""One dotted segment: a name, then any ``[n]`` indexes."""
SEPARATORS = re.compile(r"[;|\s]")
"""What people write between paths instead of a comma."""


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A schema and the alternatives it offers (a field may also be a ``${VAR}`` placeholder: ``anyOf``)."""
    found = [schema]
    for key in ("anyOf", "oneOf"):
        found += [b for b in schema.get(key, []) if isinstance(b, Mapping)]
    return found


def _container(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The object or array branch of ``schema`` (None: a scalar)."""
    for branch in _branches(schema):
        if branch.get("type") in ("object", "array") or "properties" in branch or "items" in branch:
            return branch
    return None


def _step(schema: Mapping[str, Any], name: str, walked: str) -> Mapping[str, Any] | str:
    """The schema of ``name`` below ``schema``, or what is wrong."""
    node = _container(schema)
    if node is None:
        return f"{walked} has no fields below it" if walked else f"{name!r} is not a field"
    if node.get("type") == "array" or "items" in node:
        items = node.get("items")
        return items if isinstance(items, Mapping) else {}  # the key of one item: any name
    properties = node.get("properties")
    if isinstance(properties, Mapping) and properties:
        if name in properties:
            return dict(properties[name])
        close = difflib.get_close_matches(name, sorted(properties), n=1)
        hint = f" (did you mean {'.'.join([*filter(None, [walked]), close[0]])}?)" if close else ""
        where = f"of {walked}" if walked else "of this kind"
        return f"{name!r} is not a field {where}{hint}"
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}


def check_path(path: str, schema: Mapping[str, Any]) -> str | None:
    """What is wrong with one ignore path, or None."""
    if "*" in path:
        return f"{path!r}: wildcards are not supported; name each field (paths cover everything below them)"
    segments = path.split(".")
    walked = ""
    node: Mapping[str, Any] = schema
    for segment in segments:
        parsed = SEGMENT.fullmatch(segment)
        if parsed is None:
            return f"{path!r} is not a field path (e.g. desiredCount or containerDefinitions.app.image)"
        name, indexes = parsed.groups()
        found = _step(node, name, walked)
        if isinstance(found, str):
            return found
        node = found
        for _ in re.findall(r"\[\d+\]", indexes):
            container = _container(node)
            items = container.get("items") if container else None
            if not isinstance(items, Mapping):
                return f"{walked + '.' if walked else ''}{name} is not a list: [n] indexes only a list"
            node = items
        walked = f"{walked}.{segment}" if walked else segment
    return None


def ignore_problems(text: str, schema: Mapping[str, Any]) -> list[str]:
    """Every problem of an ``ecs-reconciler/ignore`` value, as messages (empty: it is valid)."""
    problems = []
    for item in text.split(","):
        path = item.strip()
        if not path:
            problems.append("an empty item: separate field paths with single commas")
        elif SEPARATORS.search(path):
            problems.append(f"{path!r}: separate field paths with commas")
        elif (problem := check_path(path, schema)) is not None:
            problems.append(problem)
    return problems
