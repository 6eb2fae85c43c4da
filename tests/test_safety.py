"""Safe to hand production to: one writer (fencing), each instance touches only its own resources, the account and
region guard, the vanished-fleet brake, and a shutdown that keeps its grace whatever AWS does."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import tomllib
from dataclasses import replace
from typing import Any

import boto3
import pytest
from aws_state import described_service, live_service, make_lease_table, service_at, tags_of
from builders import revision_tree
from conftest import REGION, DaemonProcess, eventually
from faults import PROXY_PAGE

from reconciler import log
from reconciler.aws import Aws
from reconciler.cli import settings_from
from reconciler.core.errors import AwsError, UsageError
from reconciler.core.settings import DaemonSettings, LeaseSettings, ManifestSettings, Settings
from reconciler.core.tags import EPOCH_TAG_KEY
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.lease import Lease
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.replicas import Replicas
from reconciler.emulator import seed_demo_network
from reconciler.parser import build_parser
from reconciler.pipeline import Pipeline

MANAGED = "ecs-reconciler/managed-by"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------------------------ fencing


def test_the_lease_fences_writes_by_the_monotonic_clock_and_counts_takeovers(aws):
    make_lease_table(aws)
    settings = LeaseSettings(table="leases", duration=10.0, fence_margin=0.25)
    mono_a, mono_b = Clock(), Clock()
    wall = Clock()
    a = Lease(Aws(Settings().aws), replace(settings, holder="a"), monotonic=mono_a, wall=wall)
    b = Lease(Aws(Settings().aws), replace(settings, holder="b"), monotonic=mono_b, wall=wall)
    with pytest.raises(AwsError, match="no longer safely holds"):
        a.check("ecs", "CreateService", "x")  # never held
    assert a.try_acquire() and a.epoch == 1
    assert not b.try_acquire()
    a.check("ecs", "CreateService", "x")
    mono_a.now += 7.4
    a.check("ecs", "CreateService", "x")
    mono_a.now += 0.2  # 7.6 s: past the first 75% of the lease, though the lease itself still runs
    assert a.is_leader()
    with pytest.raises(AwsError, match="no longer safely holds"):
        a.check("ecs", "CreateService", "x")
    assert a.try_acquire() and a.epoch == 1, "a renewal keeps the epoch"
    a.check("ecs", "CreateService", "x")

    wall.now += 11  # a paused: its lease expires, b takes over with the next epoch
    assert b.try_acquire() and b.epoch == 2
    assert not a.try_acquire(), "the old holder's renewal is refused"
    with pytest.raises(AwsError):
        a.check("ecs", "CreateService", "x")


def test_a_released_lease_and_heartbeat_are_gone_at_once_and_never_another_holders(aws):
    make_lease_table(aws)
    settings = LeaseSettings(table="leases", duration=60.0)
    wall = Clock()
    a, b, c, d = (Lease(Aws(Settings().aws), replace(settings, holder=h), wall=wall) for h in "abcd")
    assert a.try_acquire()
    a.release()
    assert b.try_acquire(), "b takes the lease without waiting for a's to expire"

    assert c.try_acquire() is False
    wall.now += 61  # b's lease expires; c takes it
    assert c.try_acquire()
    b.release()  # b does not know it lost the lease: its delete is refused
    assert not d.try_acquire(), "c still holds the lease b tried to release"

    one, two = (Replicas(Aws(Settings().aws), "leases", holder=h, duration=60.0) for h in ("one", "two"))
    one.heartbeat("g", wall.now)
    two.heartbeat("g", wall.now)
    one.leave("g")
    assert sorted(two.read("g").replicas) == ["two"]
    one.leave("g")  # again: nothing left to delete, and no error
    assert sorted(two.read("g").replicas) == ["two"]


def test_a_paused_leader_makes_no_write_after_it_resumes(aws, ecs, gitsync):
    """SIGSTOP the leader while its first task definition registration is answered, let the follower take the lease
    and apply a newer revision, SIGCONT the old leader: it sends not one more write."""
    make_lease_table(aws)
    gitsync.publish(revision_tree(rev="1", count=1))
    held, release = threading.Event(), threading.Event()

    def hold_first_registration(operation: str) -> None:
        if operation == "RegisterTaskDefinition" and not held.is_set():
            held.set()
            release.wait(60)  # the answer is held back until the leader is stopped

    aws.after_hooks.append(hold_first_registration)
    lease = ("--lease-table", "leases", "--lease-duration", "2", "--lease-renew", "0.2", "--resync-interval", "1")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    a = DaemonProcess(gitsync.link, *lease, env={**env, "AWS_ACCESS_KEY_ID": "replica-a"})
    b = DaemonProcess(gitsync.link, *lease, env={**env, "AWS_ACCESS_KEY_ID": "replica-b"})
    try:
        eventually(held.is_set, what="the leader's first registration")
        leader, key = (a, "replica-a") if a.find("leader") else (b, "replica-b")
        follower = b if leader is a else a
        assert leader.find("leader") and not follower.find("leader")
        leader.process.send_signal(signal.SIGSTOP)
        release.set()

        second = gitsync.publish(revision_tree(rev="2", count=2))
        follower.wait_for_event("leader", timeout=30)
        eventually(service_at(ecs, count=2, revision=second), what="the new leader applies the new revision")
        follower.wait_for_event("pass", result="applied")
        arn = described_service(ecs)["serviceArn"]
        epoch = int(tags_of(ecs, arn)[EPOCH_TAG_KEY])
        assert epoch >= 2, "the takeover raised the epoch, and the new leader's changes carry it"

        resumed_at = len(aws.callers)
        leader.process.send_signal(signal.SIGCONT)
        leader.wait_for_event("follower")  # the old leader finds its lease lost
        time.sleep(3)  # several lease periods: room for any stale write
        after = [(s, op) for k, s, op in aws.callers[resumed_at:] if k == key]
        writes = [(s, op) for s, op in after if s != "dynamodb" and not op.startswith(("Describe", "List", "Get"))]
        assert after, "the old leader is running again"
        assert writes == [], f"the old leader wrote after losing its lease: {writes}"
        assert described_service(ecs)["desiredCount"] == 2
    finally:
        release.set()
        for proc in (a, b):
            if proc.process.poll() is None:
                proc.process.send_signal(signal.SIGCONT)
            proc.kill()


# ------------------------------------------------------------------------------------------------ instances

TEAM = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {{name: {name}}}
---
apiVersion: ecs-reconciler/v1
kind: LogGroup
metadata: {{name: /ecs/{name}}}
spec:
  retentionInDays: 7
"""


