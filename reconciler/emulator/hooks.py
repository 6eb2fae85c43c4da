"""The two helpers every emulator patch uses: ``patch`` wraps a moto method, ``page`` cuts a listing as AWS pages it."""

from __future__ import annotations

import functools
from collections.abc import Callable
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
