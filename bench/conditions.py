"""AWS conditions the plain emulator lacks, as a WSGI middleware in the emulator process: every call takes
``latency`` seconds (the round trip to a regional endpoint), and calls beyond AWS's documented token buckets are
answered ``ThrottlingException`` as AWS answers them, never reaching moto. The figures are those of
``reconciler.pacing.BUCKETS`` (the documented table); the bucket arithmetic here is its own, so a mistake in the
client's pacing is not mirrored by the server."""

from __future__ import annotations

import functools
import io
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import botocore.session

from reconciler.emulator import WsgiApp
from reconciler.pacing import BUCKETS
from tests.faults import IAM_PREFIXES, HookedApp, read_operation_name, signing_service

THROTTLED = (400, "ThrottlingException", "Rate exceeded")


def caller_of(environ: dict[str, Any]) -> tuple[str, str]:
    """(access key id, region) of a SigV4-signed request."""
    match = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return (match.group(1), match.group(2)) if match else ("", "")


@functools.cache
def signed_as(service: str) -> str:
    """The service a request to botocore's ``service`` is seen as by ``signing_service`` (``elbv2`` signs as
    ``elasticloadbalancing``, ``cloudwatch`` as ``monitoring``)."""
    name = str(botocore.session.get_session().get_service_model(service).signing_name)
    prefix: str = IAM_PREFIXES.get(name, name)
    return prefix


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
        self._callers: dict[tuple[str, str], dict[tuple[str, str], ServerBucket]] = {}
        self._lock = threading.Lock()
        self.throttled: Counter[str] = Counter()

    def buckets(self, caller: tuple[str, str]) -> dict[tuple[str, str], ServerBucket]:
        """One caller's buckets, by (service, operation). AWS keeps them per account and region; the caller here is
        (access key, region): each assumed role's session is one account, the process's own keys another."""
        with self._lock:
            if caller not in self._callers:
                found: dict[tuple[str, str], ServerBucket] = {}
                for b in BUCKETS:
                    bucket = ServerBucket(b.capacity, b.rate)
                    for operation in b.operations:
                        found[(signed_as(b.service), operation)] = bucket
                self._callers[caller] = found
            return self._callers[caller]

    def switch(self, on: bool) -> None:
        """Turn the conditions on or off; buckets start full either way."""
        with self._lock:
            self._callers.clear()
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
            bucket = self.buckets(caller_of(environ)).get((signing_service(environ), operation))
            if bucket is not None and not bucket.try_take():
                self.throttled[operation] += 1
                if self._on_throttle is not None:
                    self._on_throttle(operation)
                refused: Iterable[bytes] = HookedApp._answer_fault(THROTTLED, start_response)
                return refused
        answer: Iterable[bytes] = self._app(environ, start_response)
        return answer
