"""Logging setup: structlog, human-readable on a TTY, one JSON object per line otherwise, always on stderr (an
event logged with an exception carries its traceback); and the command line's streams with the sensitive
variables' values masked in everything written to them."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO, cast

import structlog


def configure(*, level: str = "info", json_output: bool | None = None) -> None:
    """Configure structlog once for the process. ``json_output`` None means: JSON unless stderr is a TTY."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    # An event logged with its exception (``log.exception``) carries the traceback: as the ``exception`` field's
    # text in JSON, printed below the line on a terminal (the console renderer formats it itself).
    rendering: list[structlog.typing.Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json_output
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *rendering,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


class _Masked:
    """A text stream that masks what is written to it (everything else is the stream's own)."""

    def __init__(self, stream: TextIO, mask: Callable[[str], str]) -> None:
        self._stream, self._mask = stream, mask

    def write(self, text: str) -> int:
        return self._stream.write(self._mask(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def masked_streams(mask: Callable[[str], str] | None) -> Iterator[None]:
    """stdout and stderr (logs, plans, error messages) with ``mask`` applied to every write, until the block ends;
    ``mask`` None: left as they are."""
    if mask is None:
        yield
        return
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = cast(TextIO, _Masked(saved[0], mask)), cast(TextIO, _Masked(saved[1], mask))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
