"""File events to pass requests. Events carry no content: they only ask for a pass.

git-sync's link is watched through its parent directory, non-recursively, filtered to the link's name: watching
the link itself misses the atomic rename and goes deaf once the old worktree is deleted, and a recursive watch
of the root sees all checkout churn. A plain directory is watched recursively with a short debounce.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import structlog
import watchfiles

from reconciler.core.settings import WatchSettings
from reconciler.daemon.source import find_link

log = structlog.get_logger("reconciler.watch")


def watch_source(path: str, settings: WatchSettings, *, on_change: Callable[[], None], stop: threading.Event) -> None:
    """Call ``on_change`` on every relevant file event until ``stop`` is set (blocks; run it in a thread)."""
    path = os.path.abspath(path)
    while not stop.is_set():
        try:
            for _ in _changes(path, settings, stop):
                on_change()
        except (OSError, RuntimeError) as exc:
            log.warning("watch failed; retrying (the resync timer still runs)", path=path, error=str(exc))
            stop.wait(settings.heartbeat)


def _changes(path: str, settings: WatchSettings, stop: threading.Event) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    link = find_link(path)
    if link is not None:
        name = os.path.basename(link[0])
        return watchfiles.watch(
            os.path.dirname(link[0]),
            watch_filter=lambda _change, changed: os.path.basename(changed) == name,
            recursive=False,
            debounce=settings.link_debounce_ms,
            step=settings.step_ms,
            stop_event=stop,
            raise_interrupt=False,
        )
    return watchfiles.watch(
        path,
        recursive=True,
        debounce=settings.tree_debounce_ms,
        step=settings.step_ms,
        stop_event=stop,
        raise_interrupt=False,
    )