CLUSTER_TAGGED = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {{name: alpha}}
spec:
  tags: [{{key: team, value: {team}}}]
"""


def cluster_tags(ecs: Any, name: str) -> dict[str, str]:
    """The ACTIVE cluster's tags (none when it is not ACTIVE)."""
    found = ecs.describe_clusters(clusters=[name], include=["TAGS"])["clusters"]
    active = [c for c in found if c["status"] == "ACTIVE"]
    return {t["key"]: t["value"] for t in active[0].get("tags", [])} if active else {}


def test_a_second_instance_with_prune_deletes_nothing_of_the_first(aws, cli, ecs, manifests, tmp_path):
    first = manifests({"a.yaml": TEAM.format(name="alpha")})
    assert cli("apply", first, "--instance", "team-a", "--no-wait").code == 0
    assert cluster_tags(ecs, "alpha")[MANAGED] == "team-a"

    second = tmp_path / "team-b"
    second.mkdir()
    (second / "b.yaml").write_text(TEAM.format(name="beta"))
    (second / "instance.yaml").write_text("apiVersion: ecs-reconciler/v1\nkind: Instance\nmetadata: {name: team-b}\n")
    aws.reset_calls()
    result = cli("apply", second, "--prune", "--no-wait")  # the instance its Instance document declares
    assert result.code == 0, result.err
    assert not [op for op in aws.writes() if op.startswith(("Delete", "Deregister"))]
    assert cluster_tags(ecs, "alpha")[MANAGED] == "team-a"
    assert cluster_tags(ecs, "beta")[MANAGED] == "team-b"
    logs = boto3.client("logs", endpoint_url=aws.endpoint_url, region_name=REGION)
    assert {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]} >= {"/ecs/alpha", "/ecs/beta"}


