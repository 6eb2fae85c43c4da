"""A document's maps by field path (the line of every field, the text of numbers and booleans as written), kept
small: equal maps are kept once, however many documents have them.

The documents of a fleet are mostly written from a few templates, so many have the same field paths at the same
distances from their first line and the same numbers written the same way. ``FieldLines`` keeps, per document, only
its first line and a shared layout (field path -> lines below the first line); ``source_texts`` hands out one
read-only map per distinct content. What is shared lives as long as a document uses it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import Any


class _Layout(dict[str, int]):
    """Field path -> lines below the document's first line, shared by every document laid out so."""

    __slots__ = ("__weakref__",)


_LAYOUTS: weakref.WeakValueDictionary[int, _Layout] = weakref.WeakValueDictionary()
"""Layouts documents use, by the hash of their content (of two that collide, the first is shared)."""


def _shared(registry: weakref.WeakValueDictionary[int, Any], candidate: Any) -> Any:
    """The map in ``registry`` with the same items in the same order as ``candidate``, else ``candidate`` (kept)."""
    items = list(candidate.items())
    key = hash(tuple(items))
    found = registry.get(key)
    if found is not None and list(found.items()) == items:
        return found
    if found is None:
        registry[key] = candidate
    return candidate


class FieldLines(Mapping[str, int]):
    """Field path -> 1-based line, read-only; equal to the dict it was made from."""

    __slots__ = ("_layout", "_start")

    def __init__(self, lines: Mapping[str, int], *, start: int) -> None:
        """``lines``: field path -> line; ``start``: the document's first line."""
        self._layout: _Layout = _shared(_LAYOUTS, _Layout({path: line - start for path, line in lines.items()}))
        self._start = start

    def __getitem__(self, path: str) -> int:
        return self._start + self._layout[path]

    def get(self, path: str, default: Any = None) -> Any:
        offset = self._layout.get(path)
        return default if offset is None else self._start + offset

    def __contains__(self, path: object) -> bool:
        return path in self._layout

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout)

    def __len__(self) -> int:
        return len(self._layout)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldLines) and other._start == self._start:
            return self._layout == other._layout
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FieldLines({dict(self)!r})"


class _Texts(Mapping[str, str]):
    """Field path -> text as written, read-only, shared by every document with the same."""

    __slots__ = ("_texts", "__weakref__")

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts

    def __getitem__(self, path: str) -> str:
        return self._texts[path]

    def get(self, path: str, default: Any = None) -> Any:
        return self._texts.get(path, default)

    def __contains__(self, path: object) -> bool:
        return path in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __repr__(self) -> str:
        return f"{self._texts!r}"


_TEXTS: weakref.WeakValueDictionary[int, _Texts] = weakref.WeakValueDictionary()
"""Maps of texts documents use, by the hash of their content."""


def source_texts(texts: Mapping[str, str]) -> Mapping[str, str]:
    """A read-only map equal to ``texts``, shared with every document with the same texts."""
    shared: _Texts = _shared(_TEXTS, _Texts(dict(texts)))
    return shared
