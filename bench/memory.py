"""Where a daemon's memory goes at scale: ``python -m bench.memory [--services 1000] [--publishes 10]``.

Sets up a fleet of ``--services`` in the emulator (its own process), then reports, both with the container image's
dependencies only (``bench/image.py``):

- **phases**, in a fresh interpreter that does what a daemon's first passes do, one step at a time: the resident set
  (VmRSS) after each step and the peak (VmHWM) reached during it, the peak reset before each step through
  ``/proc/self/clear_refs``; ``--trace`` adds the ten largest allocation sites alive after each step (tracemalloc,
  which itself costs memory: its figures are for finding sites, not for the table);
- **the daemon**, `python -m reconciler run --metrics-port 0` (serving /metrics and /status, as the image does) as its
  own process on a git-sync link: its peak after the first pass and after ``--publishes`` publishes that each raise
  one service's desiredCount (the change-first plan, DeepDiff, the rollout follower). Target: <= 80 MB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import image
from bench.daemon import Daemon, GitSyncLink
from bench.fleet import SCALED_EVERY, service_names, write_fleet
from bench.run import REGION, emulator_process, scale_up

TARGET_MB = 80
"""The daemon's peak RSS at 1,000 services (issue target); the run exits 1 above it."""


def daemon_peaks(endpoint_url: str, root: Path, *, services: int, publishes: int) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as gtmp:
        git = GitSyncLink(Path(gtmp))
        git.publish(root, lambda _worktree: None)
        daemon = Daemon(
            git.link,
            "--resync-interval",
            "3600",
            "--metrics-port",
            "0",
            endpoint_url=endpoint_url,
        )
        try:
            daemon.wait_for_passes(1, timeout=900)
            m = daemon.memory()
            rows.append(("after the first pass", m["VmRSS"] / 1024, m["VmHWM"] / 1024))
            unscaled = [n for i, n in enumerate(service_names(services)) if i % SCALED_EVERY]
            for name in unscaled[:publishes]:
                finished = len(daemon.passes())
                git.publish(Path(os.path.realpath(git.link)), scale_up(name))
                daemon.wait_for_result("applied", after=finished)
            m = daemon.memory()
            rows.append((f"after {publishes} publishes", m["VmRSS"] / 1024, m["VmHWM"] / 1024))
        finally:
            daemon.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--publishes", type=int, default=10)
    parser.add_argument("--trace", action="store_true", help="the largest allocation sites after each phase")
    parser.add_argument("--phases-only", action="store_true", help="skip the daemon process")
    args = parser.parse_args(argv)
    from reconciler import log
    from reconciler.aws import Aws
    from reconciler.core.settings import AwsSettings, Settings
    from reconciler.pipeline import Pipeline

    log.configure(level="warning")
    started = time.perf_counter()
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        root = write_fleet(Path(tmp) / "fleet", services=args.services, clusters=args.clusters, extras=True)
        settings = Settings(aws=AwsSettings(endpoint_url=emulated.endpoint_url, region=REGION, embedded=True))
        setup = Pipeline(Aws(settings.aws), settings)
        if any(o.status != "done" for o in setup.apply(setup.plan(setup.load(root)))):
            raise SystemExit("setting up the fleet failed")
        print(f"memory at {args.services} services over {args.clusters} clusters")
        print(f"{'phase':<44} {'RSS after':>10} {'peak in it':>11}")
        command = [image.python(), "-m", "bench.phases", emulated.endpoint_url, str(root)]
        child = subprocess.run(command + (["--trace"] if args.trace else []), capture_output=True, text=True)
        if child.returncode:
            raise SystemExit(child.stderr)
        for line in child.stdout.splitlines():
            item = json.loads(line)
            print(f"{item['step']:<44} {item['rss']:>7.1f} MB {item['peak']:>8.1f} MB")
            for site in item.get("top", []):
                print(f"    {site}")
        peaks: list[float] = []
        if not args.phases_only:
            print()
            print(f"{'daemon process':<44} {'RSS':>10} {'peak':>11}")
            for name, rss, peak in daemon_peaks(
                emulated.endpoint_url, root, services=args.services, publishes=args.publishes
            ):
                print(f"{name:<44} {rss:>7.1f} MB {peak:>8.1f} MB")
                peaks.append(peak)
    print(f"whole run {time.perf_counter() - started:.0f} s")
    if peaks and max(peaks) > TARGET_MB:
        print(f"daemon peak {max(peaks):.1f} MB: target <= {TARGET_MB} MB missed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
