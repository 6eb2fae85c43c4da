"""Crash recovery: `ecs-reconciler apply` is SIGKILLed right after its k-th AWS write took effect (k = 1..20 of a
multi-resource apply, with its concurrent writes), then run again; every second run converges, with no duplicates and
no orphans.

No test-only hook in the product: an after-hook of the tests' emulator middleware (tests/faults.py) lets moto execute
the k-th write and then holds its answer while the test kills the process, so the write is done but the process
never learns it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import builders
import pytest
from aws_state import live_service, service_at, tags_of
from conftest import eventually
from faults import READ_PREFIXES

from bench.fleet import cluster_names, service_names, write_fleet
from reconciler.core.settings import MANAGED_TAG_KEY
from reconciler.core.tags import REVISION_TAG_KEY

SERVICES, CLUSTERS = 10, 3
"""3 CreateCluster + 10 RegisterTaskDefinition + 10 CreateService: 23 writes, so 20 kill points are all inside."""
KILL_POINTS = range(1, 21)


class HoldAt:
    """An after-hook that holds the answers of the k-th write and of every write after it until released (so the
    apply's other workers cannot go on writing while it is killed), and says when the k-th got there."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.writes = 0
        self.reached = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, operation: str) -> None:
        if operation.startswith(READ_PREFIXES):
            return None
        with self._lock:
            self.writes += 1
            count = self.writes
        if count >= self.k:
            if count == self.k:
                self.reached.set()
            self.release.wait(timeout=60)
        return None


def names(arns: list[str]) -> set[str]:
    return {arn.rsplit("/", 1)[-1] for arn in arns}


def assert_exactly_the_fleet(ecs: Any) -> None:
    clusters = names(ecs.list_clusters()["clusterArns"])
    assert clusters == set(cluster_names(CLUSTERS))
    services: list[str] = []
    for cluster in clusters:
        arns = ecs.list_services(cluster=cluster, maxResults=100)["serviceArns"]
        services += sorted(names(arns))
        for service in ecs.describe_services(cluster=cluster, services=arns, include=["TAGS"])["services"]:
            assert MANAGED_TAG_KEY in {t["key"] for t in service.get("tags", [])}
    assert sorted(services) == service_names(SERVICES)
    assert set(ecs.list_task_definition_families(status="ACTIVE")["families"]) == set(service_names(SERVICES))
    for family in service_names(SERVICES):
        revisions = names(ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"])
        assert revisions == {f"{family}:1"}


@pytest.mark.slow
@pytest.mark.parametrize("k", KILL_POINTS)
def test_apply_killed_after_the_kth_write_converges_on_the_next_run(aws, cli, ecs, tmp_path: Path, k: int):
    root = write_fleet(tmp_path / "fleet", services=SERVICES, clusters=CLUSTERS)
    hold = HoldAt(k)
    aws.after_hooks.append(hold)
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(root)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert hold.reached.wait(timeout=60), f"apply ended after {hold.writes} writes, before write {k}"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        hold.release.set()
        process.kill()
    aws.after_hooks.clear()
    # The k-th write took effect; writes to independent resources run concurrently, so up to the executor's
    # concurrency more may have too: the killed run left any mix of them behind.
    assert k <= len(aws.writes()) < k + 8

    rerun = cli("apply", root)

    assert rerun.code == 0, rerun.out + rerun.err
    # Converged: the rerun's own check after applying, or nothing left to apply (the killed run's concurrent writes
    # had already completed the fleet).
    assert "Plan after apply:\nNo changes." in rerun.out or rerun.out.splitlines()[1].startswith("No changes.")
    assert_exactly_the_fleet(ecs)


def test_a_request_cut_off_by_a_killed_process_is_not_acted_on(aws, ecs):
    """A killed client may have sent its headers but not its body: AWS never acts on an incomplete request (moto alone
    reads the empty body as CreateCluster with no name and creates "default")."""
    host, port = aws.endpoint_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(
            b"POST / HTTP/1.1\r\nHost: ecs\r\n"
            b"X-Amz-Target: AmazonEC2ContainerServiceV20141113.CreateCluster\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 30\r\n"
            + f"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/{ecs.meta.region_name}/ecs/aws4_request, "
            "SignedHeaders=host, Signature=0\r\n\r\n".encode()
        )
    assert eventually(lambda: "CreateCluster" in aws.calls)
    time.sleep(0.5)  # the cut request was seen; give it the time moto would take to act on it
    assert ecs.list_clusters()["clusterArns"] == []


def scaled_tree(count: int) -> dict[str, str]:
    """The prod cluster and the api app with ``count`` tasks: one publish to the next changes the service only."""
    task = builders.task_definition(containers=[builders.container(port=None)])
    return {
        "cluster.yaml": builders.cluster(settings=None),
        "app.yaml": builders.documents(task, builders.service(desiredCount=count)),
    }


def test_a_daemon_killed_between_a_services_two_writes_leaves_no_stale_revision_tag(aws, ecs, daemon, gitsync):
    """A service's update is two writes (its tags, UpdateService). The daemon is SIGKILLed right after the first of
    them took effect: the revision tag is never older than the change live (a change applied under the previous
    revision's tag would stay so, the tag being no field the diff compares), and the restarted daemon completes it."""
    first = gitsync.publish(scaled_tree(1))
    process = daemon(gitsync.link, "--resync-interval", "3600")
    eventually(service_at(ecs, count=1, revision=first), what="the first revision applied")
    process.wait_for_event("pass", revision=first)
    hold = HoldAt(1)
    aws.after_hooks.append(hold)
    second = gitsync.publish(scaled_tree(2))
    try:
        assert hold.reached.wait(timeout=60), "the publish was written"
        process.process.kill()
        process.process.wait(timeout=30)
    finally:
        hold.release.set()
    aws.after_hooks.clear()
    svc = live_service(ecs)
    assert svc is not None
    assert tags_of(ecs, svc["serviceArn"])[REVISION_TAG_KEY] == second, "the tag was written first"
    assert svc["desiredCount"] == 1, "the update was not sent: the next pass's diff"

    daemon(gitsync.link, "--resync-interval", "3600")
    eventually(service_at(ecs, count=2, revision=second), what="the change completed under its own revision tag")
