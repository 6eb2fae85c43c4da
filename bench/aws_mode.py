"""The benchmark under AWS conditions (``python -m bench.run --aws-conditions``): every call takes 30 ms and the
emulator enforces the documented token buckets (bench/conditions.py), as AWS does. At ``--services`` (1,000) it
reports:

- (e) apply from nothing of the first ``--apply-services`` services (under the conditions) against the limit the
  write buckets set for the calls it made (RegisterTaskDefinition refills 1 a second: 1,000 families from nothing
  take over 16 minutes on AWS, so this part is measured on fewer); the rest of the fleet is then set up without the
  conditions;
- (f) a no-op CLI plan's wall time against the bucket limit of its calls (target <= 1.3x), and the throttling
  answers it met;
- (g) AWS calls of an idle daemon pass (the second plan of a pipeline that keeps revisions between passes;
  target <= 250);
- (h) the daemon (its own process, as the image runs it: its dependencies only, serving /metrics): publish to first
  write, p50 and p95 over ``--publishes`` publishes that each raise one service's desiredCount (targets 1 s and
  2 s), and its peak RSS over all of it (target <= 80 MB).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.daemon import Daemon, GitSyncLink
from bench.fleet import SCALED_EVERY, service_names, write_fleet
from bench.run import REGION, Row, _percentile, emulator_process, render, scale_up
from reconciler import log
from reconciler.aws import Aws
from reconciler.core.settings import AwsSettings, PaceSettings, Settings
from reconciler.pacing import BUCKETS, limit_seconds
from reconciler.pipeline import Pipeline


def paced(endpoint_url: str) -> Pipeline:
    """The CLI's pipeline, paced as against AWS (the embedded flag only fixes credentials and region)."""
    aws = AwsSettings(endpoint_url=endpoint_url, region=REGION, embedded=True, pace=PaceSettings(enabled=True))
    settings = Settings(aws=aws)
    return Pipeline(Aws(settings.aws), settings)


def bucket_limit(calls: Counter[tuple[str, str]]) -> tuple[float, str]:
    """The least time these calls can take through buckets that start full: the slowest bucket's (calls - burst) /
    rate (buckets refill side by side), and its name."""
    worst = (0.0, "none")
    for b in BUCKETS:
        n = sum(count for (service, op), count in calls.items() if service == b.service and op in b.operations)
        worst = max(worst, (limit_seconds(n, b.capacity, b.rate), b.name))
    return worst


def timed_ratio(label: str, seconds: float, limit: tuple[float, str], target: float) -> list[Row]:
    ratio = seconds / limit[0] if limit[0] else float("inf")
    return [
        Row(f"{label} wall time", f"{seconds:.1f} s", "", None),
        Row(f"{label} bucket limit ({limit[1]})", f"{limit[0]:.1f} s", "", None),
        Row(f"{label} vs bucket limit", f"{ratio:.2f}x", f"<= {target}x", ratio <= target),
    ]


