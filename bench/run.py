"""The benchmark: generate N services over K clusters, start the emulator, apply, then measure a no-op `plan`.

    python -m bench.run [--services 500] [--clusters 10] [--repeat 3]

Each measure is one function from the prepared ``Bench`` to table rows; adding a measure is adding a function to
``MEASURES`` (the daemon's reaction latency and peak RSS will be two more).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bench.fleet import write_fleet
from reconciler import engine, log
from reconciler.aws import Aws
from reconciler.manifests import load_resources
from reconciler.model import Resource
from reconciler.settings import ApplySettings, Settings

REGION = "us-east-1"


@dataclass(frozen=True)
class Row:
    metric: str
    measured: str
    target: str
    met: bool | None
    """None: informational, no target."""


@dataclass
class Bench:
    """A fleet applied to a running emulator, ready to be measured."""

    endpoint_url: str
    root: Path
    resources: list[Resource]
    services: int
    clusters: int
    repeat: int

    def client(self) -> Aws:
        return Aws(Settings(endpoint_url=self.endpoint_url, region=REGION, embedded=True))

    def plan(self) -> Counter[str]:
        """A no-op plan, as `ecs-reconciler plan` runs it once the manifests are loaded; returns the calls made."""
        client = self.client()
        the_plan, _ = engine.plan(client, self.resources, ApplySettings())
        if the_plan.pending:
            raise SystemExit(f"the plan after apply is not empty: {the_plan.summary}")
        return client.calls


def floor_calls(bench: Bench) -> Counter[str]:
    """The fewest calls that read the fleet's state, by operation: DescribeClusters takes 100 names, DescribeServices
    10 per cluster, DescribeTaskDefinition one family; nothing needs listing (no prune), so there are no pages."""
    per_cluster = Counter(str(r.address.cluster) for r in bench.resources if r.address.kind == "Service")
    families = {r.address.name for r in bench.resources if r.address.kind == "TaskDefinition"}
    clusters = {r.address.name for r in bench.resources if r.address.kind == "Cluster"}
    return Counter(
        {
            "DescribeClusters": math.ceil(len(clusters) / 100),
            "DescribeServices": sum(math.ceil(n / 10) for n in per_cluster.values()),
            "DescribeTaskDefinition": len(families),
        }
    )


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
    ecs = boto3.client(
        "ecs",
        endpoint_url=bench.endpoint_url,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    by_kind: dict[str, list[Resource]] = {}
    for r in bench.resources:
        by_kind.setdefault(r.address.kind, []).append(r)
    clusters = sorted(r.address.name for r in by_kind["Cluster"])
    for i in range(0, len(clusters), 100):
        ecs.describe_clusters(clusters=clusters[i : i + 100], include=["SETTINGS", "TAGS", "CONFIGURATIONS"])
    per_cluster: dict[str, list[str]] = {}
    for r in by_kind["Service"]:
        per_cluster.setdefault(str(r.address.cluster), []).append(r.address.name)
    for cluster, names in sorted(per_cluster.items()):
        for i in range(0, len(names), 10):
            ecs.describe_services(cluster=cluster, services=names[i : i + 10], include=["TAGS"])
    for r in by_kind["TaskDefinition"]:
        ecs.describe_task_definition(taskDefinition=r.address.name, include=["TAGS"])


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
    load = _best(lambda: load_resources(str(bench.root)), bench.repeat)
    ratio = ours / baseline
    return [
        Row("(b) no-op plan wall time", f"{ours:.2f} s", "", None),
        Row("(b) serial boto3 baseline", f"{baseline:.2f} s", "", None),
        Row("(b) plan vs baseline", f"{ratio:.2f}x", "<= 1.0x", ratio <= 1.0),
        Row("loading and validating the manifests", f"{load:.2f} s", "", None),
    ]


MEASURES: list[Callable[[Bench], list[Row]]] = [api_calls, wall_time]
"""Each measure returns its rows of the table. (c) reaction latency and (d) daemon peak RSS are added here."""


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    """Run bench/server.py and yield its endpoint URL; closing its standard input stops it."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        yield server.stdout.readline().strip()
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def prepare(endpoint_url: str, tmp: Path, *, services: int, clusters: int, repeat: int) -> Bench:
    root = write_fleet(tmp / "fleet", services=services, clusters=clusters)
    resources = load_resources(str(root))
    bench = Bench(endpoint_url, root, resources, services, clusters, repeat)
    client = bench.client()
    the_plan, state = engine.plan(client, resources, ApplySettings())
    failed = [o for o in engine.apply(client, the_plan, state, ApplySettings()) if o.status != "done"]
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
    args = parser.parse_args(argv)
    log.configure(level="warning")
    started = time.perf_counter()
    with emulator_process() as endpoint_url, tempfile.TemporaryDirectory() as tmp:
        bench = prepare(endpoint_url, Path(tmp), services=args.services, clusters=args.clusters, repeat=args.repeat)
        print(f"applied the fleet in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows = [row for measure in MEASURES for row in measure(bench)]
    print(render(rows, services=args.services, clusters=args.clusters))
    return 0 if all(r.met is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
