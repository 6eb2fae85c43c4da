"""The emulator's service deployments, over HTTP with boto3: each CreateService/UpdateService makes a
ServiceDeployment of a ServiceRevision that moves through its strategy's lifecycle stages, PAUSE hooks wait for
ContinueServiceDeployment or expire, alarms and the circuit breaker roll back, StopServiceDeployment rolls back, and
ListServiceDeployments filters and pages as the ECS API Reference says.

The emulator's clock is frozen and moved on by hand (the emulator runs in the tests' process), so every stage is
seen in turn without sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import REGION

from reconciler.emulator.clock import CLOCK, MINUTE_ENV, ROLLOUT_SECONDS_ENV
from reconciler.emulator.deployment_records import HOOK_FAIL_ENV
from reconciler.emulator.rollouts import ROLLOUT_ENV, ROLLOUT_IMAGES_ENV

STEP = 0.2
"""ROLLOUT_SECONDS_ENV in these tests: a stage with no time of its own."""
MINUTE = 0.1
"""MINUTE_ENV in these tests: one of AWS's minutes."""
TICK = 0.05
BLUE_GREEN_STAGES = [
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
]


@pytest.fixture
def clock(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv(ROLLOUT_SECONDS_ENV, str(STEP))
    monkeypatch.setenv(MINUTE_ENV, str(MINUTE))
    CLOCK.freeze()
    yield CLOCK
    CLOCK.thaw()


@pytest.fixture
def web(ecs: Any, clock: Any) -> Any:
    """A cluster and two revisions of the task family web (nginx:1, nginx:2)."""
    ecs.create_cluster(clusterName="main")
    for image in ("nginx:1", "nginx:2"):
        ecs.register_task_definition(family="web", containerDefinitions=[{"name": "app", "image": image, "memory": 64}])
    return ecs


def create(ecs: Any, **configuration: Any) -> None:
    ecs.create_service(
        cluster="main", serviceName="web", taskDefinition="web:1", desiredCount=2, deploymentConfiguration=configuration
    )


def deployments(ecs: Any, **filters: Any) -> list[dict[str, Any]]:
    return list(ecs.list_service_deployments(cluster="main", service="web", **filters)["serviceDeployments"])


def newest(ecs: Any) -> dict[str, Any]:
    arn = deployments(ecs)[0]["serviceDeploymentArn"]
    return dict(ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0])


def service(ecs: Any) -> dict[str, Any]:
    return dict(ecs.describe_services(cluster="main", services=["web"])["services"][0])


def settle(ecs: Any, *, seconds: float = 5.0) -> dict[str, Any]:
    """Move the clock on until the newest deployment has finished."""
    for _ in range(int(seconds / TICK)):
        found = newest(ecs)
        if found["status"] in ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"):
            return found
        CLOCK.advance(TICK)
    raise AssertionError(f"the deployment did not finish: {newest(ecs)['status']}")


def walk(ecs: Any, *, seconds: float = 5.0) -> list[tuple[str, float]]:
    """(lifecycleStage, production traffic on the target revision) as they change, until the deployment ends."""
    seen: list[tuple[str, float]] = []
    for _ in range(int(seconds / TICK)):
        found = newest(ecs)
        if found.get("lifecycleStage"):
            now = (found["lifecycleStage"], found["targetServiceRevision"]["requestedProductionTrafficWeight"])
            if not seen or seen[-1] != now:
                seen.append(now)
        if found["status"] != "IN_PROGRESS" and found["status"] != "PENDING":
            return seen
        CLOCK.advance(TICK)
    raise AssertionError("the deployment did not finish")


def paused_hook(ecs: Any) -> dict[str, Any]:
    for _ in range(100):
        found = newest(ecs)
        waiting: list[dict[str, Any]] = [
            h for h in found.get("lifecycleHookDetails", []) if h["status"] == "AWAITING_ACTION"
        ]
        if waiting:
            return waiting[0]
        CLOCK.advance(TICK)
    raise AssertionError("no hook awaiting action")


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


PAUSE = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}


# --- ROLLING ------------------------------------------------------------------------------------------------------


