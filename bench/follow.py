"""Following deployments under AWS conditions: N services (a third each ROLLING, CANARY and LINEAR, the emulator's
stage times scaled down) are live and in sync with a daemon; under AWS conditions (30 ms a call, ECS's buckets per
account and region, bench/conditions.py) one publish changes every service's image, the daemon applies it and
follows every deployment to completion. Reports the throttling answers met (target 0: exit 1 otherwise), the
follower's calls per service per poll, the time from the publish to the apply and to seeing every deployment
completed, how long after ECS finished the last deployment the daemon saw it, and the AWS calls made. Run from the
repository root: ``python -m bench.follow [N]`` (default 100)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from bench.daemon import Daemon, GitSyncLink
from bench.fleet import fleet_files, service_names
from bench.run import REGION, Emulated, emulator_process
from reconciler import log
from reconciler.aws import Aws
from reconciler.core.settings import AwsSettings, Settings
from reconciler.emulator.clock import MINUTE_ENV, ROLLOUT_SECONDS_ENV
from reconciler.pipeline import Pipeline

STRATEGIES = {
    "ROLLING": "",
    "CANARY": (
        "    strategy: CANARY\n    bakeTimeInMinutes: 3\n"
        "    canaryConfiguration: {canaryPercent: 10, canaryBakeTimeInMinutes: 5}\n"
    ),
    "LINEAR": (
        "    strategy: LINEAR\n    bakeTimeInMinutes: 3\n"
        "    linearConfiguration: {stepPercent: 25, stepBakeTimeInMinutes: 2}\n"
    ),
}
"""Service i takes the (i mod 3)th strategy; its deploymentConfiguration lines."""
STAGE_SECONDS = "2"
"""A rolling deployment, and each lifecycle stage without a time of its own, takes 2 s in the emulator."""
MINUTE_SECONDS = "1"
"""One of AWS's minutes lasts 1 s: a canary takes about 22 s, a linear deployment about 27 s."""
FOLLOW_READS = ("DescribeServices", "DescribeServiceDeployments")
CLUSTERS = 5
ROUND_GAP = 0.2
"""Follow reads closer than this belong to one poll (the follower waits at least 0.25 s between polls)."""


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def write_tree(root: Path, services: int) -> Path:
    """The bench fleet over 5 clusters, its strategies dealt round-robin."""
    kinds = list(STRATEGIES)
    for name, text in fleet_files(services, CLUSTERS).items():
        if name.startswith("services/"):
            index = int(name.removeprefix("services/svc-").removesuffix(".yaml"))
            strategy = STRATEGIES[kinds[index % len(kinds)]]
            if strategy:
                text = text.replace(
                    "  launchType: FARGATE\n", f"  launchType: FARGATE\n  deploymentConfiguration:\n{strategy}"
                )
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def new_image(worktree: Path) -> None:
    for path in (worktree / "services").glob("*.yaml"):
        path.write_text(path.read_text().replace(":1.0\n", ":1.1\n"))


