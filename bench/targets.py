"""Targets under AWS conditions: a no-op `plan` of two targets of N services each (two accounts, their roles
assumed) against one target of 2N, with every call taking 30 ms and ECS's documented buckets enforced per account
and region (bench/conditions.py). Run from the repository root: ``python -m bench.targets [N]`` (default 200)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.accounts import apply_unpaced, pipeline, write_targets
from bench.aws_mode import bucket_limit
from bench.fleet import write_fleet
from bench.run import emulator_process
from reconciler import log
from reconciler.commands.common import plan_parts

ACCOUNTS = {"a": "111111111111", "b": "222222222222"}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    log.configure(level="warning")
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        two = write_targets(Path(tmp) / "two", emulated.endpoint_url, ACCOUNTS, services=n, clusters=5)
        trees = {
            f"two targets of {n} services": two,
            f"one target of {2 * n} services": write_fleet(Path(tmp) / "one", services=2 * n, clusters=10),
        }
        for root in trees.values():
            apply_unpaced(emulated.endpoint_url, root)
        for label, root in trees.items():
            emulated.control("conditions on")  # every bucket full again
            time.sleep(0.5)
            started = time.perf_counter()
            parts = plan_parts(pipeline(emulated.endpoint_url, paced=True), str(root), ())
            took = time.perf_counter() - started
            if any(p.planned.plan.actions for p in parts):
                raise SystemExit(f"{label}: the plan is not empty")
            limits = [bucket_limit(p.pipeline.aws.by_service) for p in parts]
            calls = sum(sum(p.pipeline.aws.calls.values()) for p in parts)
            throttled = sum(sum(p.pipeline.aws.throttled.values()) for p in parts)
            slowest = max(limit for limit, _ in limits)
            print(
                f"{label}: no-op plan {took:.1f} s, {calls} calls, {throttled} throttled; slowest target's bucket "
                f"limit {slowest:.1f} s ({limits[0][1]}): {took / slowest:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
