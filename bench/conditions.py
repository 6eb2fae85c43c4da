"""AWS conditions the plain emulator lacks, as a WSGI middleware in the emulator process: every call takes
``latency`` seconds (the round trip to a regional endpoint), and calls beyond AWS's documented token buckets are
answered ``ThrottlingException`` as AWS answers them, never reaching moto. The figures are those of
``reconciler.pacing.BUCKETS`` (the documented table); the bucket arithmetic here is its own, so a mistake in the
client's pacing is not mirrored by the server."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.emulator import WsgiApp
from reconciler.pacing import BUCKETS
from tests.faults import HookedApp, read_operation_name, signing_service

THROTTLED = (400, "ThrottlingException", "Rate exceeded")


class ServerBucket:
    """AWS's side of one bucket: full at the start, refilled continuously, a call without a token is refused."""

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, time.monotonic()
        self.lock = threading.Lock()

    def try_take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False

    def refill(self) -> None:
        with self.lock:
            self.tokens, self.stamp = self.capacity, time.monotonic()


class AwsConditions:
    """The middleware; ``enabled`` switches both latency and buckets (the fleet is set up without them)."""

    def __init__(
        self, app: WsgiApp, *, latency: float = 0.030, on_throttle: Callable[[str], None] | None = None
    ) -> None:
        self._app = app
        self._on_throttle = on_throttle
        self.latency = latency
        self.enabled = False
        self.buckets: dict[tuple[str, str], ServerBucket] = {}
        for b in BUCKETS:
            bucket = ServerBucket(b.capacity, b.rate)
            for operation in b.operations:
                self.buckets[(b.service, operation)] = bucket
        self.throttled: Counter[str] = Counter()

    def switch(self, on: bool) -> None:
        """Turn the conditions on or off; buckets start full either way."""
        for bucket in set(self.buckets.values()):
            bucket.refill()
        self.enabled = on

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self.enabled:
            return self._app(environ, start_response)
        body = HookedApp._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        operation = read_operation_name(environ, body)
        time.sleep(self.latency)
        if operation is not None:
            bucket = self.buckets.get((signing_service(environ), operation))
            if bucket is not None and not bucket.try_take():
                self.throttled[operation] += 1
                if self._on_throttle is not None:
                    self._on_throttle(operation)
                return HookedApp._answer_fault(THROTTLED, start_response)
        return self._app(environ, start_response)
