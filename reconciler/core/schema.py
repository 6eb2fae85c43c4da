"""Check and convert manifest specs against botocore's own service models.

A manifest's ``spec`` is the input of one AWS API operation (ECS ``RegisterTaskDefinition`` without ``family``,
Application Auto Scaling ``PutScalingPolicy``, CloudWatch ``PutMetricAlarm``, ...). Nothing here is a hand-written
schema: every check and every name comes from the model botocore ships, loaded once per service and compiled once
per shape into small cached nodes, so checking a 20-container task definition costs about a millisecond.

Paths name a place relative to the checked object: ``""`` is the object itself, ``.name`` a structure member or a
map key, ``[3]`` a list item; a map key that is not a plain identifier is written ``["com.example.label"]``
(JSON-quoted). Example: ``containerDefinitions[0].portMappings[0].containerPort``.

Case: ECS and CloudWatch Logs name members in camelCase, Application Auto Scaling and CloudWatch in PascalCase.
Manifests are written in camelCase throughout. :func:`to_api_case` / :func:`from_api_case` convert by walking the
shape (so ``OKActions`` <-> ``okActions`` and map keys, which are user data, are never touched), and
``check_input(..., user_case=True)`` checks a camelCase document directly so paths match what the user wrote.

The module is pure: it reads botocore's bundled model files and calls no AWS.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import NoShapeFoundError, OperationNotFoundError, ServiceModel, Shape
from botocore.utils import parse_to_aware_datetime
from botocore.validate import ParamValidator

from reconciler.core.loader import source_text

__all__ = [
    "ShapeProblem",
    "camel_to_pascal",
    "check_input",
    "check_spec",
    "coerce_scalars",
    "from_api_case",
    "input_members",
    "operation_input",
    "pascal_to_camel",
    "to_api_case",
    "utc_timestamp",
]

_MAX_VALUE_CHARS = 40
"""Longer scalar values are truncated in messages."""
_MAX_ENUM_SHOWN = 20
"""Longer enums are listed up to this many values in messages."""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*\Z")
_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")
_LEADING_CAPS = re.compile(r"[A-Z]+")
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
_NUMBER_TYPES = (int, float, decimal.Decimal)


@dataclass(frozen=True)
class ShapeProblem:
    """One way a value does not fit its AWS shape."""

    path: str
    """Where, relative to the checked object ("" for the object itself), e.g. ``containerDefinitions[0].image``."""
    message: str
    """What is wrong, e.g. ``unknown field 'imagee' (did you mean 'image'?)``."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


# --- case conversion ---------------------------------------------------------------------------------------------


def pascal_to_camel(name: str) -> str:
    """Lower the leading capital, or the leading acronym: ``PolicyName`` -> ``policyName``, ``OKActions`` ->
    ``okActions``, ``ARN`` -> ``arn``, ``RoleARN`` -> ``roleARN``; camelCase names are returned unchanged."""
    match = _LEADING_CAPS.match(name)
    if match is None:
        return name
    caps = match.group()
    if len(caps) > 1 and len(caps) < len(name):
        # "OKActions": the last capital starts the next word.
        return caps[:-1].lower() + name[len(caps) - 1 :]
    return caps.lower() + name[len(caps) :]


def camel_to_pascal(name: str) -> str:
    """Raise the first letter: ``policyName`` -> ``PolicyName``. Naive on purpose (``okActions`` -> ``OkActions``):
    use :func:`to_api_case`, which walks the shape, to get the exact member names of an operation."""
    return name[:1].upper() + name[1:]


# --- compiled model ----------------------------------------------------------------------------------------------


