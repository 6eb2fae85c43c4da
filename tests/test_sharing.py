"""Replicas sharing targets: daemon processes on one emulator and one lease table split nine targets between them,
take a killed replica's targets over, never write from a paused one, and make room for one that joins, without any
target ever written by two replicas."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections import Counter
from datetime import datetime
from typing import Any

import boto3
import pytest
from aws_state import make_lease_table
from conftest import REGION, DaemonProcess, eventually
from daemon_io import get
from faults import READ_PREFIXES

pytestmark = pytest.mark.emulator

REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
    "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-northeast-1",
]  # fmt: skip
"""One target per region, all in the emulator's own account: a write's region says which target it is for."""
LEASE_SECONDS = 8
"""The replicas' lease duration: long enough that a renewal held up seconds by a loaded machine (the emulator serves
every replica from the tests' own process) does not let a lease lapse, which would move targets the test expects to
stay put."""
LEASE = (
    "--lease-table",
    "leases",
    "--lease-duration",
    str(LEASE_SECONDS),
    "--lease-renew",
    "0.5",
    "--resync-interval",
    "1",
)


def tree(rev: int) -> dict[str, str]:
    files = {}
    for i, region in enumerate(REGIONS):
        files[f"t{i}/target.yaml"] = f"""
            apiVersion: ecs-reconciler/v1
            kind: Target
            metadata: {{name: t{i}}}
            spec: {{region: {region}}}
        """
        files[f"t{i}/cluster.yaml"] = f"""
            apiVersion: ecs-reconciler/v1
            kind: Cluster
            metadata: {{name: apps}}
            spec:
              tags: [{{key: rev, value: "{rev}"}}]
        """
    return files


def start(aws: Any, gitsync: Any, name: str) -> DaemonProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "AWS_ACCESS_KEY_ID": f"replica-{name}"}
    return DaemonProcess(gitsync.link, *LEASE, "--metrics-port", "0", env=env)


def holders(aws: Any) -> dict[str, str]:
    """Target -> the replica holding its lease, as the table says (live leases only)."""
    table = boto3.client("dynamodb", endpoint_url=aws.endpoint_url, region_name=REGION)
    items = table.scan(TableName="leases")["Items"]
    now = time.time()  # the replicas run on this machine's clock
    return {
        i["name"]["S"].split("/")[1]: i["holder"]["S"]
        for i in items
        if "/replicas/" not in i["name"]["S"] and float(i["expires"]["N"]) > now
    }


def all_held(aws: Any) -> dict[str, str]:
    """``holders`` once every target is held (empty until then)."""
    found = holders(aws)
    return found if len(found) == len(REGIONS) else {}


def holder_of(proc: DaemonProcess) -> str:
    return f"{socket.gethostname()}-{proc.process.pid}"


def loads(aws: Any) -> list[int]:
    return sorted(Counter(holders(aws).values()).values())


def tagged(aws: Any, rev: int) -> bool:
    """Every target's cluster carries the revision's tag."""
    for region in REGIONS:
        ecs = boto3.client("ecs", endpoint_url=aws.endpoint_url, region_name=region)
        found = ecs.describe_clusters(clusters=["apps"], include=["TAGS"])["clusters"]
        if not found or {"key": "rev", "value": str(rev)} not in found[0].get("tags", []):
            return False
    return True


def stale_writes(aws: Any, replicas: dict[str, DaemonProcess]) -> list[tuple[str, str, str]]:
    """Writes by a replica to a target another replica had taken since this one last took it: (target, replica,
    operation). Takes are the replicas' ``leader`` log lines (written just after the take; their timestamps and the
    emulator's share this machine's clock)."""
    takes: dict[str, list[tuple[float, str]]] = {}
    for name, proc in replicas.items():
        for event in proc.find("leader"):
            moment = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
            takes.setdefault(event["target"], []).append((moment, f"replica-{name}"))
    stale = []
    for moment, key, region, service, operation in list(aws.signed):
        if service in ("dynamodb", "sts") or operation.startswith(READ_PREFIXES) or region not in REGIONS:
            continue
        target = f"t{REGIONS.index(region)}"
        before = [taker for at, taker in sorted(takes.get(target, [])) if at <= moment]
        if before and before[-1] != key:
            stale.append((target, key, operation))
    return stale


def test_three_replicas_split_nine_targets_take_a_killed_ones_over_and_make_room_for_a_fourth(aws, gitsync, cli):
    make_lease_table(aws)
    gitsync.publish(tree(1))
    replicas = {name: start(aws, gitsync, name) for name in "abc"}
    try:
        for proc in replicas.values():
            proc.wait_for_event("daemon started")
        eventually(lambda: tagged(aws, 1), what="every target applied")
        eventually(lambda: loads(aws) == [3, 3, 3], what="the targets split 3/3/3")
        port = replicas["a"].wait_for_event("serving metrics")["port"]

        def status() -> Any:
            return json.loads(get(f"http://127.0.0.1:{port}/status")[1])

        every = {f"t{i}" for i in range(9)}
        eventually(lambda: status()["replica"]["holders"] == holders(aws), what="a's next round read the table")
        replica = status()["replica"]
        assert set(replica["holders"]) == every
        assert len(replica["holds"]) == 3 and set(status()["targets"]) == set(replica["holds"])
        assert "ecs_reconciler_targets_held 3.0" in get(f"http://127.0.0.1:{port}/metrics")[1]
        assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
        shown = cli("status", gitsync.link, "--lease-table", "leases", "--format", "json")
        assert shown.code == 0, shown.err
        leases = json.loads(shown.out)["leases"]
        assert {t: held["holder"] for t, held in leases["targets"].items()} == holders(aws)
        assert leases["replicas"] == sorted(holder_of(p) for p in replicas.values())
        assert "target t0: held by " in cli("status", gitsync.link, "--lease-table", "leases").out

        # A fourth replica joins while a new revision is applied: it takes two targets from the others.
        gitsync.publish(tree(2))
        replicas["d"] = start(aws, gitsync, "d")
        eventually(lambda: loads(aws) == [2, 2, 2, 3] and tagged(aws, 2), what="room made for the fourth")
        gitsync.publish(tree(3))
        eventually(lambda: tagged(aws, 3), what="the next revision applied by the four")
        assert stale_writes(aws, replicas) == []

        # A replica dies without handing anything back: within a lease duration and a resync (1 s), plus the
        # machine's slack, the others hold all nine again.
        before = eventually(lambda: all_held(aws), what="every target held")
        victim = next(p for p in replicas.values() if holder_of(p) == before["t0"])
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(10)
        eventually(lambda: all_held(aws) and loads(aws) == [3, 3, 3], timeout=LEASE_SECONDS + 20, what="the takeover")
        after = holders(aws)
        assert {t: h for t, h in before.items() if h != before["t0"]}.items() <= after.items(), "only its targets moved"
        gitsync.publish(tree(4))
        eventually(lambda: tagged(aws, 4), what="the survivors apply every target")
        assert stale_writes(aws, replicas) == []
    finally:
        for proc in replicas.values():
            proc.kill()


def test_a_paused_replica_resumed_writes_nothing_to_the_targets_taken_from_it(aws, gitsync):
    make_lease_table(aws)
    gitsync.publish(tree(1))
    replicas = {name: start(aws, gitsync, name) for name in "abc"}
    try:
        eventually(lambda: tagged(aws, 1) and loads(aws) == [3, 3, 3], what="every target applied, split 3/3/3")
        paused = replicas["b"]
        mine = {t for t, h in holders(aws).items() if h == holder_of(paused)}
        paused.process.send_signal(signal.SIGSTOP)
        gitsync.publish(tree(2))  # the paused replica's watcher sees this too, once it runs again
        eventually(lambda: tagged(aws, 2), timeout=LEASE_SECONDS + 30, what="the others take over and apply")
        assert "replica-b" not in set(holders(aws).values())

        resumed_at = time.time()
        paused.process.send_signal(signal.SIGCONT)
        for target in mine:
            paused.wait_for_event("follower", target=target)
        gitsync.publish(tree(3))
        eventually(lambda: tagged(aws, 3), what="the next revision applied")
        after = [c for c in list(aws.signed) if c[0] >= resumed_at and c[1] == "replica-b"]
        assert after, "the paused replica runs again"
        # Once it runs again it may take targets back (its heartbeat returns, the others hand back above their
        # share): writes to those are its own. Before such a take, and to anything else, it writes nothing.
        assert stale_writes(aws, replicas) == []
    finally:
        for proc in replicas.values():
            if proc.process.poll() is None:
                proc.process.send_signal(signal.SIGCONT)
            proc.kill()
