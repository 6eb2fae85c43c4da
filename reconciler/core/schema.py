"""Check manifest specs against botocore's own service models (compiled in ``reconciler.core.shapes``).

A manifest's ``spec`` is the input of one AWS API operation (ECS ``RegisterTaskDefinition`` without ``family``,
Application Auto Scaling ``PutScalingPolicy``, CloudWatch ``PutMetricAlarm``, ...). Nothing here is a hand-written
schema: every check and every name comes from the model botocore ships, loaded once per service and compiled once
per shape into small cached nodes, so checking a 20-container task definition costs about a millisecond.

Paths name a place relative to the checked object: ``""`` is the object itself, ``.name`` a structure member or a
map key, ``[3]`` a list item; a map key that is not a plain identifier is written ``["com.example.label"]``
(JSON-quoted). Example: ``containerDefinitions[0].portMappings[0].containerPort``.

Case: manifests are written in camelCase; ``check_input(..., user_case=True)`` checks a camelCase document directly
so paths match what the user wrote (``reconciler.core.shapes`` converts between cases).

The module is pure: it reads botocore's bundled model files and calls no AWS.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.utils import parse_to_aware_datetime
from botocore.validate import ParamValidator

from reconciler.core.shapes import NUMBER_TYPES, Node, coerce_scalars, operation_node, service_model, to_api_case

__all__ = ["ShapeProblem", "check_input", "check_spec", "utc_timestamp"]

_MAX_VALUE_CHARS = 40
"""Longer scalar values are truncated in messages."""
_MAX_ENUM_SHOWN = 20
"""Longer enums are listed up to this many values in messages."""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EXPECTED = {
    "string": "string",
    "integer": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "blob": "bytes or string",
    "structure": "mapping",
    "map": "mapping",
    "list": "list",
}


@dataclass(frozen=True)
class ShapeProblem:
    """One way a value does not fit its AWS shape."""

    path: str
    """Where, relative to the checked object ("" for the object itself), e.g. ``containerDefinitions[0].image``."""
    message: str
    """What is wrong, e.g. ``unknown field 'imagee' (did you mean 'image'?)``."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


# --- checking ----------------------------------------------------------------------------------------------------


def check_input(
    service: str,
    operation: str,
    params: Any,
    *,
    provided: Iterable[str] = (),
    user_case: bool = False,
) -> list[ShapeProblem]:
    """Every way ``params`` does not fit the input shape of ``operation`` (each structure's missing members after
    its own fields); ``[]`` if it fits.

    ``provided`` names top-level members (exact API names, e.g. ``family``) the tool fills in itself: they are not
    required of ``params``; whether the user may set them anyway is the caller's decision. With ``user_case=True``
    ``params`` is a camelCase manifest document (exact API names are accepted too) and paths and messages use the
    names as the user writes them; otherwise keys must be the exact API names.

    Beyond what botocore's ``ParamValidator`` checks (required, unknown, types, minimum), this checks enum
    membership, maxima, and refuses booleans where numbers are expected. If this walk finds nothing but botocore's
    own validator still objects, its report is returned (one problem per line, prefixed ``botocore:``), so ``[]``
    always means botocore would send the request.
    """
    root = operation_node(service, operation, "input")
    provided = frozenset(provided)
    unknown = provided - root.members.keys()
    if unknown:
        raise ValueError(f"provided members {sorted(unknown)} are not members of {service} {operation} input")
    problems: list[ShapeProblem] = []
    _Checker(problems, user_case).check(root, params, "", sensitive=False, provided=provided)
    if not problems:
        api_params = to_api_case(service, operation, params) if user_case else params
        problems.extend(_botocore_problems(service, operation, api_params, provided))
    return problems


def check_spec(
    service: str, operation: str, spec: Mapping[str, Any], *, provided: Iterable[str] = (), user_case: bool = False
) -> tuple[dict[str, Any], list[ShapeProblem]]:
    """A manifest ``spec`` as the input of ``operation``: scalars coerced (:func:`coerce_scalars`), then checked
    (:func:`check_input`). Returns the coerced spec and its problems."""
    coerced = coerce_scalars(service, operation, spec if isinstance(spec, dict) else dict(spec))
    return coerced, check_input(service, operation, coerced, provided=provided, user_case=user_case)


