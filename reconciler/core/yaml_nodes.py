"""Turn a measured YAML node graph into plain data: dicts, lists, strings, numbers, booleans and None only, with the
line of every field and, for each scalar YAML 1.1 reads as a number or boolean, its text as written. Only strings,
integers, floats, booleans and nulls are built (timestamps stay text); any other tag is refused, as are non-string
and duplicate keys (``reconciler.core.yaml_reader`` composes the graph and measures it first).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.core.errors import ManifestError

_TAG_PREFIX = "tag:yaml.org,2002:"
_STR = _TAG_PREFIX + "str"
_INT = _TAG_PREFIX + "int"
_FLOAT = _TAG_PREFIX + "float"
_BOOL = _TAG_PREFIX + "bool"
NULL = _TAG_PREFIX + "null"
"""The tag of an empty document's (and a null's) scalar."""
_SEQ = _TAG_PREFIX + "seq"
_MAP = _TAG_PREFIX + "map"
_MERGE = _TAG_PREFIX + "merge"
_TIMESTAMP = _TAG_PREFIX + "timestamp"
_VALUE = _TAG_PREFIX + "value"
_TEXT_TAGS = frozenset({_STR, _TIMESTAMP, _VALUE, _MERGE})
"""Scalar tags whose value is the scalar's text: dates stay strings, ``=`` and a ``<<`` outside a key are text."""
_SHARED_TEXT = 128
"""Texts up to this length are kept once however often the tree repeats them (kinds, names, images, ports)."""


