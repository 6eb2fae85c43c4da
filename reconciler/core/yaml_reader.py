"""Parse one manifest file's bytes into plain-data documents, safely, remembering where every value came from.

Each document is parsed from PyYAML's node graph by hand, so no tag can construct an object or run code. What cannot
be loaded safely (oversized files, bad UTF-8, syntax errors, unknown tags, alias bombs, deep nesting, non-string or
duplicate keys, documents that are not mappings) is returned as ``ManifestError``s; nothing raises for a bad
manifest (``reconciler.core.yaml_nodes`` builds the data). ``reconciler.core.loader`` reads the files of a tree and
hands each one here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.composer import Composer, ComposerError
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from reconciler.core.document_maps import FieldLines, source_texts
from reconciler.core.errors import ManifestError
from reconciler.core.settings import ManifestSettings
from reconciler.core.yaml_nodes import NULL, Builder, line_of


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of one manifest file, as plain data, with the line of every field."""

    file: str
    """Path relative to the root, with "/" separators, e.g. "apps/web.yaml"."""
    index: int
    """0-based position of the document within its file (empty documents count)."""
    line: int
    """1-based line where the document's content starts."""
    body: Any
    """Plain data: dict / list / str / int / float / bool / None only."""
    lines: Mapping[str, int]
    """Field path -> 1-based line, e.g. "spec.containerDefinitions[0].image" -> 12 ("" -> document start)."""
    sources: Mapping[str, str] = field(default_factory=lambda: source_texts({}))
    """Field path -> the scalar's text exactly as written, for every scalar YAML 1.1 read as a number or a boolean
    (``0755`` -> 493, ``1:20`` -> 80, ``1.10`` -> 1.1, ``yes`` -> True): where AWS wants a string, that text is sent
    (see :func:`with_source_text`)."""

    def line_of(self, path: str) -> int:
        """The line of ``path``, else of its nearest recorded ancestor, else the document's start."""
        while True:
            line = self.lines.get(path)
            if line is not None:
                return line
            if not path:
                return self.line
            path = path[: max(path.rfind("."), path.rfind("["), 0)]


@dataclass(frozen=True)
class Limits:
    """How much the loader reads before refusing: the defences against huge or hostile manifests."""

    max_file_bytes: int = 1_048_576
    """Largest size of one file."""
    max_total_bytes: int = 128 * 1_048_576
    """Largest size of all the files together (room for ``max_files`` files of about 13 KiB each)."""
    max_files: int = ManifestSettings.max_files
    """Most manifest files under the root: a fleet of thousands of services kept one file per service fits."""
    max_nodes: int = 200_000
    """Most nodes per document, counting every alias expansion (defeats alias bombs)."""
    max_depth: int = 64
    """Deepest nesting of nodes in a document (the document itself is level 1)."""


def too_large(file: str, size: int, limits: Limits) -> ManifestError:
    """The error for a file over ``limits.max_file_bytes``."""
    return ManifestError(file, f"file is {size} bytes, larger than the limit of {limits.max_file_bytes} bytes")


# ---------------------------------------------------------------------------------------------------------- text


def load_text(text: bytes, *, file: str, limits: Limits = Limits()) -> tuple[list[Document], list[ManifestError]]:
    """Parse one manifest file's bytes into its non-empty documents; never raises for bad content.

    A document with any problem is dropped and its problems reported; a syntax error ends the file (the documents
    before it are kept).
    """
    return _load_text(bytes(text), file=file, limits=limits, composer_class=_COMPOSERS[0])


def _load_text(
    text: bytes, *, file: str, limits: Limits, composer_class: type[Any]
) -> tuple[list[Document], list[ManifestError]]:
    if len(text) > limits.max_file_bytes:
        return [], [too_large(file, len(text), limits)]
    try:
        source = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        return [], [ManifestError(file, f"not valid UTF-8 at byte offset {exc.start}", line=line)]

    documents: list[Document] = []
    errors: list[ManifestError] = []
    try:
        for index, root in enumerate(
            _compose_all(text, source, max_depth=limits.max_depth, composer_class=composer_class)
        ):
            if _is_empty(root):
                continue
            document, document_errors = _build_document(root, file=file, index=index, limits=limits)
            errors.extend(document_errors)
            if document is not None:
                documents.append(document)
    except yaml.MarkedYAMLError as exc:
        errors.append(_syntax_error(file, exc))
    except yaml.reader.ReaderError as exc:
        newlines = (
            text.count(b"\n", 0, exc.position) if composer_class.byte_positions else source.count("\n", 0, exc.position)
        )
        line = newlines + 1
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        errors.append(ManifestError(file, f"unacceptable character #x{code:04x}: {exc.reason}", line=line))
    except yaml.YAMLError as exc:
        errors.append(ManifestError(file, f"invalid YAML: {exc}"))
    except RecursionError:
        errors.append(ManifestError(file, "nesting too deep to parse"))
    except Exception as exc:  # a parser surprise must cost this file, never the whole pass
        errors.append(ManifestError(file, f"cannot load: {type(exc).__name__}: {exc}"))
    return documents, sorted(errors, key=lambda e: e.line or 0)


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> ManifestError:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        where = f" at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
        message = f"{exc.problem} ({exc.context}{where})"
    return ManifestError(file, f"invalid YAML: {message}", line=None if mark is None else mark.line + 1)


