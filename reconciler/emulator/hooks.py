"""The helpers emulator patches share: ``patch`` wraps a moto method, ``page`` cuts a listing as AWS pages it,
``epoch`` reads a listing's time filter."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any


def patch(cls: type, name: str, replacement: Callable[..., Any]) -> None:
    """Replace ``cls.name`` by ``replacement(original, self, *args, **kwargs)``."""
    original = getattr(cls, name)

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return replacement(original, self, *args, **kwargs)

    setattr(cls, name, wrapper)


def page(items: list[Any], size: int, token: str | None) -> tuple[list[Any], str | None]:
    """The page of ``items`` that ``token`` (an offset, as the emulator writes it) starts, and the next page's token."""
    start = int(token or 0)
    return items[start : start + size], str(start + size) if start + size < len(items) else None


def epoch(value: Any) -> float | None:
    """A time filter's bound (a listing's ``createdAt`` before / after) as seconds since the epoch (None: not given)."""
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)