class _Node:
    """One shape of a service model, reduced to what checking and converting need."""

    __slots__ = (
        "api_keys",
        "camel_of",
        "enum",
        "enum_set",
        "key",
        "kind",
        "lower_names",
        "max",
        "member",
        "members",
        "min",
        "name",
        "required",
        "sensitive",
        "union",
        "user_keys",
        "user_lower_names",
        "value",
    )

    def __init__(self, shape: Shape) -> None:
        metadata = shape.metadata
        self.name: str = shape.name
        self.kind: str = "document" if metadata.get("document") else shape.type_name
        self.sensitive: bool = bool(metadata.get("sensitive"))
        self.min: float | None = metadata.get("min")
        self.max: float | None = metadata.get("max")
        self.enum: tuple[str, ...] = tuple(metadata.get("enum", ()))
        self.enum_set: frozenset[str] = frozenset(self.enum)
        self.union: bool = bool(metadata.get("union"))
        self.required: tuple[str, ...] = tuple(metadata.get("required", ()))
        self.members: dict[str, _Node] = {}
        self.camel_of: dict[str, str] = {}
        self.api_keys: dict[str, str] = {}
        self.user_keys: dict[str, str] = {}
        self.lower_names: dict[str, str] = {}
        self.user_lower_names: dict[str, str] = {}
        self.member: _Node | None = None
        self.key: _Node | None = None
        self.value: _Node | None = None

    def set_members(self, members: dict[str, _Node]) -> None:
        self.members = members
        self.camel_of = {name: pascal_to_camel(name) for name in members}
        self.api_keys = {name: name for name in members}
        # A user may write the camelCase name or the exact API name; the camelCase one wins a (never seen) clash.
        self.user_keys = {**self.api_keys, **{camel: name for name, camel in self.camel_of.items()}}
        self.lower_names = {name.lower(): name for name in members}
        self.user_lower_names = {camel.lower(): camel for camel in self.camel_of.values()}


_compile_lock = threading.Lock()
_nodes: dict[tuple[str, str], _Node] = {}


@functools.cache
def data_loader() -> Any:
    """botocore's loader of model files, one per process: the AWS clients share it (reconciler.aws), so each model
    and the endpoint rules are read and held once, not once here and again per client."""
    return botocore.session.get_session().get_component("data_loader")


@functools.cache
def _service_model(service: str) -> ServiceModel:
    try:
        session = botocore.session.get_session()
        session.register_component("data_loader", data_loader())
        return session.get_service_model(service)
    except (UnknownServiceError, DataNotFoundError) as exc:
        raise ValueError(f"unknown AWS service {service!r}") from exc


def _node_for(service: str, shape: Shape) -> _Node:
    """The compiled node of ``shape``; call with ``_compile_lock`` held. Recursive shapes are fine: a node is
    registered before its children are compiled."""
    cache_key = (service, shape.name)
    node = _nodes.get(cache_key)
    if node is not None:
        return node
    node = _Node(shape)
    _nodes[cache_key] = node
    if node.kind == "structure":
        node.set_members({name: _node_for(service, member) for name, member in shape.members.items()})
    elif node.kind == "list":
        node.member = _node_for(service, shape.member)
    elif node.kind == "map":
        node.key = _node_for(service, shape.key)
        node.value = _node_for(service, shape.value)
    return node


class _NoShape:
    """Stands in for the input or output shape of an operation that has none: an empty structure."""

    type_name = "structure"
    metadata: dict[str, Any] = {}

    def __init__(self, name: str) -> None:
        self.name = name


def _empty_structure(name: str) -> _Node:
    node = _Node(_NoShape(name))
    node.set_members({})
    return node


@functools.cache
def _operation_node(service: str, operation: str, direction: str) -> _Node:
    model = _service_model(service)
    try:
        operation_model = model.operation_model(operation)
    except OperationNotFoundError as exc:
        raise ValueError(f"unknown operation {operation!r} of AWS service {service!r}") from exc
    shape = operation_model.input_shape if direction == "input" else operation_model.output_shape
    if shape is None:
        return _empty_structure(f"{operation}{direction.title()}")
    with _compile_lock:
        return _node_for(service, shape)


