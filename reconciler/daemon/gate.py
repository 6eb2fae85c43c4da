"""Spacing of the passes asked for from outside (``POST /reconcile``, SIGHUP), so a burst of requests cannot spend
the account's AWS request budget.

The rule: a request starts a pass at once when no pass was granted in the last ``interval`` seconds; otherwise one
pass is queued for when the interval ends, and every further request until then joins it. A burst of any length
therefore costs one pass at once plus at most one per interval, and the last request of a burst is always answered
by a pass that starts after it. (The loop folds a request that arrives during a pass into one more pass as well.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

Answer = Literal["started", "queued", "joined"]
"""What became of a request: it started a pass, queued the next one, or joined the one already queued."""
IDLE_CHECK = 1.0
"""Seconds between two looks at the queue while nothing is queued."""


class PassGate:
    """Grants asked-for passes by the rule above; ``ask`` starts one; ``clock`` is injectable for tests."""

    def __init__(
        self, ask: Callable[[], None], *, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ask, self.interval, self._clock = ask, interval, clock
        self._last: float | None = None
        self._queued = False
        self._lock = threading.Lock()

    def request(self) -> Answer:
        with self._lock:
            if self._queued:
                return "joined"
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                self._queued = True
                return "queued"
            self._last = now
        self._ask()
        return "started"

    def due_in(self) -> float:
        """Seconds until the queued pass is due (``IDLE_CHECK`` when none is queued)."""
        with self._lock:
            if not self._queued or self._last is None:
                return IDLE_CHECK
            return max(0.0, self.interval - (self._clock() - self._last))

    def release(self) -> bool:
        """Start the queued pass if it is due; True when it started."""
        with self._lock:
            now = self._clock()
            if not self._queued or (self._last is not None and now - self._last < self.interval):
                return False
            self._queued, self._last = False, now
        self._ask()
        return True

    def run(self, stopping: threading.Event) -> None:
        """Start each queued pass when it is due, until ``stopping``."""
        while not stopping.wait(self.due_in()):
            self.release()