def main(args: argparse.Namespace) -> int:
    log.configure(level="warning")
    started = time.perf_counter()
    rows: list[Row] = []
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        # (e) apply from nothing, under the conditions
        emulated.control("conditions on")
        first = write_fleet(Path(tmp) / "first", services=args.apply_services, clusters=args.clusters, extras=True)
        client = paced(emulated.endpoint_url)
        began = time.perf_counter()
        outcomes = client.apply(client.plan(client.load(first)))
        took = time.perf_counter() - began
        if any(o.status != "done" for o in outcomes):
            raise SystemExit(f"apply failed: {[o.error for o in outcomes if o.status != 'done'][:1]}")
        label = f"(e) apply from nothing, {args.apply_services} services"
        rows += timed_ratio(label, took, bucket_limit(client.aws.by_service), 1.3)
        rows.append(Row("(e) throttling answers met", str(sum(client.aws.throttled.values())), "", None))

        # the rest of the fleet, without the conditions
        emulated.control("conditions off")
        root = write_fleet(Path(tmp) / "fleet", services=args.services, clusters=args.clusters, extras=True)
        plain = Settings(aws=AwsSettings(endpoint_url=emulated.endpoint_url, region=REGION, embedded=True))
        setup = Pipeline(Aws(plain.aws), plain)
        if any(o.status != "done" for o in setup.apply(setup.plan(setup.load(root)))):
            raise SystemExit("setting up the fleet failed")
        emulated.control("conditions on")
        time.sleep(2)

        # (f) no-op CLI plan
        client = paced(emulated.endpoint_url)
        loaded = client.load(root)
        began = time.perf_counter()
        planned = client.plan(loaded)
        took = time.perf_counter() - began
        if planned.plan.pending:
            raise SystemExit(f"the plan after apply is not empty: {planned.plan.summary}")
        rows += timed_ratio(f"(f) no-op plan, {args.services} services", took, bucket_limit(client.aws.by_service), 1.3)
        rows.append(
            Row(
                "(f) AWS calls / throttling answers met",
                f"{sum(client.aws.calls.values())} / {sum(client.aws.throttled.values())}",
                "",
                None,
            )
        )

        # (g) an idle daemon pass
        keeper = paced(emulated.endpoint_url)
        keeper.keep_between_passes()
        keeper.plan(loaded)
        before = sum(keeper.aws.calls.values())
        began = time.perf_counter()
        keeper.plan(loaded)
        took = time.perf_counter() - began
        idle = sum(keeper.aws.calls.values()) - before
        rows.append(Row(f"(g) AWS calls of an idle pass at {args.services}", str(idle), "<= 250", idle <= 250))
        rows.append(Row("(g) idle pass wall time", f"{took:.1f} s", "", None))
        rows.append(Row("(g) throttling answers met (both plans)", str(sum(keeper.aws.throttled.values())), "", None))

        # (h) the daemon: publish to first write, peak RSS
        with tempfile.TemporaryDirectory() as gtmp:
            git = GitSyncLink(Path(gtmp))
            git.publish(root, lambda _worktree: None)
            serving = ("--resync-interval", "3600", "--metrics-port", "0")  # as the image runs it, with its packages
            daemon = Daemon(git.link, *serving, endpoint_url=emulated.endpoint_url)
            latencies: list[float] = []
            to_first_read: list[float] = []
            try:
                daemon.wait_for_passes(1, timeout=900)
                unscaled = [n for i, n in enumerate(service_names(args.services)) if i % SCALED_EVERY]
                for name in unscaled[: args.publishes]:
                    emulated.wait_idle(quiet=1.0)
                    finished = len(daemon.passes())
                    swapped = git.publish(Path(os.path.realpath(git.link)), scale_up(name))
                    daemon.wait_for_result("applied", after=finished)
                    written, read = emulated.first_write_after(swapped), emulated.first_call_after(swapped)
                    if written is None or read is None:
                        raise SystemExit(f"no AWS write after publishing {name}")
                    latencies.append(written - swapped)
                    to_first_read.append(read - swapped)
                memory = daemon.memory()
            finally:
                daemon.stop()
        n = len(latencies)
        p50, p95 = _percentile(latencies, 50), _percentile(latencies, 95)
        peak = memory["VmHWM"] / 1024
        reads = sorted(to_first_read)
        rows += [
            Row(
                "(h) publish to first read, p50 / max", f"{_percentile(reads, 50):.2f} s / {reads[-1]:.2f} s", "", None
            ),
            Row("(h) publish to first write, max", f"{max(latencies):.2f} s", "", None),
            Row(f"(h) publish to first write, p50 (n={n})", f"{p50:.2f} s", "<= 1 s", p50 <= 1.0),
            Row(f"(h) publish to first write, p95 (n={n})", f"{p95:.2f} s", "<= 2 s", p95 <= 2.0),
            Row(f"(h) daemon peak RSS at {args.services} services", f"{peak:.0f} MB", "<= 80 MB", peak <= 80),
        ]
    print(render(rows, services=args.services, clusters=args.clusters))
    print(f"whole run {time.perf_counter() - started:.0f} s")
    return 0 if all(r.met is not False for r in rows) else 1
