"""The benchmark: generate N services over K clusters, start the emulator, apply, then measure a no-op `plan`.

    python -m bench.run [--services 500] [--clusters 10] [--repeat 3] [--publishes 50] [--rss-services 1000]

Each measure is one function from the prepared ``Bench`` to table rows; adding a measure is adding a function to
``MEASURES``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from bench import image
from bench.daemon import Daemon, GitSyncLink
from bench.fleet import SCALED_EVERY, service_names, write_fleet
from reconciler import log
from reconciler.aws import Aws
from reconciler.core.manifests import load_resources
from reconciler.core.model import Resource
from reconciler.core.settings import AwsSettings, Settings
from reconciler.kinds import KINDS
from reconciler.pipeline import Loaded, Pipeline
from tests.faults import READ_PREFIXES

REGION = "us-east-1"


@dataclass(frozen=True)
class Row:
    metric: str
    measured: str
    target: str
    met: bool | None
    """None: informational, no target."""


@dataclass
class Emulated:
    """The emulator process: its endpoint, and every API call it has seen as (unix time, operation)."""

    endpoint_url: str
    calls: list[tuple[float, str]] = field(default_factory=list)
    """Calls that reached moto; ``!Operation`` marks one answered with throttling (AWS conditions)."""
    control: Callable[[str], None] = lambda _line: None
    callers: list[tuple[float, str, str, str]] = field(default_factory=list)
    """(unix time, operation, caller's app id, account) of each call that reached moto."""

    def first_write_after(self, moment: float) -> float | None:
        return next((t for t, op in list(self.calls) if t >= moment and not op.startswith((*READ_PREFIXES, "!"))), None)

    def first_call_after(self, moment: float) -> float | None:
        return next((t for t, op in list(self.calls) if t >= moment and not op.startswith("!")), None)

    def throttled_after(self, moment: float) -> int:
        return sum(1 for t, op in list(self.calls) if t >= moment and op.startswith("!") and op != "!Switched")

    def wait_idle(self, quiet: float = 0.5) -> None:
        """Until no call has arrived for ``quiet`` seconds."""
        while self.calls and time.time() - self.calls[-1][0] < quiet:
            time.sleep(0.05)


@dataclass
class Bench:
    """A fleet applied to a running emulator, ready to be measured."""

    emulator: Emulated
    root: Path
    resources: list[Resource]
    services: int
    clusters: int
    repeat: int
    publishes: int
    rss_services: int

    @property
    def endpoint_url(self) -> str:
        return self.emulator.endpoint_url

    def client(self) -> Pipeline:
        settings = Settings(aws=AwsSettings(endpoint_url=self.endpoint_url, region=REGION, embedded=True))
        return Pipeline(Aws(settings.aws), settings)

    def plan(self) -> Counter[str]:
        """A no-op plan, as `ecs-reconciler plan` runs it once the manifests are loaded; returns the calls made."""
        client = self.client()
        the_plan = client.plan(Loaded(self.resources)).plan
        if the_plan.pending:
            raise SystemExit(f"the plan after apply is not empty: {the_plan.summary}")
        return client.aws.calls


def floor_calls(bench: Bench) -> Counter[str]:
    """The fewest calls that read the fleet's state, by operation: DescribeClusters takes 100 names, DescribeServices
    10 per cluster, DescribeTaskDefinition one family; DescribeScalableTargets 50 resource ids, DescribeScalingPolicies
    10 a page and DescribeScheduledActions 50 a page across the namespace, DescribeLogGroups 50 names a call;
    tags of scalable targets and log groups are one ListTagsForResource each (no batch read exists). Nothing else
    needs listing (no prune)."""
    of_kind = lambda kind: [r for r in bench.resources if r.address.kind == kind]  # noqa: E731
    per_cluster = Counter(str(r.address.scope) for r in of_kind("Service"))
    scaled, groups = of_kind("ScalingPolicy"), of_kind("LogGroup")
    policies = sum(len(r.spec.get("policies", [])) for r in scaled)
    actions = sum(len(r.spec.get("scheduledActions", [])) for r in scaled)
    floor = Counter(
        {
            "DescribeClusters": math.ceil(len(of_kind("Cluster")) / 100),
            "DescribeServices": sum(math.ceil(n / 10) for n in per_cluster.values()),
            "DescribeTaskDefinition": len(of_kind("TaskDefinition")),
            "DescribeScalableTargets": math.ceil(len(scaled) / 50),
            "DescribeScalingPolicies": max(1, math.ceil(policies / 10)) if scaled else 0,
            "DescribeScheduledActions": max(1, math.ceil(actions / 50)) if scaled else 0,
            "DescribeLogGroups": math.ceil(len(groups) / 50),
            "ListTagsForResource": len(scaled) + len(groups),
        }
    )
    return +floor


def api_calls(bench: Bench) -> list[Row]:
    """(a) AWS API calls of a no-op plan (every attempt, retries included), against the floor."""
    made = bench.plan()
    floor = floor_calls(bench)
    rows = [
        Row(f"(a) {op} calls", f"{made[op]} (floor {floor[op]})", "", None) for op in sorted(set(made) | set(floor))
    ]
    total, least = sum(made.values()), sum(floor.values())
    ratio = total / least
    rows.append(Row("(a) API calls vs floor", f"{total} / {least} = {ratio:.2f}x", "<= 1.2x", ratio <= 1.2))
    return rows


def baseline_read(bench: Bench) -> None:
    """The minimal serial boto3 script: read the same state in as few calls as the APIs allow, one at a time."""
    connection: dict[str, Any] = {
        "endpoint_url": bench.endpoint_url,
        "region_name": REGION,
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    ecs = boto3.client("ecs", **connection)
    by_kind: dict[str, list[Resource]] = {}
    for r in bench.resources:
        by_kind.setdefault(r.address.kind, []).append(r)
    clusters = sorted(r.address.name for r in by_kind["Cluster"])
    for i in range(0, len(clusters), 100):
        ecs.describe_clusters(clusters=clusters[i : i + 100], include=["SETTINGS", "TAGS", "CONFIGURATIONS"])
    per_cluster: dict[str, list[str]] = {}
    for r in by_kind["Service"]:
        per_cluster.setdefault(str(r.address.scope), []).append(r.address.name)
    for cluster, names in sorted(per_cluster.items()):
        for i in range(0, len(names), 10):
            ecs.describe_services(cluster=cluster, services=names[i : i + 10], include=["TAGS"])
    for r in by_kind["TaskDefinition"]:
        ecs.describe_task_definition(taskDefinition=r.address.name, include=["TAGS"])
    targets = sorted(f"service/{r.address.scope}/{r.address.name}" for r in by_kind.get("ScalingPolicy", []))
    if targets:
        scaling = boto3.client("application-autoscaling", **connection)
        where = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}
        for i in range(0, len(targets), 50):
            for target in scaling.describe_scalable_targets(ResourceIds=targets[i : i + 50], **where)[
                "ScalableTargets"
            ]:
                scaling.list_tags_for_resource(ResourceARN=target["ScalableTargetARN"])
        for operation in ("describe_scaling_policies", "describe_scheduled_actions"):  # 10 and 50 a page
            for _page in scaling.get_paginator(operation).paginate(ServiceNamespace="ecs"):
                pass
    if by_kind.get("LogGroup"):
        logs = boto3.client("logs", **connection)
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/ecs/", limit=50):
            for group in page["logGroups"]:
                logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wall_time(bench: Bench) -> list[Row]:
    """(b) Wall time of the no-op plan against the serial baseline, best of ``repeat`` each, in the same run."""
    baseline_read(bench)  # warm both paths (connections, botocore's model cache) before timing either
    bench.plan()
    ours = _best(bench.plan, bench.repeat)
    baseline = _best(lambda: baseline_read(bench), bench.repeat)
    load = _best(lambda: load_resources(str(bench.root), KINDS), bench.repeat)
    ratio = ours / baseline
    return [
        Row("(b) no-op plan wall time", f"{ours:.2f} s", "", None),
        Row("(b) serial boto3 baseline", f"{baseline:.2f} s", "", None),
        Row("(b) plan vs baseline", f"{ratio:.2f}x", "<= 1.0x", ratio <= 1.0),
        Row("loading and validating the manifests", f"{load:.2f} s", "", None),
    ]


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def scale_up(name: str) -> Callable[[Path], None]:
    def edit(worktree: Path) -> None:
        path = worktree / "services" / f"{name}.yaml"
        path.write_text(path.read_text().replace("desiredCount: 1", "desiredCount: 2"))

    return edit


def reaction_latency(bench: Bench) -> list[Row]:
    """(c) From a git-sync publish (the symlink swap) to the daemon's first AWS write, over ``publishes`` publishes
    that each raise one more unscaled service's desiredCount; each publish waits until the daemon is idle again."""
    with tempfile.TemporaryDirectory() as tmp:
        git = GitSyncLink(Path(tmp))
        git.publish(bench.root, lambda _worktree: None)
        daemon = Daemon(git.link, "--resync-interval", "3600", endpoint_url=bench.endpoint_url)
        latencies, to_first_read = [], []
        try:
            daemon.wait_for_passes(1)
            unscaled = [n for i, n in enumerate(service_names(bench.services)) if i % SCALED_EVERY]  # own their count
            for name in unscaled[: bench.publishes]:
                bench.emulator.wait_idle(quiet=1.0)
                finished = len(daemon.passes())
                swapped = git.publish(Path(os.path.realpath(git.link)), scale_up(name))
                daemon.wait_for_result("applied", after=finished)
                written, read = bench.emulator.first_write_after(swapped), bench.emulator.first_call_after(swapped)
                if written is None or read is None:
                    raise SystemExit(f"no AWS write after publishing {name}")
                latencies.append(written - swapped)
                to_first_read.append(read - swapped)
        finally:
            daemon.stop()
    p50, p95 = _percentile(latencies, 50), _percentile(latencies, 95)
    n = len(latencies)
    return [
        Row(f"(c) publish to first read, p50 (n={n})", f"{_percentile(to_first_read, 50):.2f} s", "", None),
        Row(f"(c) publish to first write, p50 (n={n})", f"{p50:.2f} s", "<= 1 s", p50 <= 1.0),
        Row(f"(c) publish to first write, p95 (n={n})", f"{p95:.2f} s", "<= 2 s", p95 <= 2.0),
    ]


def peak_rss(bench: Bench) -> list[Row]:
    """(d) The daemon's peak resident set (VmHWM) over a pass that grows the live fleet to ``rss_services`` and three
    passes over it after; the emulator runs in another process. The daemon runs as the image ships it (its
    dependencies only, ``bench/image.py``; serving /metrics). Runs last: it changes the live fleet."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_fleet(Path(tmp) / "fleet", services=bench.rss_services, clusters=bench.clusters, extras=True)
        serving = ("--resync-interval", "1", "--metrics-port", "0")
        daemon = Daemon(root, *serving, endpoint_url=bench.endpoint_url)
        try:
            results = daemon.wait_for_passes(4, timeout=1800)
            memory = daemon.memory()
        finally:
            daemon.stop()
    if results[0] != "applied" or set(results[1:4]) != {"in_sync"}:
        raise SystemExit(f"the daemon did not converge at {bench.rss_services} services: {results}")
    peak = memory["VmHWM"] / 1024
    startup = subprocess.run(
        [image.python(), "-c", "import reconciler.daemon.run, reconciler.cli; print(open('/proc/self/status').read())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    imports = int(startup.split("VmHWM:")[1].split()[0]) / 1024
    return [
        Row("(d) daemon RSS after importing its modules", f"{imports:.0f} MB", "", None),
        Row(f"(d) daemon RSS after 4 passes at {bench.rss_services}", f"{memory['VmRSS'] / 1024:.0f} MB", "", None),
        Row(f"(d) daemon peak RSS at {bench.rss_services} services", f"{peak:.0f} MB", "<= 80 MB", peak <= 80),
    ]


MEASURES: list[Callable[[Bench], list[Row]]] = [api_calls, wall_time, reaction_latency, peak_rss]
"""Each measure returns its rows of the table, in this order (peak_rss grows the live fleet, so it comes last)."""


@contextlib.contextmanager
def emulator_process() -> Iterator[Emulated]:
    """Run bench/server.py and yield it, its calls collected as they arrive; closing its standard input stops it."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None and server.stdout is not None
    emulated = Emulated(server.stdout.readline().strip())

    def control(line: str) -> None:
        assert server.stdin is not None
        server.stdin.write(line + "\n")
        server.stdin.flush()

    emulated.control = control

    def collect() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            moment, operation, *caller = line.split()
            emulated.calls.append((float(moment), operation))
            if caller:
                emulated.callers.append((float(moment), operation, caller[0], caller[1]))

    threading.Thread(target=collect, daemon=True).start()
    try:
        yield emulated
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def prepare(emulated: Emulated, tmp: Path, *, args: argparse.Namespace) -> Bench:
    root = write_fleet(tmp / "fleet", services=args.services, clusters=args.clusters, extras=True)
    resources = load_resources(str(root), KINDS)
    bench = Bench(
        emulated, root, resources, args.services, args.clusters, args.repeat, args.publishes, args.rss_services
    )
    client = bench.client()
    failed = [o for o in client.apply(client.plan(Loaded(resources))) if o.status != "done"]
    if failed:
        raise SystemExit(f"apply failed: {failed[0].error}")
    return bench


def render(rows: list[Row], *, services: int, clusters: int) -> str:
    head = f"ecs-reconciler benchmark: {services} services over {clusters} clusters"
    machine = f"{platform.python_implementation()} {platform.python_version()}, {platform.platform()}"
    width = max(len(r.metric) for r in rows)
    lines = [head, machine, "", f"{'metric':<{width}}  {'measured':<28}  {'target':<9}  result"]
    for r in rows:
        result = "" if r.met is None else ("met" if r.met else "MISSED")
        lines.append(f"{r.metric:<{width}}  {r.measured:<28}  {r.target:<9}  {result}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side; the best counts")
    parser.add_argument("--publishes", type=int, default=50, help="git-sync publishes timed for (c)")
    parser.add_argument("--rss-services", type=int, default=1000, help="live services while (d) is measured")
    parser.add_argument(
        "--aws-conditions", action="store_true", help="30 ms a call and AWS's buckets enforced (bench/aws_mode.py)"
    )
    parser.add_argument("--apply-services", type=int, default=100, help="services applied from nothing for (e)")
    args = parser.parse_args(argv)
    if args.aws_conditions:
        from bench import aws_mode

        return aws_mode.main(args)
    log.configure(level="warning")
    started = time.perf_counter()
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        bench = prepare(emulated, Path(tmp), args=args)
        print(f"applied the fleet in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows = [row for measure in MEASURES for row in measure(bench)]
    print(render(rows, services=args.services, clusters=args.clusters))
    return 0 if all(r.met is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
