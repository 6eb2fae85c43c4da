"""The daemon as a subprocess against the emulator: git-sync publishes, drift, alerts, metrics, signals, leases.

Each test starts `python -m reconciler run` and polls the emulator with generous timeouts: these tests check what
happens, not how fast (reaction times are measured in bench/)."""

from __future__ import annotations

import json
import signal
from typing import Any

import boto3
import pytest
from aws_state import described_service, live_service, service_at
from builders import REGION, revision_tree
from conftest import eventually
from daemon_io import get


@pytest.fixture
def topic(aws: Any) -> tuple[str, Any]:
    """An SNS topic with an SQS queue subscribed, to read the published alerts back."""
    sns = boto3.client("sns", endpoint_url=aws.endpoint_url, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=aws.endpoint_url, region_name=REGION)
    arn = sns.create_topic(Name="ecs-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="ecs-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    def messages() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    return arn, messages


def test_publish_drift_alerts_metrics_and_sigterm(aws, ecs, daemon, gitsync, webhook, topic):
    first = gitsync.publish(revision_tree(count=1))
    topic_arn, sns_messages = topic
    proc = daemon(
        gitsync.link,
        "--resync-interval", "1",
        "--metrics-port", "0",
        "--alert-webhook", webhook.url,
        "--alert-sns-topic", topic_arn,
    )  # fmt: skip
    eventually(service_at(ecs, count=1, revision=first), what="the first revision applied")
    port = proc.wait_for_event("serving metrics")["port"]
    base = f"http://127.0.0.1:{port}"

    # A git-sync publish: new worktree, atomic symlink swap, old worktree deleted. Applied, tagged with the revision.
    second = gitsync.publish(revision_tree(count=2))
    eventually(service_at(ecs, count=2, revision=second), what="the published revision applied")
    # The change-first step may have applied it while the full pass over the revision still runs: a change made
    # before that pass ends is part of the revision's rollout, not drift. Drift is what comes after.
    proc.wait_for_event("pass", revision=second)
    assert not webhook.alerts("drift"), "a new revision is a rollout, not drift"

    # Drift out of band: healed within a resync interval, alerted once on both sinks, secrets masked.
    svc = live_service(ecs)
    ecs.update_service(cluster="prod", service="api", desiredCount=5)
    eventually(service_at(ecs, count=2), what="the drift healed")
    drift = eventually(lambda: webhook.alerts("drift"), what="a drift alert on the webhook")[0]
    assert drift["resource"] == "Service prod/api"
    assert drift["revision"] == second
    assert drift["healed"] is True
    assert {"path": "desiredCount", "desired": 2, "live": 5} in drift["fields"]
    eventually(lambda: webhook.alerts("resolved"), what="the resolved alert")
    sns: list[dict[str, Any]] = []

    def drift_and_resolved() -> bool:
        sns.extend(sns_messages())
        return {m["kind"] for m in sns} >= {"drift", "resolved"}

    eventually(drift_and_resolved, what="SNS")
    assert [m for m in sns if m["kind"] == "drift"][0]["fields"] == drift["fields"]
    assert len(webhook.alerts("drift")) == 1, "one alert per distinct drift"
    assert svc is not None

    # Metrics and health answer.
    assert get(f"{base}/healthz")[0] == 200
    assert get(f"{base}/readyz") == (200, "ready\n")
    status, text = get(f"{base}/metrics")
    assert status == 200
    assert f'ecs_reconciler_applied_revision_info{{revision="{second}",target="default"}} 1.0' in text
    assert 'ecs_reconciler_passes_total{result="healed",target="default"} 1.0' in text
    assert 'ecs_reconciler_aws_calls_total{operation="UpdateService",service="ecs",target="default"}' in text
    assert "ecs_reconciler_pass_duration_seconds_count" in text
    assert "ecs_reconciler_last_success_timestamp_seconds" in text

    assert proc.stop(signal.SIGTERM) == 0
    assert proc.find("stopped")
    everything = "".join(proc.lines) + json.dumps(webhook.bodies) + json.dumps(sns)
    assert "hunter2" not in everything


def test_rapid_publishes_end_on_the_last_and_never_read_a_mixed_tree(aws, ecs, daemon, gitsync):
    """Each revision names its files after itself, so a pass that read two revisions at once would see every
    resource declared twice and report the tree invalid."""
    gitsync.publish(revision_tree("0", count=1, prefix="0"))
    proc = daemon(gitsync.link, "--resync-interval", "3600")
    eventually(service_at(ecs, count=1, revision=gitsync.published[0]), what="the first revision applied")
    for n in range(1, 21):
        gitsync.publish(revision_tree(str(n), count=n % 3 + 1, prefix=str(n)))
    last = gitsync.published[-1]
    eventually(service_at(ecs, count=20 % 3 + 1, revision=last), what="the last revision applied")
    cluster = ecs.describe_clusters(clusters=["prod"], include=["TAGS"])["clusters"][0]
    assert {t["key"]: t["value"] for t in cluster["tags"]}["rev"] == "20"
    passes = proc.find("pass")
    assert passes and not [p for p in passes if p["result"] not in ("applied", "in_sync")]
    assert {p["revision"] for p in passes} <= set(gitsync.published)
    assert proc.stop() == 0


def test_broken_revision_alerts_once_and_changes_nothing(aws, ecs, daemon, gitsync, webhook):
    good = gitsync.publish(revision_tree(count=2))
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--alert-webhook", webhook.url)
    eventually(service_at(ecs, count=2, revision=good), what="the good revision applied")
    aws.reset_calls()
    broken = gitsync.publish({**revision_tree(count=3), "bad.yaml": "kind: Service\nmetadata: {name: x}\nspec: [\n"})
    alert = eventually(lambda: webhook.alerts("invalid"), what="the invalid-revision alert")[0]
    assert alert["revision"] == broken
    assert any("bad.yaml" in e for e in alert["errors"])
    proc.wait_for_event("pass", result="invalid")
    eventually(lambda: len(proc.find("pass", result="invalid")) >= 3, what="more passes over the broken revision")
    assert len(webhook.alerts("invalid")) == 1, "alerted once, not on every pass"
    assert aws.writes() == [], "a broken revision changes nothing"
    assert described_service(ecs)["desiredCount"] == 2

    fixed = gitsync.publish(revision_tree(count=3))
    eventually(service_at(ecs, count=3, revision=fixed), what="the fixed revision applied")
    assert proc.stop() == 0


def test_two_daemons_sharing_a_lease_never_both_apply_and_the_follower_takes_over(aws, ecs, daemon, gitsync):
    dynamodb = boto3.client("dynamodb", endpoint_url=aws.endpoint_url, region_name=REGION)
    dynamodb.create_table(
        TableName="leases",
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    first = gitsync.publish(revision_tree(count=1))
    lease = ("--lease-table", "leases", "--lease-duration", "3", "--lease-renew", "0.5", "--resync-interval", "1")
    a = daemon(gitsync.link, *lease, "--metrics-port", "0")
    b = daemon(gitsync.link, *lease, "--metrics-port", "0")
    eventually(service_at(ecs, count=1, revision=first), what="the first revision applied")
    eventually(lambda: a.find("pass") or b.find("pass"), what="the leader running passes")
    leaders = [p for p in (a, b) if p.find("leader")]
    assert len(leaders) == 1, "exactly one leader"
    leader, follower = leaders[0], next(p for p in (a, b) if p is not leaders[0])
    port = follower.wait_for_event("serving metrics")["port"]
    ready = lambda: get(f"http://127.0.0.1:{port}/readyz") == (200, "ready, holding no target\n")  # noqa: E731
    eventually(ready, timeout=10, what="the follower ready to take over")
    assert not follower.find("apply") and not follower.find("pass"), "the follower holds no target: no pass at all"
    holder = leader.wait_for_event("leader")["holder"]

    def replica() -> Any:
        return json.loads(get(f"http://127.0.0.1:{port}/status")[1])["replica"]

    # The follower's keeper learns who holds what from its next read of the lease table (every renew interval).
    eventually(lambda: replica()["holders"] == {"default": holder}, timeout=10, what="the follower sees the holder")
    assert replica()["holds"] == [] and len(replica()["live_replicas"]) == 2

    leader.process.kill()  # dies without releasing the lease
    leader.process.wait(10)
    second = gitsync.publish(revision_tree(count=2))
    follower.wait_for_event("leader", timeout=30)
    eventually(service_at(ecs, count=2, revision=second), what="the new leader applies")
    assert follower.stop() == 0
