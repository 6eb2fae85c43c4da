"""The emulator's time: one clock for every modelled deployment, and how AWS's durations shrink to fit tests.

AWS takes minutes to roll a service out and hours to bake a blue/green deployment; the emulator takes a fraction of
a second per step and scales AWS's minutes (bake times, canary and linear step bake times, lifecycle hook timeouts)
down by ``MINUTE_ENV``. Both are read when a deployment is advanced, so a test can set them with monkeypatch.setenv.

``CLOCK`` runs with time.monotonic() unless a test in the emulator's process freezes it (``freeze``) and moves it
on by hand (``advance``): every stage of a deployment can then be seen in turn, with no sleeping and no race.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

ROLLOUT_SECONDS_ENV = "ECS_RECONCILER_EMULATOR_ROLLOUT_SECONDS"
"""Seconds a rolling deployment takes to settle, and each lifecycle stage that has no time of its own (scaling up,
shifting traffic, cleaning up) or a Lambda hook takes to answer. Default 0.2 (AWS takes minutes)."""
ROLLOUT_SECONDS = 0.2
MINUTE_ENV = "ECS_RECONCILER_EMULATOR_MINUTE_SECONDS"
"""Seconds one of AWS's minutes lasts in the emulator (bakeTimeInMinutes, stepBakeTimeInMinutes,
canaryBakeTimeInMinutes, a lifecycle hook's timeoutInMinutes). Default 0.05: a 15-minute bake takes 0.75 s and a
PAUSE hook's default 24-hour timeout 72 s."""
MINUTE_SECONDS = 0.05


def rollout_seconds() -> float:
    """``ROLLOUT_SECONDS_ENV``, or its default."""
    return float(os.environ.get(ROLLOUT_SECONDS_ENV, ROLLOUT_SECONDS))


def minutes(count: float) -> float:
    """Emulator seconds that ``count`` of AWS's minutes last (``MINUTE_ENV``)."""
    return count * float(os.environ.get(MINUTE_ENV, MINUTE_SECONDS))


class Clock:
    """Monotonic seconds for deployments, and the wall-clock time they stand for; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: float | None = None
        self._offset = 0.0
        self._wall_base = datetime.now(UTC)
        self._base = time.monotonic()

    def now(self) -> float:
        """The current time in monotonic seconds (frozen while a test holds the clock)."""
        with self._lock:
            return self._frozen if self._frozen is not None else time.monotonic() + self._offset

    def utc(self, moment: float | None = None) -> datetime:
        """The wall-clock time of ``moment`` (default now), as AWS reports timestamps."""
        moment = self.now() if moment is None else moment
        return self._wall_base + timedelta(seconds=moment - self._base)

    def freeze(self) -> None:
        """Stop the clock where it is."""
        with self._lock:
            if self._frozen is None:
                self._frozen = time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock on by ``seconds`` (frozen or not)."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def thaw(self) -> None:
        """Let the clock run again, from where it stands."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.monotonic()
                self._frozen = None


CLOCK = Clock()
"""The process's emulator clock (moto's state is process-wide too)."""