def test_another_instances_resource_is_a_note_and_adopt_does_not_take_it(aws, cli, ecs, manifests):
    path = manifests({"a.yaml": CLUSTER_TAGGED.format(team="a")})
    assert cli("apply", path, "--instance", "team-a", "--no-wait").code == 0
    (path / "a.yaml").write_text(CLUSTER_TAGGED.format(team="b"))  # team-b's manifest differs from team-a's cluster
    aws.reset_calls()
    result = cli("apply", path, "--instance", "team-b", "--adopt", "--no-wait")
    assert result.code == 1
    assert "managed by another ecs-reconciler instance ('team-a'" in result.out + result.err
    assert not [op for op in aws.writes() if op.endswith(("Cluster", "TagResource", "UntagResource"))]
    assert cluster_tags(ecs, "alpha") == {MANAGED: "team-a", "team": "a"}


def test_resources_tagged_by_an_earlier_version_are_retagged_never_deleted(aws, cli, ecs, manifests, tmp_path):
    ecs.create_cluster(clusterName="alpha", tags=[{"key": MANAGED, "value": "ecs-reconciler"}])
    ecs.create_cluster(clusterName="old", tags=[{"key": MANAGED, "value": "ecs-reconciler"}])
    path = manifests({"a.yaml": TEAM.format(name="alpha")})
    plan = cli("plan", path, "--instance", "team-a", "--prune")
    assert plan.code == 2
    assert "a managed-by value this instance had before ('ecs-reconciler')" in plan.out + plan.err
    aws.reset_calls()
    assert cli("apply", path, "--instance", "team-a", "--prune", "--no-wait").code == 0
    assert not [op for op in aws.writes() if op.startswith("Delete")]
    assert cluster_tags(ecs, "alpha")[MANAGED] == "team-a"
    assert cluster_tags(ecs, "old")[MANAGED] == "ecs-reconciler", "kept, for a human to decide"


# ------------------------------------------------------------------------------------------------ account guard


def test_a_run_against_a_non_allowed_account_exits_1_with_no_further_call(aws, cli, manifests):
    path = manifests({"a.yaml": TEAM.format(name="alpha")})
    for command in ("plan", "apply"):
        aws.reset_calls()
        result = cli(command, path, "--allowed-account-id", "111111111111")
        assert result.code == 1
        assert "account 123456789012, not an allowed account (111111111111)" in result.err
        assert aws.calls == ["GetCallerIdentity"]
    aws.reset_calls()
    assert cli("plan", path, "--allowed-account-id", "123456789012").code == 2
    assert aws.calls.count("GetCallerIdentity") == 1


def test_an_answer_that_is_not_aws_s_is_an_error_naming_it_not_a_crash(aws, cli, manifests):
    """A proxy's page where STS's XML should be: botocore cannot parse it; the guard cannot learn the account."""
    path = manifests({"a.yaml": TEAM.format(name="alpha")})
    aws.hooks.append(lambda operation: PROXY_PAGE if operation == "GetCallerIdentity" else None)

    result = cli("plan", path, "--allowed-account-id", "123456789012")

    assert result.code == 1
    assert "(unknown: UnparseableAnswer: the answer could not be parsed (a proxy?))" in result.err
    assert "Sign in" not in result.err and not aws.writes()


def test_a_non_allowed_region_exits_1_before_any_call(aws, cli, manifests):
    path = manifests({"a.yaml": TEAM.format(name="alpha")})
    result = cli("apply", path, "--allowed-region", "eu-west-1")
    assert result.code == 1
    assert "region us-east-1 is not an allowed region (eu-west-1)" in result.err
    assert aws.calls == []


# ------------------------------------------------------------------------------------------------ brake


class Collect:
    name = "collect"

    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert)


def test_a_vanished_fleet_is_alerted_and_not_rebuilt_until_a_new_revision(aws, ecs, gitsync):
    log.configure(level="info", json_output=True)
    gitsync.publish(revision_tree(rev="1", count=1))
    settings = replace(Settings(), daemon=DaemonSettings(max_vanished=1))
    sink = Collect()
    daemon = Daemon(
        str(gitsync.link), Pipeline(Aws(settings.aws), settings), alerter=Alerter([sink]), metrics=Metrics()
    )
    assert daemon.run_pass() == "applied"
    assert daemon.run_pass() == "in_sync"

    aws.reset()  # the endpoint comes back empty: everything the daemon brought up is gone
    seed_demo_network(region=REGION)
    aws.reset_calls()
    before = len(sink.sent)  # the first revision's deployment notifications
    assert daemon.run_pass() == "refused"
    assert daemon.run_pass() == "refused"
    assert aws.writes() == [], "nothing re-created"
    assert live_service(ecs) is None
    alerts = sink.sent[before:]
    assert [a.kind for a in alerts] == ["refused"], "alerted once"
    assert "every resource this daemon brought up is gone" in alerts[0].summary
    assert "missing: Service prod/api" in alerts[0].errors

    second = gitsync.publish(revision_tree(rev="2", count=1))  # a human's answer: a new revision is applied
    assert daemon.run_pass() == "applied"
    assert service_at(ecs, count=1, revision=second)()