def _botocore_problems(service: str, operation: str, params: Any, provided: frozenset[str]) -> list[ShapeProblem]:
    """botocore's own verdict, as a safety net behind the walk above (which should always have found more)."""
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return []
    report = ParamValidator().validate(params, shape)
    if not report.has_errors():
        return []
    # The tool fills the provided members in later; botocore's report names a missing top-level one like this.
    excused = {f'Missing required parameter in input: "{name}"' for name in provided}
    lines = report.generate_report().splitlines()
    return [ShapeProblem("", f"botocore: {line}") for line in lines if line not in excused]


class _Checker:
    """One walk over a document, collecting problems."""

    __slots__ = ("problems", "user_case")

    def __init__(self, problems: list[ShapeProblem], user_case: bool) -> None:
        self.problems = problems
        self.user_case = user_case

    def report(self, path: str, message: str) -> None:
        self.problems.append(ShapeProblem(path, message))

    def check(
        self, node: Node, value: Any, path: str, *, sensitive: bool, provided: frozenset[str] = frozenset()
    ) -> None:
        sensitive = sensitive or node.sensitive
        kind = node.kind
        if kind == "structure":
            self.check_structure(node, value, path, sensitive, provided)
        elif kind == "list":
            if not isinstance(value, list | tuple):
                self.report_type(node, value, path, sensitive)
                return
            self.check_size(node, len(value), path)
            member = node.member
            assert member is not None
            for index, item in enumerate(value):
                self.check(member, item, f"{path}[{index}]", sensitive=sensitive)
        elif kind == "map":
            if not isinstance(value, dict):
                self.report_type(node, value, path, sensitive)
                return
            self.check_size(node, len(value), path)
            key_node, value_node = node.key, node.value
            assert key_node is not None and value_node is not None
            for key, item in value.items():
                item_path = _join(path, key)
                self.check_map_key(key_node, key, item_path)
                self.check(value_node, item, item_path, sensitive=sensitive)
        elif kind == "string":
            if not isinstance(value, str):
                self.report_type(node, value, path, sensitive)
                return
            if node.enum_set and value not in node.enum_set:
                self.report(path, _enum_message(node, value, sensitive))
            self.check_length(node, len(value), path)
        elif kind in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                self.report_type(node, value, path, sensitive)
                return
            self.check_range(node, value, path)
        elif kind in ("double", "float"):
            if not isinstance(value, NUMBER_TYPES) or isinstance(value, bool):
                self.report_type(node, value, path, sensitive)
                return
            self.check_range(node, value, path)
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.report_type(node, value, path, sensitive)
        elif kind == "timestamp":
            if isinstance(value, bool) or not _is_timestamp(value):
                self.report_type(node, value, path, sensitive)
        elif kind == "blob":
            if not isinstance(value, bytes | bytearray | str) and not hasattr(value, "read"):
                self.report_type(node, value, path, sensitive)
        elif kind == "document":
            self.check_document(value, path, sensitive)

    def check_structure(self, node: Node, value: Any, path: str, sensitive: bool, provided: frozenset[str]) -> None:
        if not isinstance(value, dict):
            self.report_type(node, value, path, sensitive)
            return
        keys = node.user_keys if self.user_case else node.api_keys
        members = node.members
        present: list[str] = []
        for key, item in value.items():
            name = keys.get(key) if isinstance(key, str) else None
            item_path = _join(path, key)
            if name is None:
                self.report(item_path, _unknown_message(node, key, self.user_case))
                continue
            present.append(name)
            self.check(members[name], item, item_path, sensitive=sensitive)
        present_set = set(present)
        for name in node.required:
            if name not in present_set and name not in provided:
                self.report(path, f"missing required field {self.shown(node, name)!r}")
        if node.union and len(present_set) != 1:
            choices = ", ".join(self.shown(node, name) for name in members)
            if present_set:
                chosen = ", ".join(self.shown(node, name) for name in present)
                self.report(path, f"must set only one of: {choices}; got {chosen}")
            else:
                self.report(path, f"must set exactly one of: {choices}")

    def shown(self, node: Node, name: str) -> str:
        return node.camel_of[name] if self.user_case else name

    def check_map_key(self, key_node: Node, key: Any, path: str) -> None:
        if not isinstance(key, str):
            self.report(path, f"map key: expected string, got {_describe(key, sensitive=False)}")
            return
        if key_node.enum_set and key not in key_node.enum_set:
            self.report(path, "map key: " + _enum_message(key_node, key, sensitive=False))
        before = len(self.problems)
        self.check_length(key_node, len(key), path)
        for index in range(before, len(self.problems)):
            problem = self.problems[index]
            self.problems[index] = ShapeProblem(problem.path, "map key: " + problem.message)

    def check_document(self, value: Any, path: str, sensitive: bool) -> None:
        if value is None or isinstance(value, str | int | float | bool):
            return
        if isinstance(value, dict):
            for key, item in value.items():
                self.check_document(item, _join(path, key), sensitive)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.check_document(item, f"{path}[{index}]", sensitive)
        else:
            self.report(path, f"expected JSON-like value, got {_describe(value, sensitive)}")

    def check_size(self, node: Node, size: int, path: str) -> None:
        self.check_bounds(node, size, path, "must have {} items")

    def check_length(self, node: Node, length: int, path: str) -> None:
        self.check_bounds(node, length, path, "length must be {}")

    def check_range(self, node: Node, value: Any, path: str) -> None:
        self.check_bounds(node, value, path, "must be {}")

    def check_bounds(self, node: Node, value: Any, path: str, wording: str) -> None:
        """``value`` (a count, a length or a number) within the shape's min and max; ``wording`` says what it is,
        ``{}`` standing for the bound (``must have {} items``)."""
        if node.min is not None and value < node.min:
            self.report(path, f"{wording.format('at least ' + _number(node.min))}, got {value}")
        if node.max is not None and value > node.max:
            self.report(path, f"{wording.format('at most ' + _number(node.max))}, got {value}")

    def report_type(self, node: Node, value: Any, path: str, sensitive: bool) -> None:
        message = f"expected {_EXPECTED[node.kind]}, got {_describe(value, sensitive)}"
        if node.kind == "string" and isinstance(value, NUMBER_TYPES) and not isinstance(value, bool):
            message += f'; quote it: "{value}"' if not sensitive else "; quote it"
        self.report(path, message)


