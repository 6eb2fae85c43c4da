"""Logging setup: structlog, human-readable on a TTY, one JSON object per line otherwise, always on stderr."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(*, level: str = "info", json_output: bool | None = None) -> None:
    """Configure structlog once for the process. ``json_output`` None means: JSON unless stderr is a TTY."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    renderer = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
