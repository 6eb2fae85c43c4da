"""Delivering alerts in the background, so a slow or hanging sink never holds a pass or shutdown.

``Background`` wraps any sink that talks to the outside (SNS, a webhook, a chat service): ``send`` only queues the
alert (a bounded queue), and one thread per sink delivers it, ``attempts`` times at most with a growing pause
between attempts, each attempt bounded by the sink's own timeout. An alert is dropped, counted and logged when the
queue is full, when every attempt failed or one was refused (``DeliveryRefused``), or when shutdown's deadline
comes first. Alerts reach every sink already masked (``Alerter``).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from reconciler.core.errors import DeliveryRefused, ReconcilerError
from reconciler.daemon.alerts import Alert, Sink

log = structlog.get_logger("reconciler.alerts")

Dropped = Callable[[Alert, str], None]
"""Called with each alert a sink dropped and the sink's name (the metric)."""


@dataclass(frozen=True)
class DeliveryRules:
    """How hard a background sink tries."""

    queue_size: int = 100
    """Alerts waiting at most; a further one is dropped."""
    attempts: int = 3
    """Tries per alert, the first one included."""
    pause: float = 1.0
    """Seconds before the second attempt; doubles after each failed one."""


class Background:
    """``sink`` delivered from its own thread (see the module docstring)."""

    def __init__(self, sink: Sink, *, rules: DeliveryRules = DeliveryRules(), dropped: Dropped | None = None) -> None:
        self.sink, self.rules = sink, rules
        self.name = sink.name
        self._dropped = dropped
        self._queue: queue.Queue[Alert | None] = queue.Queue()
        self._closing = threading.Event()
        self._deadline = float("inf")
        self._abandoned = False
        """Shutdown's deadline passed: what was left is counted as dropped, and the thread counts nothing more."""
        self._current: Alert | None = None
        self._thread = threading.Thread(target=self._work, name=f"alerts-{sink.name}", daemon=True)
        self._thread.start()

    def send(self, alert: Alert) -> None:
        """Queue ``alert``; never blocks."""
        if self._closing.is_set() or self._queue.qsize() >= self.rules.queue_size:
            self._drop(alert, "the queue is full" if not self._closing.is_set() else "shutting down")
            return
        self._queue.put(alert)

    def close(self, deadline: float) -> None:
        """Deliver what is queued until ``deadline`` (monotonic), then drop the rest; no new alert is taken."""
        self._deadline = deadline
        self._closing.set()
        self._queue.put(None)
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if not self._thread.is_alive():
            return
        for alert in [self._current, *self._drain()]:
            if alert is not None:
                self._drop(alert, "shutdown came first")
        self._abandoned = True

    def _drain(self) -> list[Alert | None]:
        items: list[Alert | None] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _work(self) -> None:
        while not self._abandoned and (alert := self._queue.get()) is not None:
            self._current = alert
            self._deliver(alert)
            self._current = None

    def _deliver(self, alert: Alert) -> None:
        pause, error = self.rules.pause, ""
        for attempt in range(1, self.rules.attempts + 1):
            try:
                self.sink.send(alert)
                return
            except DeliveryRefused as exc:
                self._drop(alert, str(exc))
                return
            except (OSError, ReconcilerError) as exc:
                error = str(exc) or exc.__class__.__name__
                log.warning("alert not delivered; trying again", sink=self.name, kind=alert.kind, attempt=attempt)
            if attempt < self.rules.attempts and not self._wait(pause):
                break
            pause *= 2
        self._drop(alert, f"every attempt failed: {error}")

    def _wait(self, seconds: float) -> bool:
        """Pause before another attempt; False when shutdown's deadline comes first."""
        end = time.monotonic() + seconds
        if not self._closing.wait(seconds):
            return True
        if end > self._deadline:
            return False
        time.sleep(max(0.0, end - time.monotonic()))
        return True

    def _drop(self, alert: Alert, why: str) -> None:
        if self._abandoned:
            return
        log.error("alert dropped", sink=self.name, kind=alert.kind, resource=alert.resource, reason=why)
        if self._dropped is not None:
            self._dropped(alert, self.name)


class Selected:
    """Hands ``sink`` only the alerts of the chosen kinds (``--alert-events SINK=KIND,...``); the rest never reach
    its queue."""

    def __init__(self, sink: Sink, kinds: frozenset[str]) -> None:
        self.sink, self.kinds, self.name = sink, kinds, sink.name

    def send(self, alert: Alert) -> None:
        if alert.kind in self.kinds:
            self.sink.send(alert)
