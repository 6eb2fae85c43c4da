"""The emulator in its own process, so the benchmark's client and the server do not share one interpreter (and its
GIL): prints its endpoint URL, serves until its standard input closes."""

from __future__ import annotations

import sys

from reconciler.emulator import seed_demo_network, start_emulator


def main() -> None:
    with start_emulator() as emulator:
        seed_demo_network(region="us-east-1")
        print(emulator.endpoint_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
