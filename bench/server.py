"""The emulator in its own process, so the benchmark's client and the server do not share one interpreter (and its
GIL): prints its endpoint URL, then one line ``<unix time> <operation>`` per API call as it arrives (the daemon's
reaction latency is measured to the first write), and ``<unix time> !<operation>`` per call answered with throttling
under AWS conditions. Reads commands from its standard input, one a line: ``conditions on`` / ``conditions off``
switch AWS conditions (30 ms a call and the documented buckets, bench/conditions.py); it serves until its standard
input closes.

The calls are seen by the tests' emulator middleware (tests/faults.py), so run it from the repository root:
``python -m bench.server``."""

from __future__ import annotations

import sys
import threading
import time

from bench.conditions import AwsConditions
from reconciler.emulator import create_app, seed_demo_network, serve
from tests.faults import HookedApp

_lock = threading.Lock()


def report(operation: str) -> None:
    """One whole line per call: the server answers from several threads."""
    with _lock:
        sys.stdout.write(f"{time.time():.6f} {operation}\n")
        sys.stdout.flush()


def main() -> None:
    hooked = HookedApp(create_app())
    conditions = AwsConditions(hooked, on_throttle=lambda operation: report(f"!{operation}"))
    emulator = serve(conditions)
    try:
        seed_demo_network(region="us-east-1")
        print(emulator.endpoint_url, flush=True)
        hooked.hooks.append(report)  # returns None: the call goes on to moto
        for line in sys.stdin:
            if line.strip() in ("conditions on", "conditions off"):
                conditions.switch(line.strip().endswith("on"))
                report("!Switched")
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