@functools.cache
def _named_node(service: str, shape_name: str) -> _Node:
    model = _service_model(service)
    try:
        shape = model.shape_for(shape_name)
    except NoShapeFoundError as exc:
        raise ValueError(f"unknown shape {shape_name!r} of AWS service {service!r}") from exc
    with _compile_lock:
        return _node_for(service, shape)


def operation_input(service: str, operation: str) -> Shape | None:
    """botocore's input shape of ``operation`` (None: it takes no input), as this module checks it."""
    try:
        return _service_model(service).operation_model(operation).input_shape
    except OperationNotFoundError as exc:
        raise ValueError(f"unknown operation {operation!r} of AWS service {service!r}") from exc


def input_members(service: str, operation: str, *, user_case: bool = False) -> frozenset[str]:
    """The top-level member names of the input shape of ``operation``: exact API case, or with ``user_case=True``
    as a manifest writes them (camelCase: ``PolicyName`` -> ``policyName``, ``OKActions`` -> ``okActions``)."""
    node = _operation_node(service, operation, "input")
    return frozenset(node.camel_of.values() if user_case else node.members)


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
    root = _operation_node(service, operation, "input")
    provided = frozenset(provided)
    unknown = provided - root.members.keys()
    if unknown:
        raise ValueError(f"provided members {sorted(unknown)} are not members of {service} {operation} input")
    problems: list[ShapeProblem] = []
    _Checker(problems, user_case).check(root, params, "", sensitive=False, provided=provided)
    if not problems:
        api_params = _rename(root, params, to_api=True) if user_case else params
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
    shape = _service_model(service).operation_model(operation).input_shape
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
        self, node: _Node, value: Any, path: str, *, sensitive: bool, provided: frozenset[str] = frozenset()
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
            if not isinstance(value, _NUMBER_TYPES) or isinstance(value, bool):
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

    def check_structure(self, node: _Node, value: Any, path: str, sensitive: bool, provided: frozenset[str]) -> None:
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

    def shown(self, node: _Node, name: str) -> str:
        return node.camel_of[name] if self.user_case else name

    def check_map_key(self, key_node: _Node, key: Any, path: str) -> None:
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

    def check_size(self, node: _Node, size: int, path: str) -> None:
        if node.min is not None and size < node.min:
            self.report(path, f"must have at least {_number(node.min)} items, got {size}")
        if node.max is not None and size > node.max:
            self.report(path, f"must have at most {_number(node.max)} items, got {size}")

    def check_length(self, node: _Node, length: int, path: str) -> None:
        if node.min is not None and length < node.min:
            self.report(path, f"length must be at least {_number(node.min)}, got {length}")
        if node.max is not None and length > node.max:
            self.report(path, f"length must be at most {_number(node.max)}, got {length}")

    def check_range(self, node: _Node, value: Any, path: str) -> None:
        if node.min is not None and value < node.min:
            self.report(path, f"must be at least {_number(node.min)}, got {value}")
        if node.max is not None and value > node.max:
            self.report(path, f"must be at most {_number(node.max)}, got {value}")

    def report_type(self, node: _Node, value: Any, path: str, sensitive: bool) -> None:
        message = f"expected {_EXPECTED[node.kind]}, got {_describe(value, sensitive)}"
        if node.kind == "string" and isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool):
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


def _unknown_message(node: _Node, key: Any, user_case: bool) -> str:
    message = f"unknown field {key!r}"
    if isinstance(key, str):
        candidates = node.user_lower_names if user_case else node.lower_names
        close = difflib.get_close_matches(key.lower(), candidates.keys(), n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {candidates[close[0]]!r}?)"
    return message


def _enum_message(node: _Node, value: str, sensitive: bool) -> str:
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


# --- converting --------------------------------------------------------------------------------------------------


