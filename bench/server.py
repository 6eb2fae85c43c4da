"""The emulator in its own process, so the benchmark's client and the server do not share one interpreter (and its
GIL): prints its endpoint URL, then one line ``<unix time> <operation>`` per API call as it arrives (the daemon's
reaction latency is measured to the first write); serves until its standard input closes.

The calls are seen by the tests' emulator middleware (tests/faults.py), so run it from the repository root:
``python -m bench.server``."""

from __future__ import annotations

import sys
import threading
import time

from reconciler.emulator import seed_demo_network
from tests.faults import start_hooked_emulator

_lock = threading.Lock()


def report(operation: str) -> None:
    """One whole line per call: the server answers from several threads."""
    with _lock:
        sys.stdout.write(f"{time.time():.6f} {operation}\n")
        sys.stdout.flush()


def main() -> None:
    with start_hooked_emulator() as emulator:
        seed_demo_network(region="us-east-1")
        print(emulator.endpoint_url, flush=True)
        emulator.hooks.append(report)  # returns None: the call goes on to moto
        sys.stdin.read()


if __name__ == "__main__":
    main()