# ------------------------------------------------------------------------------------------------ shutdown


def test_sigterm_exits_cleanly_while_every_aws_call_hangs(aws, ecs, daemon, gitsync):
    make_lease_table(aws)
    gitsync.publish(revision_tree(count=1))
    proc = daemon(gitsync.link, "--lease-table", "leases", "--lease-renew", "0.5", "--resync-interval", "0.5")
    eventually(service_at(ecs, count=1), what="the first revision applied")
    proc.wait_for_event("pass", result="applied")
    hang = threading.Event()

    def never_answer(_operation: str) -> None:
        hang.wait(60)

    aws.hooks.append(never_answer)
    try:
        time.sleep(2)  # a pass and a lease renewal are now stuck in calls that never answer
        code = proc.stop(signal.SIGTERM, timeout=20)  # a hang fails here; how fast it stops is measured in bench/
    finally:
        hang.set()
    assert code == 0
    assert proc.find("stopped"), "the daemon stopped by itself, not killed"


# ------------------------------------------------------------------------------------------------ the image


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_image_base_is_pinned_by_digest_and_installs_only_hashed_pins():
    from conftest import ROOT

    dockerfile = (ROOT / "Dockerfile").read_text()
    base = next(line for line in dockerfile.splitlines() if line.startswith("ARG PYTHON="))
    assert re.fullmatch(r"ARG PYTHON=python:[\w.-]+@sha256:[0-9a-f]{64}", base)
    assert "--require-hashes" in dockerfile and "-r requirements.lock" in dockerfile
    assert "--no-deps ." in dockerfile, "the tool itself resolves nothing outside the lock"

    lock = (ROOT / "requirements.lock").read_text()
    pinned = {canonical(n): v for n, v in re.findall(r"^([a-z0-9_.-]+)==(\S+) \\$", lock, flags=re.M)}
    assert len(re.findall(r"^([a-z0-9_.-]+)==", lock, flags=re.M)) == len(pinned)
    assert lock.count("--hash=sha256:") >= len(pinned)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    required = {canonical(re.split(r"[<>=!\[ ;]", d, maxsplit=1)[0]) for d in pyproject["project"]["dependencies"]}
    assert required <= set(pinned), f"not in the lock: {required - set(pinned)}"


# ------------------------------------------------------------------------------------------------ settings


def test_the_manifest_file_limit_is_a_setting_with_room_for_a_large_fleet(cli, manifests):
    assert ManifestSettings().max_files >= 10_000
    root = manifests({f"svc-{n}.yaml": TEAM.format(name=f"c{n}") for n in range(12)})
    assert cli("validate", root).code == 0
    refused = cli("validate", root, "--max-files", "10")
    assert refused.code == 1
    assert "more than 10 manifest files under the root" in refused.err


def test_instance_metrics_address_and_guard_flags_reach_the_settings(tmp_path):
    args = build_parser().parse_args(
        ["run", str(tmp_path / "team-x"), "--metrics-address", "127.0.0.1", "--allowed-account-id", "1",
         "--allowed-account-id", "2", "--allowed-region", "eu-west-1", "--max-vanished", "-1"]
    )  # fmt: skip
    settings = settings_from(args)
    assert settings.manifests.instance is None, "no default from the folder's name"
    assert settings.daemon.metrics_address == "127.0.0.1"
    assert settings.aws.allowed_account_ids == ("1", "2") and settings.aws.allowed_regions == ("eu-west-1",)
    assert settings.daemon.max_vanished == -1
    given = settings_from(build_parser().parse_args(["run", "m", "--instance", "prod-eu"]))
    assert given.manifests.instance == "prod-eu"
    assert DaemonSettings().metrics_address == "0.0.0.0"
    with pytest.raises(UsageError, match="--instance"):
        settings_from(build_parser().parse_args(["plan", "m", "--instance", "has space"]))