def coerce_scalars(service: str, operation: str, params: Any) -> Any:
    """A copy of ``params`` with the scalars YAML typed "wrong" but unambiguously turned into what the input shape
    of ``operation`` wants: an int or float where a string is wanted becomes a string (``cpu: 256`` -> ``"256"``),
    a numeric string where an integer is wanted becomes an int, and one where a float/double is wanted a float.
    Keys may be camelCase or exact API names.

    Where a string is wanted, a number or boolean that came from a manifest with its text as written (containers
    from ``loader.with_source_text``) becomes exactly that text: ``0755`` -> ``"0755"``, ``1:20`` -> ``"1:20"``,
    ``1.10`` -> ``"1.10"``, ``yes`` -> ``"yes"``, never YAML 1.1's reading of it. Without that text a boolean is
    never coerced; everything else is left for :func:`check_input` to report."""
    return _coerce(_operation_node(service, operation, "input"), params, None)


def _coerce(node: _Node, value: Any, text: str | None) -> Any:
    kind = node.kind
    if kind == "structure" and isinstance(value, dict):
        keys, members = node.user_keys, node.members
        result = {}
        for key, item in value.items():
            name = keys.get(key) if isinstance(key, str) else None
            result[key] = _coerce(members[name], item, source_text(value, key)) if name is not None else item
        return result
    if kind == "list" and isinstance(value, list | tuple):
        assert node.member is not None
        return [_coerce(node.member, item, source_text(value, index)) for index, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        assert node.value is not None
        return {key: _coerce(node.value, item, source_text(value, key)) for key, item in value.items()}
    if kind == "string" and text is not None and isinstance(value, (bool, *_NUMBER_TYPES)):
        return text
    if isinstance(value, bool):
        return value
    if kind == "string" and isinstance(value, _NUMBER_TYPES):
        return str(value)
    if kind in ("integer", "long") and isinstance(value, str) and _INTEGER_TEXT.match(value):
        return int(value)
    if kind in ("double", "float") and isinstance(value, str) and _NUMBER_TEXT.match(value):
        return float(value)
    return value


def to_api_case(service: str, operation: str, params: Any) -> Any:
    """A copy of the camelCase document ``params`` whose keys are the exact member names of the input shape of
    ``operation`` (``policyName`` -> ``PolicyName``, ``okActions`` -> ``OKActions``), nested structures, list items
    and map values included. Map keys are user data and kept; keys the shape does not know are kept as given (and
    left for :func:`check_input` to report), as is ``policyName`` when ``PolicyName`` is given too."""
    return _rename(_operation_node(service, operation, "input"), params, to_api=True)


def from_api_case(service: str, operation: str, data: Any, *, shape: str | None = None) -> Any:
    """The reverse of :func:`to_api_case`, for what AWS returns: a copy of ``data`` with member names in camelCase
    (``ScalingPolicies`` -> ``scalingPolicies``, ``OKActions`` -> ``okActions``).

    ``data`` is walked as the output shape of ``operation`` (a whole ``DescribeScalingPolicies`` response), or, if
    ``shape`` is given, as that named shape of the service model (``"ScalingPolicy"`` for one item of it; then
    ``operation`` only documents where the data came from and is not looked up). Map keys and unknown keys are kept.
    """
    node = _named_node(service, shape) if shape is not None else _operation_node(service, operation, "output")
    return _rename(node, data, to_api=False)


def _rename(node: _Node, value: Any, *, to_api: bool) -> Any:
    kind = node.kind
    if kind == "structure" and isinstance(value, Mapping):
        keys = node.user_keys if to_api else node.api_keys
        result: dict[Any, Any] = {}
        for key, item in value.items():
            name = keys.get(key) if isinstance(key, str) else None
            if name is None:
                result[key] = item
                continue
            new_key = name if to_api else node.camel_of[name]
            if new_key != key and new_key in value:
                # Both "policyName" and "PolicyName" given: the one already in the target case wins.
                result[key] = item
            else:
                result[new_key] = _rename(node.members[name], item, to_api=to_api)
        return result
    if kind == "list" and isinstance(value, list | tuple):
        assert node.member is not None
        return [_rename(node.member, item, to_api=to_api) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        assert node.value is not None
        return {key: _rename(node.value, item, to_api=to_api) for key, item in value.items()}
    return value
