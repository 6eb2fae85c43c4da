"""Seeded fault injection on the emulator's hooks: per operation and at a set rate, answer throttling, 500, 503, a
slow answer, a dropped connection, or a lost response (moto executes the call, the client sees an error).

Decisions are a pure function of (seed, operation, how many times that operation was called), so a run replays
the same faults per operation whatever order concurrent reads arrive in.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.emulator import DROP, Emulator, Fault

PRE_EXECUTION = ("throttle", "500", "503", "slow", "drop")
"""Faults answered before moto sees the call: nothing happened, the client may simply retry."""
LOST = ("lost", "lost-drop")
"""Faults after moto executed the call: it took effect, but the client sees a 500 or a reset connection."""

_ANSWERS: dict[str, Fault | Literal["drop"]] = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "500": (500, "ServerException", "injected internal error"),
    "503": (503, "ServiceUnavailableException", "injected unavailability"),
    "drop": DROP,
    "lost": (500, "ServerException", "injected: the call was executed but its answer was lost"),
    "lost-drop": DROP,
}


@dataclass
class Faults:
    """Install with ``install(emulator)``; ``injected`` counts what was injected, by (operation, kind)."""

    seed: int
    rate: float
    kinds: tuple[str, ...] = PRE_EXECUTION
    rates: Mapping[str, float] = field(default_factory=dict)
    """Per-operation rates overriding ``rate`` (0 spares an operation)."""
    slow_seconds: float = 0.05
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    _seen: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: threading.local = field(default_factory=threading.local)

    def install(self, emulator: Emulator) -> Faults:
        emulator.hooks.append(self.before)
        emulator.after_hooks.append(self.after)
        return self

    def lost(self, operation: str) -> int:
        """How many calls of ``operation`` took effect while the client saw an error."""
        return sum(n for (op, kind), n in self.injected.items() if op == operation and kind in LOST)

    def _decide(self, operation: str) -> str | None:
        with self._lock:
            self._seen[operation] += 1
            n = self._seen[operation]
        rng = random.Random(f"{self.seed}/{operation}/{n}")
        if rng.random() >= self.rates.get(operation, self.rate):
            return None
        kind = rng.choice(self.kinds)
        with self._lock:
            self.injected[operation, kind] += 1
        return kind

    def before(self, operation: str) -> Fault | Literal["drop"] | None:
        kind = self._decide(operation)
        self._pending.kind = kind if kind in LOST else None
        if kind == "slow":
            time.sleep(self.slow_seconds)
            return None
        return None if kind is None or kind in LOST else _ANSWERS[kind]

    def after(self, operation: str) -> Fault | Literal["drop"] | None:
        kind, self._pending.kind = getattr(self._pending, "kind", None), None
        return _ANSWERS[kind] if kind else None