class _DepthLimited(Composer):
    """PyYAML's composer, refusing nesting deeper than ``max_depth`` while composing (so it never recurses deep)."""

    max_depth = Limits.max_depth
    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise ComposerError(None, None, f"nesting deeper than {self.max_depth} levels", mark)
            return cast(Node, super().compose_node(parent, index))
        finally:
            self._depth -= 1


class _PyComposer(_DepthLimited, Reader, Scanner, Parser, Resolver):
    """Pure-Python reader, scanner and parser (SafeLoader's), composed by ``_DepthLimited``."""

    byte_positions = False

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        Resolver.__init__(self)


_COMPOSERS: list[type[Any]] = [_PyComposer]
if yaml.__with_libyaml__:  # libyaml parses about ten times faster; composing and resolving stay in Python

    class _CComposer(_DepthLimited, yaml.cyaml.CParser, Resolver):  # type: ignore[misc, name-defined]
        """libyaml's parser producing events, composed by ``_DepthLimited``: only events cross from C."""

        byte_positions = True

        def __init__(self, stream: bytes) -> None:
            yaml.cyaml.CParser.__init__(self, stream)  # type: ignore[attr-defined]
            Composer.__init__(self)
            Resolver.__init__(self)

    _COMPOSERS.insert(0, _CComposer)


def _compose_all(text: bytes, source: str, *, max_depth: int, composer_class: type[Any]) -> Iterator[Node]:
    """``yaml.compose_all`` with a depth limit: node graphs only, nothing is constructed."""
    composer = composer_class(text if composer_class.byte_positions else source)
    composer.max_depth = max_depth
    try:
        while composer.check_node():
            yield composer.get_node()
    finally:
        composer.dispose()


def _is_empty(node: Node) -> bool:
    """True for a document with no content (``---`` alone, or only comments)."""
    return isinstance(node, ScalarNode) and node.tag == NULL and node.value == "" and not node.style


def _build_document(
    root: Node, *, file: str, index: int, limits: Limits
) -> tuple[Document | None, list[ManifestError]]:
    line = line_of(root)
    if not isinstance(root, MappingNode):
        return None, [ManifestError(file, "document is not a mapping", line=line)]
    builder = Builder(file)
    problem = _measure(root, limits=limits, file=file)
    if problem is not None:
        return None, [problem]
    lines: dict[str, int] = {"": line}
    try:
        body = builder.build(root, path="", lines=lines)
    except RecursionError:
        return None, [ManifestError(file, "nesting too deep to load", line=line)]
    if builder.errors:
        return None, builder.errors
    document = Document(
        file=file,
        index=index,
        line=line,
        body=body,
        lines=FieldLines(lines, start=line),
        sources=source_texts(builder.sources),
    )
    return document, []


class _Refused(Exception):
    """What ``_measure`` raises to stop at the first problem: its ManifestError."""


def _measure(root: Node, *, limits: Limits, file: str) -> ManifestError | None:
    """Check the document's size with every alias expanded, and its depth, before building anything.

    Sizes are memoised per node, so an alias bomb is refused after visiting each written node once. Merge keys are
    counted as full copies of their sources, an upper bound of what building does.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, height)
    open_nodes: set[int] = set()

    def refuse(node: Node, message: str) -> _Refused:
        return _Refused(ManifestError(file, message, line=line_of(node)))

    def measure(node: Node, depth: int) -> tuple[int, int]:
        key = id(node)
        known = sizes.get(key)
        if known is None:
            if key in open_nodes:
                raise refuse(node, "recursive alias: a node contains itself")
            if depth > limits.max_depth:
                raise refuse(node, f"nesting deeper than {limits.max_depth} levels (after expanding aliases)")
            if isinstance(node, ScalarNode):
                known = (1, 1)
            else:
                open_nodes.add(key)
                children: list[Node] = (
                    [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else list(node.value)
                )
                count, height = 1, 1
                for child in children:
                    child_count, child_height = measure(child, depth + 1)
                    count += child_count
                    height = max(height, child_height + 1)
                    if count > limits.max_nodes:
                        break
                open_nodes.discard(key)
                known = (count, height)
            sizes[key] = known
        count, height = known
        if count > limits.max_nodes:
            raise refuse(node, f"too many nodes (alias bomb?): more than {limits.max_nodes} after expanding aliases")
        if depth + height - 1 > limits.max_depth:
            raise refuse(node, f"nesting deeper than {limits.max_depth} levels (after expanding aliases)")
        return known

    try:
        measure(root, 1)
    except _Refused as exc:
        error: ManifestError = exc.args[0]
        return error
    return None