def _is_timestamp(value: Any) -> bool:
    try:
        parse_to_aware_datetime(value)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return False
    return True


def utc_timestamp(value: Any) -> str:
    """A timestamp as botocore takes it (a datetime, epoch seconds or ISO 8601 text, as a manifest holds it) in one
    spelling, UTC ISO 8601: ``2030-11-01T00:00:00+00:00``, so a manifest's text and AWS's answer compare equal."""
    return str(parse_to_aware_datetime(value).astimezone(datetime.UTC).isoformat())


def _join(path: str, key: Any) -> str:
    if isinstance(key, str) and _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    text = key if isinstance(key, str) else str(key)
    return f"{path}[{json.dumps(text)}]"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _describe(value: Any, sensitive: bool) -> str:
    """``string '80'``, ``integer 256``, ``boolean true``, ``null``, ``list``, ... with long values truncated."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        kind, text = "boolean", "true" if value else "false"
    elif isinstance(value, int):
        kind, text = "integer", _truncate(str(value))
    elif isinstance(value, float | decimal.Decimal):
        kind, text = "number", _truncate(str(value))
    elif isinstance(value, str):
        kind, text = "string", repr(_truncate(value))
    elif isinstance(value, dict):
        return "mapping"
    elif isinstance(value, list | tuple):
        return "list"
    else:
        return type(value).__name__
    return f"{kind} <hidden: sensitive>" if sensitive else f"{kind} {text}"


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _unknown_message(node: Node, key: Any, user_case: bool) -> str:
    message = f"unknown field {key!r}"
    if isinstance(key, str):
        candidates = node.user_lower_names if user_case else node.lower_names
        close = difflib.get_close_matches(key.lower(), candidates.keys(), n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {candidates[close[0]]!r}?)"
    return message


def _enum_message(node: Node, value: str, sensitive: bool) -> str:
    shown = ", ".join(node.enum[:_MAX_ENUM_SHOWN])
    if len(node.enum) > _MAX_ENUM_SHOWN:
        shown += f", ... ({len(node.enum) - _MAX_ENUM_SHOWN} more)"
    if sensitive:
        return f"must be one of: {shown}"
    message = f"must be one of: {shown}; got {_truncate(value)!r}"
    by_lower = {choice.lower(): choice for choice in node.enum}
    close = difflib.get_close_matches(value.lower(), by_lower.keys(), n=1, cutoff=0.6)
    if close:
        message += f" (did you mean {by_lower[close[0]]!r}?)"
    return message
