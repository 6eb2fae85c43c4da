"""Output that says each thing once and plainly: a plan note every daemon pass repeats is logged once per change,
the demo prints each alert once, status says whose each resource is, the leader metric of a single replica, and
the plan header names the instance."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

from builders import cluster, documents
from prometheus_client import generate_latest
from structlog.testing import capture_logs

from reconciler.aws import Aws
from reconciler.core.settings import DaemonSettings, Settings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.run import start
from reconciler.pipeline import Pipeline


def _notes(logs: list[MutableMapping[str, Any]]) -> list[Any]:
    return [entry["message"] for entry in logs if entry.get("event") == "plan note"]


def test_a_note_every_pass_repeats_is_logged_once_and_again_when_it_changes(aws, cli, ecs, example):
    settings = replace(Settings(), daemon=DaemonSettings(mode="detect"))
    daemon = Daemon(str(example), Pipeline(Aws(settings.aws), settings), alerter=Alerter([]), metrics=Metrics())
    assert cli("apply", example).code == 0
    ecs.create_cluster(clusterName="by-hand")
    (example / "by-hand.yaml").write_text(cluster("by-hand"))  # unmanaged: a note on every pass
    with capture_logs() as first:
        daemon.run_pass()
    [note] = _notes(first)
    assert "Cluster by-hand exists but is not managed by ecs-reconciler" in str(note)
    with capture_logs() as second:
        daemon.run_pass()
    assert _notes(second) == [], "the same note is not logged again"
    ecs.tag_resource(
        resourceArn=ecs.describe_clusters(clusters=["by-hand"])["clusters"][0]["clusterArn"],
        tags=[{"key": "ecs-reconciler/managed-by", "value": "batch"}],
    )
    with capture_logs() as third:
        daemon.run_pass()
    [changed] = _notes(third)
    assert "managed by another ecs-reconciler instance ('batch'" in str(changed)


def test_the_demo_prints_each_alert_once(aws, cli, example):
    result = cli("demo", example)
    assert result.code == 0, result.err
    assert result.out.count("drift on Service demo/web") == 1
    assert result.out.count("drift resolved: Service demo/web") == 1
    assert '"event": "alert"' not in result.err and "alert" not in result.err.lower()


def test_status_says_whose_each_resource_is(aws, cli, ecs, manifests):
    other = manifests({"jobs.yaml": cluster("jobs")})
    assert cli("apply", other, "--instance", "batch").code == 0
    ecs.create_cluster(clusterName="by-hand")
    root = manifests({"jobs.yaml": documents(cluster("jobs"), cluster("prod"), cluster("by-hand"))}, fresh=True)
    assert cli("apply", root).code == 1  # the other two are not this instance's to change
    shown = cli("status", root)
    rows = {line.split("  ")[0]: line for line in shown.out.splitlines()[1:]}
    assert "this instance" in rows["Cluster prod"] and "in sync" in rows["Cluster prod"]
    assert "instance batch" in rows["Cluster jobs"]
    assert "unmanaged" in rows["Cluster by-hand"]
    entries = {e["resource"]: e for e in json.loads(cli("status", root, "--format", "json").out)["resources"]}
    assert (entries["Cluster jobs"]["owner"], entries["Cluster jobs"]["managedBy"]) == ("instance batch", "batch")
    assert entries["Cluster by-hand"]["owner"] == "unmanaged" and entries["Cluster by-hand"]["managedBy"] is None


def test_without_a_lease_table_the_single_replica_is_the_leader(aws, example):
    settings = replace(Settings(), daemon=DaemonSettings(mode="detect"))
    operator = start(str(example), Pipeline(Aws(settings.aws), settings), sinks=[])
    try:
        exposed = generate_latest(operator.fleet.metrics.registry).decode()
        assert 'ecs_reconciler_leader{target="default"} 1.0' in exposed
    finally:
        operator.stop(grace=5)
    assert 'ecs_reconciler_leader{target="default"} 0.0' in generate_latest(operator.fleet.metrics.registry).decode()


def test_the_plan_header_names_the_instance(aws, cli, manifests):
    root = manifests({"prod.yaml": cluster()})
    assert cli("plan", root, "--instance", "ci").out.splitlines()[0].endswith(", instance ci.")
