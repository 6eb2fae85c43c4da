"""The daemon's parts in-process: drift bookkeeping (pure), reading git-sync's link, and passes in detect mode
against the emulator."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler import log
from reconciler.aws import Aws
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.drift import Drift, FieldDrift, track
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.source import find_link, read_snapshot
from reconciler.model import Address
from reconciler.settings import DaemonSettings, Settings

WEB = Address("Service", "web", "prod")


@pytest.fixture(autouse=True)
def _logs_to_this_tests_stderr() -> None:
    """structlog keeps the stderr it was configured with; an earlier test's captured stream may be closed."""
    log.configure(level="info", json_output=True)


DB = Address("Service", "db", "prod")


def drift(address: Address, live: int) -> Drift:
    return Drift(address, "update", "live state differs", (FieldDrift("desiredCount", 2, live),))


def test_drift_is_alerted_once_again_when_it_changes_and_resolved_when_gone():
    opened, events = track({}, {WEB: drift(WEB, 5)})
    assert [(e.status, e.drift.address) for e in events] == [("detected", WEB)]
    opened, events = track(opened, {WEB: drift(WEB, 5)})
    assert events == [], "the same drift is not alerted twice"
    opened, events = track(opened, {WEB: drift(WEB, 7), DB: drift(DB, 0)})
    assert [(e.status, e.drift.address) for e in events] == [("detected", DB), ("detected", WEB)]
    opened, events = track(opened, {DB: drift(DB, 0)})
    assert [(e.status, e.drift.address) for e in events] == [("resolved", WEB)]
    assert list(opened) == [DB]


def test_manifests_in_a_folder_below_the_link_are_read_through_one_resolved_revision(gitsync):
    revision = gitsync.publish({"manifests/c.yaml": "apiVersion: ecs-reconciler/v1\n"})
    path = str(gitsync.link / "manifests")
    assert find_link(path) == (str(gitsync.link), "manifests")
    snapshot = read_snapshot(path, retries=0)
    assert snapshot.revision == revision
    assert snapshot.target == os.path.realpath(path)
    assert [d.file for d in snapshot.documents] == ["c.yaml"]


def test_a_plain_directory_has_no_revision(manifests):
    root = manifests({"c.yaml": "apiVersion: ecs-reconciler/v1\n"})
    assert find_link(str(root)) is None
    assert read_snapshot(str(root), retries=0).revision is None


def test_a_missing_link_keeps_the_last_state(aws, tmp_path: Path):
    sent: list[Alert] = []
    daemon = Daemon(str(tmp_path / "current"), Aws(Settings()), Settings(), alerter=Alerter([Collect(sent)]),
                    metrics=Metrics())  # fmt: skip
    assert daemon.run_pass() == "no_source"
    assert aws.calls == [] and sent == []


class Collect:
    name = "collect"

    def __init__(self, sent: list[Alert]) -> None:
        self.sent = sent

    def send(self, alert: Alert) -> None:
        self.sent.append(alert)


@pytest.fixture
def detect(aws, example):
    sent: list[Alert] = []
    settings = replace(Settings(), daemon=DaemonSettings(mode="detect"))
    daemon = Daemon(str(example), Aws(settings), settings, alerter=Alerter([Collect(sent)]), metrics=Metrics())
    return daemon, sent


def test_detect_mode_alerts_drift_and_leaves_it(aws, cli, ecs, detect):
    daemon, sent = detect
    assert cli("apply", daemon.path).code == 0
    assert daemon.run_pass() == "in_sync"
    ecs.update_service(cluster="demo", service="web", enableExecuteCommand=True)
    aws.reset_calls()
    assert daemon.run_pass() == "drift"
    assert aws.writes() == [], "detect mode never writes"
    assert ecs.describe_services(cluster="demo", services=["web"])["services"][0]["enableExecuteCommand"] is True
    [alert] = sent
    assert (alert.kind, alert.resource, alert.healed) == ("drift", "Service demo/web", False)
    assert FieldDrift("enableExecuteCommand", False, True) in alert.fields
    assert daemon.run_pass() == "drift" and len(sent) == 1, "alerted once"
    ecs.update_service(cluster="demo", service="web", enableExecuteCommand=False)
    assert daemon.run_pass() == "in_sync"
    assert [a.kind for a in sent] == ["drift", "resolved"]


def test_demo_applies_then_shows_a_drift_alerted_healed_and_resolved(aws, cli, example):
    result = cli("demo", example)
    assert result.code == 0, result.err
    assert "drift on Service demo/web" in result.out and "healed" in result.out
    assert "enableExecuteCommand: desired false, live true" in result.out
    assert "drift resolved: Service demo/web" in result.out