def test_rolling_deployments_follow_the_rollout_and_name_their_revisions(web: Any) -> None:
    create(web)
    first = settle(web)
    assert first["status"] == "SUCCESSFUL" and "lifecycleStage" not in first
    assert first["sourceServiceRevisions"] == [] and first["targetServiceRevision"]["runningTaskCount"] == 2
    assert first["deploymentCircuitBreaker"]["status"] == "DISABLED" and first["alarms"] == {"status": "DISABLED"}
    web.update_service(cluster="main", service="web", desiredCount=3)
    assert len(deployments(web)) == 1, "a change of desiredCount alone makes no deployment"
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    assert newest(web)["status"] in ("PENDING", "IN_PROGRESS")
    second = settle(web)
    assert second["status"] == "SUCCESSFUL"
    assert [s["arn"] for s in second["sourceServiceRevisions"]] == [first["targetServiceRevision"]["arn"]]
    revision = web.describe_service_revisions(serviceRevisionArns=[second["targetServiceRevision"]["arn"]])
    assert revision["serviceRevisions"][0]["taskDefinition"].endswith("task-definition/web:2")
    assert revision["serviceRevisions"][0]["containerImages"][0]["image"] == "nginx:2"
    described = service(web)
    assert described["currentServiceDeployment"] == second["serviceDeploymentArn"]
    assert [r["arn"] for r in described["currentServiceRevisions"]] == [second["targetServiceRevision"]["arn"]]


@pytest.mark.parametrize("rollback", [True, False])
def test_a_failing_rolling_deployment_rolls_back_or_stops(
    web: Any, monkeypatch: pytest.MonkeyPatch, rollback: bool
) -> None:
    create(web, deploymentCircuitBreaker={"enable": True, "rollback": rollback})
    first = settle(web)
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, "nginx:2")
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    ended = settle(web)
    assert ended["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    if rollback:
        assert ended["status"] == "ROLLBACK_SUCCESSFUL"
        assert ended["rollback"]["serviceRevisionArn"] == first["targetServiceRevision"]["arn"]
        assert service(web)["taskDefinition"].endswith("web:1")
    else:
        assert ended["status"] == "STOPPED" and "stoppedAt" in ended
        assert "circuit breaker" in ended["statusReason"]


# --- staged strategies ----------------------------------------------------------------------------------------------


def test_blue_green_goes_through_every_stage_with_blue_and_green_running(web: Any) -> None:
    create(web, strategy="BLUE_GREEN", bakeTimeInMinutes=2)
    settle(web)
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    seen = walk(web)
    assert [stage for stage, _ in seen] == [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    assert [weight for stage, weight in seen if stage == "PRODUCTION_TRAFFIC_SHIFT"] == [0.0, 100.0]
    assert newest(web)["status"] == "SUCCESSFUL"
    assert [(d["status"], d["taskDefinition"][-5:]) for d in service(web)["deployments"]] == [("PRIMARY", "web:2")]


def test_during_the_bake_both_revisions_run(web: Any) -> None:
    create(web, strategy="BLUE_GREEN", bakeTimeInMinutes=10)
    settle(web, seconds=10)
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    while newest(web).get("lifecycleStage") != "BAKE_TIME":
        CLOCK.advance(TICK)
    live = service(web)
    running = [(d["status"], d["taskDefinition"][-5:], d["runningCount"]) for d in live["deployments"]]
    assert running == [("PRIMARY", "web:2", 2), ("ACTIVE", "web:1", 2)]
    assert live["runningCount"] == 4 and live["taskDefinition"].endswith("web:2")
    baking = newest(web)
    assert baking["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    assert baking["sourceServiceRevisions"][0]["runningTaskCount"] == 2


@pytest.mark.parametrize(
    ("configuration", "weights"),
    [
        (
            {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 1}},
            [10, 100],
        ),
        (
            {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}},
            [25, 50, 75, 100],
        ),
    ],
)
def test_canary_and_linear_shift_production_traffic_step_by_step(
    web: Any, configuration: dict[str, Any], weights: list[int]
) -> None:
    create(web, **configuration, bakeTimeInMinutes=1)
    settle(web, seconds=10)
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    seen = walk(web, seconds=10)
    assert [stage for stage, _ in seen if stage != "PRODUCTION_TRAFFIC_SHIFT"] == [
        s for s in BLUE_GREEN_STAGES if s != "PRODUCTION_TRAFFIC_SHIFT"
    ]
    shifted = [weight for stage, weight in seen if stage == "PRODUCTION_TRAFFIC_SHIFT" and weight]
    assert shifted == weights


def test_a_paused_deployment_waits_until_continued(web: Any) -> None:
    create(web, strategy="CANARY", lifecycleHooks=[PAUSE])
    CLOCK.advance(STEP * 5 + TICK)
    hook = paused_hook(web)
    CLOCK.advance(60 * MINUTE)  # an hour later: still waiting (the timeout is 24 hours)
    held = newest(web)
    assert held["status"] == "IN_PROGRESS" and held["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert hook["targetType"] == "PAUSE" and hook["timeoutAction"] == "ROLLBACK"
    assert hook["hookId"].startswith("ecs-pause-") and "targetArn" not in hook
    assert (hook["expiresAt"] - held["createdAt"]).total_seconds() == pytest.approx(STEP * 4 + 1440 * MINUTE, abs=0.01)
    web.continue_service_deployment(serviceDeploymentArn=held["serviceDeploymentArn"], hookId=hook["hookId"])
    assert settle(web)["status"] == "SUCCESSFUL"
    assert newest(web)["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as exc:
        web.continue_service_deployment(serviceDeploymentArn=held["serviceDeploymentArn"], hookId=hook["hookId"])
    assert error_code(exc) == "InvalidParameterException"


def test_continue_with_rollback_returns_to_the_source_revision(web: Any) -> None:
    create(web, strategy="BLUE_GREEN", lifecycleHooks=[PAUSE])
    web.continue_service_deployment(
        serviceDeploymentArn=newest(web)["serviceDeploymentArn"], hookId=paused_hook(web)["hookId"]
    )
    first = settle(web)
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    hook = paused_hook(web)
    arn = newest(web)["serviceDeploymentArn"]
    web.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK")
    assert newest(web)["status"] == "ROLLBACK_REQUESTED"
    ended = settle(web)
    assert ended["status"] == "ROLLBACK_SUCCESSFUL"
    assert ended["rollback"]["serviceRevisionArn"] == first["targetServiceRevision"]["arn"]
    assert ended["lifecycleHookDetails"][0]["status"] == "FAILED"
    live = service(web)
    assert live["taskDefinition"].endswith("web:1")
    assert [(d["status"], d["taskDefinition"][-5:]) for d in live["deployments"]] == [("PRIMARY", "web:1")]


@pytest.mark.parametrize(("action", "outcome"), [("ROLLBACK", "ROLLBACK_SUCCESSFUL"), ("CONTINUE", "SUCCESSFUL")])
def test_a_pause_hook_expires_with_its_timeout_action(web: Any, action: str, outcome: str) -> None:
    create(web, strategy="BLUE_GREEN")
    settle(web)
    hook = {**PAUSE, "timeoutConfiguration": {"timeoutInMinutes": 2, "action": action}}
    web.update_service(cluster="main", service="web", deploymentConfiguration={"lifecycleHooks": [hook]})
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    paused_hook(web)
    ended = settle(web)
    assert ended["status"] == outcome
    assert ended["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"


def test_a_failing_lambda_hook_rolls_back(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    create(web, strategy="BLUE_GREEN")
    settle(web)
    monkeypatch.setenv(HOOK_FAIL_ENV, "check-green")
    lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:check-green"
    hook = {
        "hookTargetArn": lambda_arn,
        "roleArn": "arn:aws:iam::123456789012:role/hooks",
        "lifecycleStages": ["POST_SCALE_UP"],
    }
    web.update_service(
        cluster="main", service="web", taskDefinition="web:2", deploymentConfiguration={"lifecycleHooks": [hook]}
    )
    ended = settle(web)
    assert ended["status"] == "ROLLBACK_SUCCESSFUL"
    assert ended["lifecycleHookDetails"][0] | {"hookId": "", "expiresAt": ""} == {
        "hookId": "",
        "expiresAt": "",
        "targetType": "AWS_LAMBDA",
        "targetArn": lambda_arn,
        "status": "FAILED",
        "timeoutAction": "ROLLBACK",
    }


def test_pause_hooks_are_refused_where_aws_allows_only_lambda_hooks(web: Any) -> None:
    with pytest.raises(ClientError) as exc:
        create(
            web,
            strategy="BLUE_GREEN",
            lifecycleHooks=[{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}],
        )
    assert error_code(exc) == "InvalidParameterException"


# --- alarms and StopServiceDeployment -----------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["BLUE_GREEN", "ROLLING"])
def test_an_alarm_in_alarm_rolls_the_deployment_back_and_is_named(aws: Any, web: Any, strategy: str) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=aws.endpoint_url, region_name=REGION)
    for name in ("web-5xx", "web-latency"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName=name,
            Namespace="web",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    alarms = {"alarmNames": ["web-5xx", "web-latency"], "enable": True, "rollback": True}
    create(web, strategy=strategy, bakeTimeInMinutes=5, alarms=alarms)
    first = settle(web)
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    assert newest(web)["alarms"] == {
        "status": "MONITORING",
        "alarmNames": alarms["alarmNames"],
        "triggeredAlarmNames": [],
    }
    CLOCK.advance(TICK)
    cloudwatch.set_alarm_state(AlarmName="web-5xx", StateValue="ALARM", StateReason="errors")
    ended = settle(web)
    assert ended["status"] == "ROLLBACK_SUCCESSFUL"
    assert ended["alarms"]["status"] == "TRIGGERED" and ended["alarms"]["triggeredAlarmNames"] == ["web-5xx"]
    assert "web-5xx" in ended["rollback"]["reason"]
    assert ended["rollback"]["serviceRevisionArn"] == first["targetServiceRevision"]["arn"]
    assert service(web)["taskDefinition"].endswith("web:1")


@pytest.mark.parametrize("strategy", ["LINEAR", "ROLLING"])
def test_stop_service_deployment_rolls_back(web: Any, strategy: str) -> None:
    create(web, strategy=strategy)
    settle(web, seconds=10)
    web.update_service(cluster="main", service="web", taskDefinition="web:2")
    CLOCK.advance(TICK)
    arn = newest(web)["serviceDeploymentArn"]
    assert web.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")["serviceDeploymentArn"] == arn
    assert newest(web)["status"] == "ROLLBACK_REQUESTED"
    CLOCK.advance(TICK)
    assert newest(web)["status"] == "ROLLBACK_IN_PROGRESS"
    assert settle(web)["status"] == "ROLLBACK_SUCCESSFUL"
    assert service(web)["taskDefinition"].endswith("web:1")
    with pytest.raises(ClientError) as exc:
        web.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert error_code(exc) == "ConflictException"


def test_stop_service_deployment_refuses_abort_and_unknown_deployments(web: Any) -> None:
    create(web)
    arn = newest(web)["serviceDeploymentArn"]
    with pytest.raises(ClientError) as exc:
        web.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
    assert error_code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        web.stop_service_deployment(serviceDeploymentArn=arn[:-3] + "xyz", stopType="ROLLBACK")
    assert error_code(exc) == "ServiceDeploymentNotFoundException"
    with pytest.raises(ClientError) as exc:
        web.continue_service_deployment(serviceDeploymentArn=arn[:-3] + "xyz", hookId="ecs-pause-x")
    assert error_code(exc) == "ServiceDeploymentNotFoundException"


# --- listing and describing ------------------------------------------------------------------------------------------


def test_list_service_deployments_filters_and_pages(web: Any) -> None:
    create(web)
    settle(web)
    middle = None
    for number in range(5):
        CLOCK.advance(0.01)  # each update supersedes the deployment still in progress
        if number == 2:
            middle = CLOCK.utc()
            CLOCK.advance(0.005)
        web.update_service(
            cluster="main", service="web", taskDefinition=f"web:{number % 2 + 1}", forceNewDeployment=True
        )
    listed = deployments(web)
    assert len(listed) == 6 and [d["status"] for d in listed[1:]] == ["STOPPED"] * 4 + ["SUCCESSFUL"]
    assert listed == sorted(listed, key=lambda d: d["createdAt"], reverse=True)
    assert [d["serviceDeploymentArn"] for d in deployments(web, status=["PENDING", "IN_PROGRESS"])] == [
        listed[0]["serviceDeploymentArn"]
    ]
    assert len(deployments(web, createdAt={"before": middle})) == 3
    assert len(deployments(web, createdAt={"after": middle})) == 3
    first = web.list_service_deployments(cluster="main", service="web", maxResults=4)
    second = web.list_service_deployments(cluster="main", service="web", maxResults=4, nextToken=first["nextToken"])
    assert [d["serviceDeploymentArn"] for d in first["serviceDeployments"] + second["serviceDeployments"]] == [
        d["serviceDeploymentArn"] for d in listed
    ]
    assert "nextToken" not in second
    with pytest.raises(ClientError) as exc:
        web.list_service_deployments(cluster="main", service="web", maxResults=101)
    assert error_code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        web.list_service_deployments(cluster="main", service="nope")
    assert error_code(exc) == "ServiceNotFoundException"


def test_describe_calls_take_up_to_20_arns_and_answer_failures_for_unknown_ones(web: Any) -> None:
    create(web)
    arn = newest(web)["serviceDeploymentArn"]
    unknown = arn[:-3] + "xyz"
    answer = web.describe_service_deployments(serviceDeploymentArns=[arn, unknown])
    assert [d["serviceDeploymentArn"] for d in answer["serviceDeployments"]] == [arn]
    assert answer["failures"] == [{"arn": unknown, "reason": "MISSING"}]
    with pytest.raises(ClientError) as exc:
        web.describe_service_deployments(serviceDeploymentArns=[arn] * 21)
    assert error_code(exc) == "InvalidParameterException"
    revisions = web.describe_service_revisions(serviceRevisionArns=[unknown])
    assert revisions == {**revisions, "serviceRevisions": [], "failures": [{"arn": unknown, "reason": "MISSING"}]}
