"""Change-first passes: on a publish the daemon applies what the publish changed before its full pass, reading only
what those documents declare and reference; the full, level-triggered pass still follows."""

from __future__ import annotations

from typing import Any

from faults import READ_PREFIXES

from bench.fleet import fleet_files
from reconciler.aws import Aws
from reconciler.core.settings import AwsSettings, DaemonSettings, Settings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.pipeline import Pipeline

SERVICES = 12


def make_daemon(link: Any, **daemon: Any) -> Daemon:
    settings = Settings(aws=AwsSettings(), daemon=DaemonSettings(**daemon))
    pipeline = Pipeline(Aws(settings.aws), settings)
    pipeline.keep_between_passes()
    return Daemon(str(link), pipeline, alerter=Alerter([]), metrics=Metrics())


def scaled(files: dict[str, str], name: str) -> dict[str, str]:
    path = f"services/{name}.yaml"
    return {**files, path: files[path].replace("desiredCount: 1", "desiredCount: 3")}


def reads_before_first_write(calls: list[str]) -> int:
    writes = [i for i, op in enumerate(calls) if not op.startswith(READ_PREFIXES)]
    assert writes, f"no write: {calls}"
    return writes[0]


def test_a_publish_is_applied_after_a_handful_of_reads_then_the_full_pass_runs(aws, ecs, gitsync):
    files = fleet_files(SERVICES, 2)
    gitsync.publish(files)
    daemon = make_daemon(gitsync.link)
    assert daemon.run_pass() == "applied"
    full_pass_reads = len(aws.calls)

    gitsync.publish(scaled(files, "svc-0005"))
    aws.reset_calls()
    result = daemon.run_pass()
    assert result == "applied"
    assert reads_before_first_write(aws.calls) <= 5, aws.calls
    first = reads_before_first_write(aws.calls)
    # The service is tagged with the revision it is about to run, then updated (tags are written first, so a kill
    # between the two never leaves a stale revision tag).
    assert aws.calls[first : first + 2] == ["TagResource", "UpdateService"], aws.calls
    assert len(aws.calls) > reads_before_first_write(aws.calls) + SERVICES // 10, "the full pass still read all"
    assert full_pass_reads > 2 * SERVICES
    service = ecs.describe_services(cluster="cluster-001", services=["svc-0005"])["services"][0]
    assert service["desiredCount"] == 3


def test_without_change_first_the_first_write_waits_for_the_full_observe(aws, gitsync):
    files = fleet_files(SERVICES, 2)
    gitsync.publish(files)
    daemon = make_daemon(gitsync.link, change_first_limit=0)
    daemon.run_pass()
    gitsync.publish(scaled(files, "svc-0005"))
    aws.reset_calls()
    assert daemon.run_pass() == "applied"
    assert reads_before_first_write(aws.calls) > SERVICES // 10 + 2


def test_a_change_that_needs_an_undeclared_reference_is_left_to_the_full_pass(aws, ecs, gitsync):
    """A new document whose service lives in a cluster not live yet, declared in a document the publish did not
    change: change-first cannot plan the service alone (its cluster is neither in the changed set nor live) and
    leaves it to the full pass, which applies both in order."""
    files = fleet_files(SERVICES, 2)
    gitsync.publish(files)
    daemon = make_daemon(gitsync.link)
    daemon.run_pass()
    cluster = files["clusters/cluster-000.yaml"].replace("cluster-000", "extra")
    gitsync.publish({**files, "clusters/extra.yaml": cluster})
    daemon.run_pass()
    service = files["services/svc-0000.yaml"].replace("svc-0000", "svc-new").replace("cluster-000", "extra")
    # the cluster document is unchanged now; undeploy it out of band so that it is declared but not live
    ecs.delete_cluster(cluster="extra")
    gitsync.publish({**files, "clusters/extra.yaml": cluster, "services/svc-new.yaml": service})
    assert daemon.run_pass() == "applied"
    assert ecs.describe_services(cluster="extra", services=["svc-new"])["services"][0]["status"] == "ACTIVE"
