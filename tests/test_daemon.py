"""The daemon as a subprocess against the emulator: git-sync publishes, drift, alerts, metrics, signals, leases.

Each test starts `python -m reconciler run` and polls the emulator with generous timeouts: these tests check what
happens, not how fast (reaction times are measured in bench/)."""

from __future__ import annotations

import http.server
import json
import signal
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import REGION, eventually

from reconciler.core.tags import REVISION_TAG_KEY

CLUSTER = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {{name: prod}}
spec:
  tags: [{{key: rev, value: "{rev}"}}]
"""
APP = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {{name: api}}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: example/api:1.0
      environment:
        - {{name: MODE, value: prod}}
        - {{name: DB_PASSWORD, value: hunter2}}
---
apiVersion: ecs-reconciler/v1
kind: Service
metadata: {{name: api}}
spec:
  cluster: prod
  taskDefinition: api
  desiredCount: {count}
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0a1b2c3d4e5f60001]
      securityGroups: [sg-0a1b2c3d4e5f60001]
  tags: [{{key: rev, value: "{rev}"}}]
"""


def tree(rev: str = "1", count: int = 2) -> dict[str, str]:
    return {"cluster.yaml": CLUSTER.format(rev=rev), "app.yaml": APP.format(rev=rev, count=count)}


def tags_of(ecs: Any, arn: str) -> dict[str, str]:
    return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}


def live_service(ecs: Any) -> dict[str, Any] | None:
    try:
        found = ecs.describe_services(cluster="prod", services=["api"])["services"]
    except ecs.exceptions.ClusterNotFoundException:
        return None
    return found[0] if found and found[0]["status"] == "ACTIVE" else None


def service_at(ecs: Any, *, count: int, revision: str | None = None) -> Any:
    def check() -> bool:
        svc = live_service(ecs)
        if svc is None or svc["desiredCount"] != count:
            return False
        return revision is None or tags_of(ecs, svc["serviceArn"]).get(REVISION_TAG_KEY) == revision

    return check


class Webhook:
    """A loopback HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        return [b["ecs_reconciler"] for b in self.bodies if b["ecs_reconciler"]["kind"] == kind]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


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


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_publish_drift_alerts_metrics_and_sigterm(aws, ecs, daemon, gitsync, webhook, topic):
    first = gitsync.publish(tree(count=1))
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
    second = gitsync.publish(tree(count=2))
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
    sns = []
    eventually(lambda: sns.extend(sns_messages()) or {m["kind"] for m in sns} >= {"drift", "resolved"}, what="SNS")
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
    gitsync.publish({"r0.yaml": CLUSTER.format(rev="0"), "a0.yaml": APP.format(rev="0", count=1)})
    proc = daemon(gitsync.link, "--resync-interval", "3600")
    eventually(service_at(ecs, count=1, revision=gitsync.published[0]), what="the first revision applied")
    for n in range(1, 21):
        gitsync.publish({f"r{n}.yaml": CLUSTER.format(rev=n), f"a{n}.yaml": APP.format(rev=n, count=n % 3 + 1)})
    last = gitsync.published[-1]
    eventually(service_at(ecs, count=20 % 3 + 1, revision=last), what="the last revision applied")
    cluster = ecs.describe_clusters(clusters=["prod"], include=["TAGS"])["clusters"][0]
    assert {t["key"]: t["value"] for t in cluster["tags"]}["rev"] == "20"
    passes = proc.find("pass")
    assert passes and not [p for p in passes if p["result"] not in ("applied", "in_sync")]
    assert {p["revision"] for p in passes} <= set(gitsync.published)
    assert proc.stop() == 0


def test_broken_revision_alerts_once_and_changes_nothing(aws, ecs, daemon, gitsync, webhook):
    good = gitsync.publish(tree(count=2))
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--alert-webhook", webhook.url)
    eventually(service_at(ecs, count=2, revision=good), what="the good revision applied")
    aws.reset_calls()
    broken = gitsync.publish({**tree(count=3), "bad.yaml": "kind: Service\nmetadata: {name: x}\nspec: [\n"})
    alert = eventually(lambda: webhook.alerts("invalid"), what="the invalid-revision alert")[0]
    assert alert["revision"] == broken
    assert any("bad.yaml" in e for e in alert["errors"])
    proc.wait_for_event("pass", result="invalid")
    eventually(lambda: len(proc.find("pass", result="invalid")) >= 3, what="more passes over the broken revision")
    assert len(webhook.alerts("invalid")) == 1, "alerted once, not on every pass"
    assert aws.writes() == [], "a broken revision changes nothing"
    assert live_service(ecs)["desiredCount"] == 2

    fixed = gitsync.publish(tree(count=3))
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
    first = gitsync.publish(tree(count=1))
    lease = ("--lease-table", "leases", "--lease-duration", "3", "--lease-renew", "0.5", "--resync-interval", "1")
    a = daemon(gitsync.link, *lease, "--metrics-port", "0")
    b = daemon(gitsync.link, *lease, "--metrics-port", "0")
    eventually(service_at(ecs, count=1, revision=first), what="the first revision applied")
    eventually(lambda: a.find("pass") and b.find("pass"), what="both daemons running passes")
    leaders = [p for p in (a, b) if p.find("leader")]
    assert len(leaders) == 1, "exactly one leader"
    leader, follower = leaders[0], next(p for p in (a, b) if p is not leaders[0])
    assert not follower.find("apply"), "the follower never applies"
    assert {p["result"] for p in follower.find("pass")} == {"standby"}
    port = follower.wait_for_event("serving metrics")["port"]
    ready = lambda: get(f"http://127.0.0.1:{port}/readyz")[0] == 200  # noqa: E731
    eventually(ready, timeout=10, what="the follower ready to take over")

    leader.process.kill()  # dies without releasing the lease
    leader.process.wait(10)
    second = gitsync.publish(tree(count=2))
    follower.wait_for_event("leader", timeout=30)
    eventually(service_at(ecs, count=2, revision=second), what="the new leader applies")
    assert follower.stop() == 0
