"""The emulator in its own process, so the benchmark's client and the server do not share one interpreter (and its
GIL): prints its endpoint URL, then one line ``<unix time> <operation> <app> <account>`` per API call as it arrives
(the daemon's reaction latency is measured to the first write; ``app`` is the caller's User-Agent app id, set by
``AWS_SDK_UA_APP_ID``, or ``-``; ``account`` the account its credentials act in, assumed roles included), and
``<unix time> !<operation>`` per call answered with throttling under AWS conditions. Reads commands from its
standard input, one a line: ``conditions on`` / ``conditions off`` switch AWS conditions (30 ms a call and the
documented buckets, bench/conditions.py); it serves until its standard input closes.

The calls are seen by the tests' emulator middleware (tests/faults.py), so run it from the repository root:
``python -m bench.server``."""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from moto.iam.models import get_account_id_from

from bench.conditions import AwsConditions
from reconciler.emulator import WsgiApp, create_app, seed_demo_network, serve
from tests.faults import HookedApp, access_key_of, read_operation_name

_lock = threading.Lock()


def report(operation: str) -> None:
    """One whole line per call: the server answers from several threads."""
    with _lock:
        sys.stdout.write(f"{time.time():.6f} {operation}\n")
        sys.stdout.flush()


class Reporter:
    """Reports each call that reaches moto with who made it: the caller's app id and the account it acts in."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = HookedApp._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        operation = read_operation_name(environ, body)
        if operation is not None:
            app = re.search(r"\bapp/(\S+)", environ.get("HTTP_USER_AGENT", ""))
            key = access_key_of(environ)
            report(f"{operation} {app.group(1) if app else '-'} {get_account_id_from(key) if key else '-'}")
        return self._app(environ, start_response)


def main() -> None:
    hooked = HookedApp(create_app())
    conditions = AwsConditions(Reporter(hooked), on_throttle=lambda operation: report(f"!{operation}"))
    emulator = serve(conditions)
    try:
        seed_demo_network(region="us-east-1")
        print(emulator.endpoint_url, flush=True)
        for line in sys.stdin:
            if line.strip() in ("conditions on", "conditions off"):
                conditions.switch(line.strip().endswith("on"))
                report("!Switched")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