def line_of(node: Node) -> int:
    """The 1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


class Builder:
    """Turns a measured node graph into plain data and field lines; collects (once per node) what it refuses."""

    _constructor = yaml.SafeLoader("")  # only its pure scalar constructors are used

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ManifestError] = []
        self.sources: dict[str, str] = {}
        self._reported: set[tuple[int, str]] = set()

    def refuse(self, node: Node, message: str, *, path: str) -> None:
        if (id(node), message) in self._reported:
            return
        self._reported.add((id(node), message))
        self.errors.append(ManifestError(self.file, message, line=line_of(node), field=path or None))

    def build(self, node: Node, *, path: str, lines: dict[str, int]) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node, path=path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self.refuse(node, _tag_refused(node.tag, "a sequence"), path=path)
            items = []
            for i, item in enumerate(node.value):
                item_path = sys.intern(f"{path}[{i}]")  # the same paths recur in every manifest: kept once
                lines[item_path] = line_of(item)
                items.append(self.build(item, path=item_path, lines=lines))
            return items.copy()  # sized exactly: a list grown by appends keeps room to spare
        if node.tag != _MAP:
            self.refuse(node, _tag_refused(node.tag, "a mapping"), path=path)
        result = {}
        for key, (key_node, value_node) in self.pairs(cast(MappingNode, node), path=path).items():
            key = sys.intern(key)  # field names and paths recur across the tree's documents: one string each
            child = sys.intern(f"{path}.{key}") if path else key
            lines[child] = line_of(key_node)
            result[key] = self.build(value_node, path=child, lines=lines)
        return result

    def pairs(self, node: MappingNode, *, path: str) -> dict[str, tuple[Node, Node]]:
        """The mapping's effective (key node, value node) by key, merge keys applied as YAML 1.1 / PyYAML do.

        Keys written in the mapping win over merged ones; among merged sources the earlier wins. Merged keys come
        first, as in PyYAML.
        """
        own: dict[str, tuple[Node, Node]] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                if merges:
                    self.refuse(key_node, "duplicate key '<<'", path=path)
                merges.append(value_node)
                continue
            key = self.key(key_node, path=path)
            if key is None:
                continue
            if key in own:
                first = line_of(own[key][0])
                child = f"{path}.{key}" if path else key
                self.refuse(key_node, f"duplicate key {key!r} (first at line {first})", path=child)
                continue
            own[key] = (key_node, value_node)
        if not merges:
            return own
        merged: dict[str, tuple[Node, Node]] = {}
        for value_node in merges:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.refuse(source, "a merge key '<<' takes a mapping or a list of mappings", path=path)
                    continue
                if source.tag != _MAP:
                    self.refuse(source, _tag_refused(source.tag, "a mapping"), path=path)
                for key, pair in self.pairs(source, path=path).items():
                    merged.setdefault(key, pair)
        for key in own:
            merged.pop(key, None)
        return merged | own

    def key(self, node: Node, *, path: str) -> str | None:
        if not isinstance(node, ScalarNode):
            self.refuse(node, "mapping key is not a scalar", path=path)
            return None
        if node.tag in _TEXT_TAGS:
            return str(node.value)
        if node.tag in (_INT, _FLOAT, _BOOL, NULL):
            kind = _short(node.tag)[2:]
            message = f"mapping key {node.value!r} is read as {kind}, not a string (quote it)"
            self.refuse(node, message, path=path)
            return None
        self.refuse(node, f"tag {_short(node.tag)} is not allowed", path=path)
        return None

    def scalar(self, node: ScalarNode, *, path: str) -> Any:
        tag = node.tag
        if tag in _TEXT_TAGS:
            return _shared(node.value)
        construct = {
            NULL: self._constructor.construct_yaml_null,
            _BOOL: self._constructor.construct_yaml_bool,
            _INT: self._constructor.construct_yaml_int,
            _FLOAT: self._constructor.construct_yaml_float,
        }.get(tag)
        if construct is None:
            self.refuse(node, f"tag {_short(tag)} is not allowed", path=path)
            return None
        if tag != NULL:
            self.sources[path] = _shared(str(node.value))
        try:
            return construct(node)
        except (ValueError, KeyError, TypeError, yaml.YAMLError):
            self.refuse(node, f"{node.value!r} is not a valid {_short(tag)[2:]}", path=path)
            return None


class _TextDict(dict[Any, Any]):
    """A mapping that remembers the written text of its number and boolean values, by key."""

    __slots__ = ("texts",)
    texts: dict[Any, str]


class _TextList(list[Any]):
    """A list that remembers the written text of its number and boolean items, by index."""

    __slots__ = ("texts",)
    texts: dict[Any, str]


def with_source_text(value: Any, sources: Mapping[str, str], *, path: str) -> Any:
    """A copy of ``value`` (the body found at field ``path`` of a Document, or that body after variables were
    substituted) whose mappings and lists remember the text as written of their number and boolean members, from
    the Document's ``sources``. Read it back with :func:`source_text`; the copy is equal to ``value``. Copying a
    container drops what it remembers (the copy's members then read as they were parsed)."""
    if isinstance(value, Mapping):
        mapping = _TextDict()
        mapping.texts = {}
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            mapping[key] = with_source_text(item, sources, path=child)
            if child in sources and not isinstance(item, str):
                mapping.texts[key] = sources[child]
        return mapping
    if isinstance(value, list):
        items = _TextList()
        items.texts = {}
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            items.append(with_source_text(item, sources, path=child))
            if child in sources and not isinstance(item, str):
                items.texts[index] = sources[child]
        return items
    return value


def source_text(container: Any, key: Any) -> str | None:
    """The text as written of ``container[key]`` when it is a number or boolean that came from a manifest through
    :func:`with_source_text`; None otherwise."""
    texts = getattr(container, "texts", None) if isinstance(container, _TextDict | _TextList) else None
    return None if texts is None else texts.get(key)


def _shared(text: str) -> str:
    """``text``, as the one string of its value when it is short."""
    return sys.intern(text) if len(text) <= _SHARED_TEXT else text


def _tag_refused(tag: str, kind: str) -> str:
    """The message for a collection's tag: a scalar tag is misplaced, any other tag is not allowed at all."""
    allowed = tag in _TEXT_TAGS or tag in (_INT, _FLOAT, _BOOL, NULL)
    return f"tag {_short(tag)} is not allowed on {kind}" if allowed else f"tag {_short(tag)} is not allowed"


def _short(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` -> ``!!python/object``; local tags such as ``!Ref`` unchanged."""
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag
