"""The daemon follows deployments by ECS's ServiceDeployment, as a subprocess against the emulator: a PAUSE hook is
alerted once per pause (hook, stage, expiry) and /status shows it awaiting approval; a BLUE_GREEN bake, blue and
green both running, is neither drift nor a reason to write; an alarm that rolls a deployment back is named in the
rollout_failed alert with ECS's rollback. In process: a deployment that completed long before the pass that started it
ended is followed to its completion."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from builders import cluster, container, documents, image_app, service, task_definition
from conftest import REGION, eventually
from daemon_io import Recorded, Webhook, status_of

from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import AwsSettings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.deployments import Deployments
from reconciler.daemon.metrics import Metrics
from reconciler.emulator.clock import CLOCK, MINUTE_ENV

CANARY = {
    "strategy": "CANARY",
    "bakeTimeInMinutes": 1,
    "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": 1},
    "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}],
}
BLUE_GREEN = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 60}
ALARMED = {
    "strategy": "BLUE_GREEN",
    "bakeTimeInMinutes": 600,
    "alarms": {"alarmNames": ["api-5xx"], "enable": True, "rollback": True},
}
API = "Service prod/api"


def files(tag: str, deployment: dict[str, Any]) -> dict[str, str]:
    """The prod cluster and one api task running example/api:TAG, deployed as ``deployment`` configures."""
    app = container(image=f"example/api:{tag}", port=None, environment=None)
    api = documents(task_definition(containers=[app]), service(desiredCount=1, deploymentConfiguration=deployment))
    return {"cluster.yaml": cluster(settings=None), "api.yaml": api}


def start(daemon: Any, gitsync: Any, webhook: Webhook) -> tuple[Any, int]:
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", webhook.url)
    return proc, int(proc.wait_for_event("serving metrics")["port"])


def deployment_of(port: int) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (status_of(port)["resources"].get(API, {}).get("rollout") or {}).get("deployment")
    return found


def moved_on(webhook: Webhook, answered: int) -> bool:
    """The deployment completed, or paused again after ``answered`` pauses."""
    return bool(webhook.alerts("rollout_completed")) or len(webhook.alerts("deployment_paused")) > answered


def test_a_pause_is_alerted_once_shown_in_status_and_followed_to_completion(aws, daemon, gitsync, webhook, cli):
    revision = gitsync.publish(files("1.0", CANARY))
    proc, port = start(daemon, gitsync, webhook)
    [paused] = eventually(lambda: webhook.alerts("deployment_paused"), what="the pause alert")
    assert paused["resource"] == API and paused["revision"] == revision
    assert paused["stage"] == "PRE_PRODUCTION_TRAFFIC_SHIFT"
    assert paused["hook"].startswith("ecs-pause-") and paused["expires_at"]
    assert "continue PATH Service/prod/api" in paused["summary"]
    shown = eventually(lambda: deployment_of(port), what="the deployment in /status")
    assert (shown["strategy"], shown["stage"], shown["state"]) == ("CANARY", "PRE_PRODUCTION_TRAFFIC_SHIFT", "paused")
    assert shown["awaitingApproval"]["expiresAt"] == paused["expires_at"]
    passes = len(proc.find("pass"))
    eventually(lambda: len(proc.find("pass")) >= passes + 3, what="more passes while paused")
    assert len(webhook.alerts("deployment_paused")) == 1, "one alert per pause"
    assert webhook.alerts("rollout_completed") == [], "a pause is not an outcome"

    for _ in range(4):  # a canary pauses before each of its production traffic shifts
        answered = len(webhook.alerts("deployment_paused"))
        assert cli("continue", gitsync.link, "Service/api").code == 0
        eventually(lambda n=answered: moved_on(webhook, n), what="the next pause or the end")
        if webhook.alerts("rollout_completed"):
            break
    [completed] = webhook.alerts("rollout_completed")
    assert completed["revision"] == revision and completed["deployment"] == shown["arn"]
    pauses = webhook.alerts("deployment_paused")
    assert len({(p["deployment"], p["hook"], p["stage"]) for p in pauses}) == len(pauses), "each pause alerted once"
    assert (deployment_of(port) or {}).get("status") == "SUCCESSFUL"
    assert proc.stop() == 0


def test_blue_and_green_both_running_during_the_bake_is_not_drift(aws, ecs, daemon, gitsync, webhook, monkeypatch):
    monkeypatch.setenv(MINUTE_ENV, "0.2")  # a 60-minute bake lasts 12 s
    gitsync.publish(files("1.0", BLUE_GREEN))
    proc, port = start(daemon, gitsync, webhook)
    eventually(lambda: webhook.alerts("rollout_completed"), timeout=60, what="blue rolled out")
    green = gitsync.publish(files("1.1", BLUE_GREEN))
    eventually(lambda: (deployment_of(port) or {}).get("stage") == "BAKE_TIME", what="green baking")
    running = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["currentServiceRevisions"]
    assert len(running) == 2, "blue and green both run while green bakes"
    aws.reset_calls()
    passes = len(proc.find("pass", revision=green))
    eventually(lambda: len(proc.find("pass", revision=green)) >= passes + 3, what="passes during the bake")
    assert (deployment_of(port) or {}).get("stage") == "BAKE_TIME", "still baking: the passes above ran during the bake"
    assert [p["result"] for p in proc.find("pass", revision=green)][passes:] == ["in_sync"] * (
        len(proc.find("pass", revision=green)) - passes
    )
    assert aws.writes() == [], "nothing written while blue and green both run"
    assert webhook.alerts("drift") == []
    assert status_of(port)["resources"][API]["state"] == "in_sync"
    eventually(lambda: len(webhook.alerts("rollout_completed")) == 2, timeout=60, what="green rolled out")
    assert proc.stop() == 0


def test_an_alarm_that_rolls_back_is_named_in_the_alert_with_ecs_rollback(aws, daemon, gitsync, webhook):
    cloudwatch = boto3.client("cloudwatch", endpoint_url=aws.endpoint_url, region_name=REGION)
    cloudwatch.put_metric_alarm(
        AlarmName="api-5xx",
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    gitsync.publish(files("1.0", {**ALARMED, "bakeTimeInMinutes": 1}))
    proc, port = start(daemon, gitsync, webhook)
    eventually(lambda: webhook.alerts("rollout_completed"), timeout=60, what="blue rolled out")
    bad = gitsync.publish(files("1.1", ALARMED))
    eventually(lambda: (deployment_of(port) or {}).get("stage") == "BAKE_TIME", what="green baking")
    cloudwatch.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="errors")
    [failed] = eventually(lambda: webhook.alerts("rollout_failed"), what="the rollout_failed alert")
    assert failed["revision"] == bad and failed["resource"] == API
    assert failed["triggered_alarm_names"] == ["api-5xx"]
    assert failed["rollback"] and "api-5xx" in failed["rollback"]
    assert "api-5xx" in failed["summary"]
    held = status_of(port)
    assert held["held"]["revision"] == bad
    assert held["resources"][API]["rollout"]["deployment"]["triggeredAlarms"] == ["api-5xx"]
    assert proc.stop() == 0


@pytest.fixture
def clock_behind() -> Iterator[Callable[[float], None]]:
    """Sets the emulator's clock that many seconds behind this machine's (back again after the test): a deployment
    ECS starts then looks, to the follower, as one that started that long before it began to follow, as after a pass
    that waited on AWS's buckets."""
    behind = [0.0]

    def set_behind(seconds: float) -> None:
        CLOCK.advance(behind[0] - seconds)
        behind[0] = seconds

    yield set_behind
    CLOCK.advance(behind[0])


def test_a_deployment_completed_before_the_pass_ended_is_seen_completed(aws, cli, manifests, ecs, clock_behind):
    assert cli("apply", manifests({"cluster.yaml": cluster(), "api.yaml": image_app("api", "1.0")})).code == 0
    clock_behind(60)
    began = CLOCK.utc()
    changed = manifests({"cluster.yaml": cluster(), "api.yaml": image_app("api", "1.1")})
    assert cli("apply", changed, "--no-wait").code == 0

    def completed() -> bool:
        arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["currentServiceDeployment"]
        found = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
        return bool(found["status"] == "SUCCESSFUL")

    eventually(completed, what="the deployment to complete")
    sink = Recorded()
    deployments = Deployments(Aws(AwsSettings()), Alerter([sink]), Metrics().for_target("default"), timeout=60, poll=5)
    address = Address("Service", "api", "prod")
    deployments.follow("fingerprint", "abc123", [address], {address: "api:1"}, since=began)
    deployments.check(due_only=False)
    assert [a.kind for a in sink.alerts] == ["rollout_completed"]
