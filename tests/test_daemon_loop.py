"""The daemon's parts in-process: drift bookkeeping (pure), reading git-sync's link, and passes in detect mode
against the emulator."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import eventually
from structlog.testing import capture_logs

from reconciler import log
from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import (
    AwsSettings,
    BackoffSettings,
    DaemonSettings,
    PaceSettings,
    RetrySettings,
    SecuritySettings,
    Settings,
)
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.drift import Drift, FieldDrift, track
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.source import find_link, read_snapshot
from reconciler.pipeline import Pipeline

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
    assert snapshot.folder == os.path.realpath(path)
    assert [d.file for d in snapshot.documents] == ["c.yaml"]


def test_a_plain_directory_has_no_revision(manifests):
    root = manifests({"c.yaml": "apiVersion: ecs-reconciler/v1\n"})
    assert find_link(str(root)) is None
    assert read_snapshot(str(root), retries=0).revision is None


def test_a_missing_link_keeps_the_last_state(aws, tmp_path: Path):
    sent: list[Alert] = []
    pipeline = Pipeline(Aws(AwsSettings()), Settings())
    daemon = Daemon(str(tmp_path / "current"), pipeline, alerter=Alerter([Collect(sent)]), metrics=Metrics())
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
    pipeline = Pipeline(Aws(settings.aws), settings)
    daemon = Daemon(str(example), pipeline, alerter=Alerter([Collect(sent)]), metrics=Metrics())
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
    assert "The console is at http://127.0.0.1:" in result.out


THROTTLED = (400, "ThrottlingException", "Rate exceeded")


@pytest.fixture
def looping(aws, example):
    """daemon.run in a thread, over the example, each AWS call tried once; stopped at the end."""
    started: list[tuple[Daemon, threading.Thread]] = []

    def start(daemon_settings: DaemonSettings) -> Daemon:
        pace = PaceSettings(throttle_patience=0)  # throttling answers, too, fail the call at once
        settings = Settings(aws=AwsSettings(retry=RetrySettings(attempts=1), pace=pace), daemon=daemon_settings)
        daemon = Daemon(str(example), Pipeline(Aws(settings.aws), settings), alerter=Alerter([]), metrics=Metrics())
        thread = threading.Thread(target=daemon.run, daemon=True)
        thread.start()
        started.append((daemon, thread))
        return daemon

    yield start
    for daemon, thread in started:
        daemon.stop()
        thread.join(10)


def web_service(ecs: Any) -> bool:
    """The example's service exists and is active."""
    try:
        found = ecs.describe_services(cluster="demo", services=["web"])["services"]
    except ecs.exceptions.ClusterNotFoundException:
        return False
    return bool(found) and found[0]["status"] == "ACTIVE"


def test_a_failing_pass_is_retried_within_the_resync_interval_and_converges_after_the_outage(aws, ecs, looping):
    """The default backoff grows to 5 minutes; capped by the resync interval, a daemon converges within one interval
    of an outage's end instead of sleeping through minutes of a healthy AWS."""
    aws.hooks.append(lambda _operation: THROTTLED)
    with capture_logs() as logs:
        looping(DaemonSettings(resync_interval=0.3))
        eventually(lambda: len([e for e in logs if e["event"] == "pass failed; backing off"]) >= 5, what="5 retries")
        aws.hooks.clear()
        eventually(lambda: web_service(ecs), what="the example applied after the outage")
    waits = [e["retry_in"] for e in logs if e["event"] == "pass failed; backing off"]
    assert max(waits) <= 0.3, waits


def test_a_pass_request_during_a_backoff_is_served_at_once(aws, ecs, looping):
    failing = [True]
    aws.hooks.append(lambda _operation: THROTTLED if failing[0] else None)
    with capture_logs() as logs:
        daemon = looping(DaemonSettings(resync_interval=3600, backoff=BackoffSettings(initial=600)))
        eventually(lambda: [e for e in logs if e["event"] == "pass failed; backing off"], what="a failed pass")
    failing[0] = False
    daemon.request_pass()  # what a publish's file event does
    eventually(lambda: web_service(ecs), timeout=20, what="the pass the request asked for")


def test_a_link_event_after_the_pass_already_read_the_new_revision_asks_for_no_second_pass(aws, gitsync, manifests):
    gitsync.publish({"c.yaml": "apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: prod}\n"})
    daemon = Daemon(str(gitsync.link), Pipeline(Aws(AwsSettings()), Settings()), alerter=Alerter([]), metrics=Metrics())
    daemon.run_pass()  # the heartbeat saw the swap first and the pass read the new revision
    daemon.source_changed()  # then the watcher's event for that same swap arrives
    assert not daemon.wake.is_set()
    gitsync.publish({"c.yaml": "apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: prod2}\n"})
    daemon.source_changed()
    assert daemon.wake.is_set(), "a publish the last pass has not read asks for a pass"

    plain = Daemon(str(manifests({"c.yaml": "x: 1\n"})), Pipeline(Aws(AwsSettings()), Settings()), alerter=Alerter([]),
                   metrics=Metrics())  # fmt: skip
    plain.run_pass()
    plain.source_changed()
    assert plain.wake.is_set(), "a plain directory changes in place: every event asks"


def test_an_error_severity_finding_refuses_the_daemon_as_it_refuses_apply(aws, cli, example):
    """`run --severity image-tag=error` with an image tagged latest: the pass is refused before any write, alerted
    once, exactly as `apply` refuses it."""
    web = example / "web.yaml"
    web.write_text(web.read_text().replace("nginx-unprivileged:1.27", "nginx-unprivileged:latest"))
    refused = cli("apply", example, "--severity", "image-tag=error")
    assert refused.code == 1 and "apply refused" in refused.err
    assert aws.writes() == []

    sent: list[Alert] = []
    settings = Settings(security=SecuritySettings({"image-tag": "error"}))
    pipeline = Pipeline(Aws(settings.aws), settings)
    daemon = Daemon(str(example), pipeline, alerter=Alerter([Collect(sent)]), metrics=Metrics())
    assert daemon.run_pass() == "refused"
    assert daemon.run_pass() == "refused"
    assert aws.writes() == [], "the daemon writes nothing while the finding stands"
    [alert] = sent
    assert alert.kind == "refused" and "apply refused" in alert.summary
    assert any("[image-tag]" in error and "latest" in error for error in alert.errors)
