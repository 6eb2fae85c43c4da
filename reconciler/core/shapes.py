"""botocore's own service models, compiled once per shape into small cached nodes, and the conversions that walk
them: camelCase manifests to each operation's exact member names and back, and scalars YAML typed "wrong" to what a
shape wants. ``reconciler.core.schema`` checks specs against the same nodes.

Case: ECS and CloudWatch Logs name members in camelCase, Application Auto Scaling and CloudWatch in PascalCase.
Manifests are written in camelCase throughout. :func:`to_api_case` / :func:`from_api_case` convert by walking the
shape (so ``OKActions`` <-> ``okActions`` and map keys, which are user data, are never touched).

The module is pure: it reads botocore's bundled model files and calls no AWS.
"""

from __future__ import annotations

import decimal
import functools
import re
import threading
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import NoShapeFoundError, OperationNotFoundError, ServiceModel, Shape

from reconciler.core.loader import source_text
from reconciler.core.model_files import lean_session

_LEADING_CAPS = re.compile(r"[A-Z]+")
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*\Z")
_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")
NUMBER_TYPES = (int, float, decimal.Decimal)
"""The Python types a YAML number loads as."""


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


class Node:
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
        self.members: dict[str, Node] = {}
        self.camel_of: dict[str, str] = {}
        self.api_keys: dict[str, str] = {}
        self.user_keys: dict[str, str] = {}
        self.lower_names: dict[str, str] = {}
        self.user_lower_names: dict[str, str] = {}
        self.member: Node | None = None
        self.key: Node | None = None
        self.value: Node | None = None

    def set_members(self, members: dict[str, Node]) -> None:
        """Set the structure's members and the name maps derived from them."""
        self.members = members
        self.camel_of = {name: pascal_to_camel(name) for name in members}
        self.api_keys = {name: name for name in members}
        # A user may write the camelCase name or the exact API name; the camelCase one wins a (never seen) clash.
        self.user_keys = {**self.api_keys, **{camel: name for name, camel in self.camel_of.items()}}
        self.lower_names = {name.lower(): name for name in members}
        self.user_lower_names = {camel.lower(): camel for camel in self.camel_of.values()}


_compile_lock = threading.Lock()
_nodes: dict[tuple[str, str], Node] = {}


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service``, loaded once, without its documentation (``core/model_files.py``)."""
    return _model(lean_session(), service)


@functools.cache
def documented_model(service: str) -> ServiceModel:
    """botocore's whole model of ``service``, its documentation included (the JSON schemas show it)."""
    return _model(botocore.session.get_session(), service)


def _model(session: botocore.session.Session, service: str) -> ServiceModel:
    try:
        return session.get_service_model(service)
    except (UnknownServiceError, DataNotFoundError) as exc:
        raise ValueError(f"unknown AWS service {service!r}") from exc


def _node_for(service: str, shape: Shape) -> Node:
    """The compiled node of ``shape``; call with ``_compile_lock`` held. Recursive shapes are fine: a node is
    registered before its children are compiled."""
    cache_key = (service, shape.name)
    node = _nodes.get(cache_key)
    if node is not None:
        return node
    node = Node(shape)
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


def _empty_structure(name: str) -> Node:
    node = Node(_NoShape(name))
    node.set_members({})
    return node


@functools.cache
def operation_node(service: str, operation: str, direction: str) -> Node:
    """The compiled input or output shape of ``operation`` (``direction``: "input" or "output")."""
    model = service_model(service)
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
def named_node(service: str, shape_name: str) -> Node:
    """The compiled shape named ``shape_name`` of the service's model."""
    model = service_model(service)
    try:
        shape = model.shape_for(shape_name)
    except NoShapeFoundError as exc:
        raise ValueError(f"unknown shape {shape_name!r} of AWS service {service!r}") from exc
    with _compile_lock:
        return _node_for(service, shape)


def operation_input(service: str, operation: str, *, documented: bool = False) -> Shape | None:
    """botocore's input shape of ``operation`` (None: it takes no input), as this module checks it; ``documented``:
    from the model with its documentation."""
    model = documented_model(service) if documented else service_model(service)
    try:
        return model.operation_model(operation).input_shape
    except OperationNotFoundError as exc:
        raise ValueError(f"unknown operation {operation!r} of AWS service {service!r}") from exc


def input_members(service: str, operation: str, *, user_case: bool = False) -> frozenset[str]:
    """The top-level member names of the input shape of ``operation``: exact API case, or with ``user_case=True``
    as a manifest writes them (camelCase: ``PolicyName`` -> ``policyName``, ``OKActions`` -> ``okActions``)."""
    node = operation_node(service, operation, "input")
    return frozenset(node.camel_of.values() if user_case else node.members)


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
    return _coerce(operation_node(service, operation, "input"), params, None)


def _coerce(node: Node, value: Any, text: str | None) -> Any:
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
    if kind == "string" and text is not None and isinstance(value, (bool, *NUMBER_TYPES)):
        return text
    if isinstance(value, bool):
        return value
    if kind == "string" and isinstance(value, NUMBER_TYPES):
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
    return _rename(operation_node(service, operation, "input"), params, to_api=True)


def from_api_case(service: str, operation: str, data: Any, *, shape: str | None = None) -> Any:
    """The reverse of :func:`to_api_case`, for what AWS returns: a copy of ``data`` with member names in camelCase
    (``ScalingPolicies`` -> ``scalingPolicies``, ``OKActions`` -> ``okActions``).

    ``data`` is walked as the output shape of ``operation`` (a whole ``DescribeScalingPolicies`` response), or, if
    ``shape`` is given, as that named shape of the service model (``"ScalingPolicy"`` for one item of it; then
    ``operation`` only documents where the data came from and is not looked up). Map keys and unknown keys are kept.
    """
    node = named_node(service, shape) if shape is not None else operation_node(service, operation, "output")
    return _rename(node, data, to_api=False)


def _rename(node: Node, value: Any, *, to_api: bool) -> Any:
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