def current_deployments(endpoint_url: str, services: int) -> list[dict[str, Any]]:
    """The services' current ServiceDeployments, read without the conditions' buckets in mind (they are off)."""
    ecs = boto3.client(
        "ecs", endpoint_url=endpoint_url, region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    arns = []
    names = service_names(services)
    for c in range(CLUSTERS):
        mine = [n for i, n in enumerate(names) if i % CLUSTERS == c]
        for i in range(0, len(mine), 10):
            found = ecs.describe_services(cluster=f"cluster-{c:03d}", services=mine[i : i + 10])["services"]
            arns += [s["currentServiceDeployment"] for s in found]
    found = []
    for i in range(0, len(arns), 20):
        found += ecs.describe_service_deployments(serviceDeploymentArns=arns[i : i + 20])["serviceDeployments"]
    return found


def wait_completed(endpoint_url: str, services: int) -> None:
    """Until every service's current deployment is SUCCESSFUL."""
    while any(d["status"] != "SUCCESSFUL" for d in current_deployments(endpoint_url, services)):
        time.sleep(1)


def poll_rounds(calls: list[tuple[float, str]], start: float, end: float) -> list[tuple[float, Counter[str]]]:
    """The follower's polls between ``start`` and ``end``: runs of follow reads with less than ``ROUND_GAP`` between
    them, each (its first call's time, its calls by operation)."""
    rounds: list[tuple[float, Counter[str]]] = []
    last = -1.0
    for moment, operation in calls:
        if not start <= moment <= end or operation not in FOLLOW_READS:
            continue
        if moment - last > ROUND_GAP:
            rounds.append((moment, Counter()))
        rounds[-1][1][operation] += 1
        last = moment
    return rounds


def measure(emulated: Emulated, root: Path, services: int) -> tuple[list[str], int]:
    """The report's lines, and the throttling answers met."""
    with tempfile.TemporaryDirectory() as gtmp:
        git = GitSyncLink(Path(gtmp))
        git.publish(root, lambda _worktree: None)
        daemon = Daemon(git.link, "--resync-interval", "3600", endpoint_url=emulated.endpoint_url)
        try:
            daemon.wait_for_passes(1, timeout=600)
            say("the daemon's first pass is done")
            emulated.wait_idle(quiet=1.0)
            emulated.control("conditions on")  # every bucket full
            time.sleep(0.5)
            finished = len(daemon.passes())
            swapped = git.publish(Path(os.path.realpath(git.link)), new_image)
            daemon.wait_for_result("applied", after=finished, timeout=900)
            applied = daemon.pass_at("applied", after=swapped)
            say(f"applied in {applied - swapped:.1f} s; following")
            deadline = time.time() + 900
            while len(daemon.alerts("rollout_completed", after=swapped)) < services:
                if daemon.alerts("rollout_failed", after=swapped) or time.time() > deadline:
                    raise SystemExit(f"not every deployment completed: {daemon.events[-3:]}")
                time.sleep(0.05)
            seen = daemon.alerts("rollout_completed", after=swapped)
            done = max(seen)
            emulated.wait_idle(quiet=1.0)
        finally:
            daemon.stop()
    throttled = emulated.throttled_after(swapped)
    emulated.control("conditions off")
    last_finished = max(d["finishedAt"].timestamp() for d in current_deployments(emulated.endpoint_url, services))
    calls = [(t, op) for t, op in list(emulated.calls) if t >= swapped and not op.startswith("!")]
    by_operation = Counter(op for _t, op in calls)
    rounds = poll_rounds(calls, applied, done)
    pending = [(sum(1 for s in seen if s >= t), sum(c.values())) for t, c in rounds]
    per_service = [calls / max(1, waiting) for waiting, calls in pending]
    reads = Counter[str]()
    for _t, counted in rounds:
        reads.update(counted)
    lines = [
        f"following {services} services' deployments (ROLLING, CANARY, LINEAR by thirds) under AWS conditions",
        f"throttling answers: {throttled}",
        f"publish to the pass that applied the change: {applied - swapped:.1f} s",
        f"publish to every deployment seen completed: {done - swapped:.1f} s "
        f"(ECS finished the last at +{last_finished - swapped:.1f} s; seen {done - last_finished:.1f} s after)",
        f"follower polls after the apply: {len(rounds)}, {sum(reads.values())} calls ("
        + ", ".join(f"{n} {op}" for op, n in sorted(reads.items()))
        + ")",
        "follower polls, services not yet seen completed: calls: "
        + ", ".join(f"{waiting}: {calls}" for waiting, calls in pending),
        f"follower calls per service per poll: mean {sum(per_service) / max(1, len(per_service)):.3f}, "
        f"max {max(per_service, default=0):.3f}",
        f"AWS calls from the publish on: {len(calls)} ("
        + ", ".join(f"{n} {op}" for op, n in by_operation.most_common())
        + ")",
    ]
    return lines, throttled


def main() -> int:
    services = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    log.configure(level="warning")
    os.environ[ROLLOUT_SECONDS_ENV] = STAGE_SECONDS  # the emulator process inherits them
    os.environ[MINUTE_ENV] = MINUTE_SECONDS
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        root = write_tree(Path(tmp) / "fleet", services)
        settings = Settings(aws=AwsSettings(endpoint_url=emulated.endpoint_url, region=REGION, embedded=True))
        setup = Pipeline(Aws(settings.aws), settings)
        failed = [o for o in setup.apply(setup.plan(setup.load(root))) if o.status != "done"]
        if failed:
            raise SystemExit(f"set-up failed: {failed[0].error}")
        wait_completed(emulated.endpoint_url, services)
        say(f"{services} services created and deployed")
        lines, throttled = measure(emulated, root, services)
        print("\n".join(lines))
    return 0 if throttled == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
