"""ScalingPolicy end to end through the command line against the emulator: what Application Auto Scaling holds
after apply, what the plan says about drift, and desiredCount ownership."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_state import WHERE
from builders import APP, CLUSTER, CPU_POLICY, NIGHT_FLOOR, SCALING, TASK, documents, full_scaling, service
from conftest import REGION

from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import MANAGED_TAG_KEY, AwsSettings
from reconciler.kinds import scaling, scaling_live

RESOURCE_ID = WHERE["ResourceId"]


@pytest.fixture
def autoscaling(aws):
    return boto3.client("application-autoscaling", endpoint_url=aws.endpoint_url, region_name=REGION)


@pytest.fixture
def cloudwatch(aws):
    return boto3.client("cloudwatch", endpoint_url=aws.endpoint_url, region_name=REGION)


@pytest.fixture
def scaled(manifests):
    return manifests({"prod.yaml": CLUSTER, "api.yaml": APP, "scaling.yaml": SCALING})


def policies(autoscaling: Any) -> dict[str, dict[str, Any]]:
    return {p["PolicyName"]: p for p in autoscaling.describe_scaling_policies(**WHERE)["ScalingPolicies"]}


def test_scaling_is_created_in_order_and_then_the_plan_is_empty(aws, cli, scaled, autoscaling, cloudwatch):
    applied = cli("apply", scaled)
    assert applied.code == 0, applied.out + applied.err

    target = autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE_ID])
    (only,) = target["ScalableTargets"]
    assert (only["MinCapacity"], only["MaxCapacity"]) == (2, 10)
    tags = autoscaling.list_tags_for_resource(ResourceARN=only["ScalableTargetARN"])["Tags"]
    assert tags[MANAGED_TAG_KEY] == "ecs-reconciler"
    live = policies(autoscaling)
    assert live["cpu50"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 50
    alarm = cloudwatch.describe_alarms(ActionPrefix=live["queue-depth"]["PolicyARN"])["MetricAlarms"]
    assert [a["MetricName"] for a in alarm] == ["ApproximateNumberOfMessagesVisible"]
    assert alarm[0]["AlarmActions"] == [live["queue-depth"]["PolicyARN"]]
    actions = autoscaling.describe_scheduled_actions(**WHERE)["ScheduledActions"]
    assert [(a["ScheduledActionName"], a["Timezone"]) for a in actions] == [("night-floor", "Europe/Berlin")]

    writes = aws.writes()
    order = [w for w in writes if w in ("CreateService", "RegisterScalableTarget", "PutScalingPolicy")]
    assert order[:2] == ["CreateService", "RegisterScalableTarget"]
    assert writes.index("PutMetricAlarm") > writes.index("PutScalingPolicy")
    assert writes.index("PutScheduledAction") > writes.index("PutMetricAlarm")
    assert "Plan after apply:\nNo changes." in applied.out

    aws.reset_calls()
    again = cli("plan", scaled)
    assert again.code == 0, again.out
    assert aws.writes() == []


def test_changed_target_value_updates_only_that_policy(aws, cli, scaled, manifests, autoscaling):
    cli("apply", scaled)
    manifests({"scaling.yaml": SCALING.replace("targetValue: 50", "targetValue: 70")})

    plan = json.loads(cli("plan", scaled, "--format", "json").out)
    assert [(c["action"], c["kind"]) for c in plan["changes"]] == [("update", "ScalingPolicy")]
    assert plan["changes"][0]["diff"] == [
        {"path": "policies.cpu50.targetTrackingScalingPolicyConfiguration.targetValue", "before": 50, "after": 70}
    ]

    aws.reset_calls()
    assert cli("apply", scaled).code == 0
    assert aws.writes() == ["PutScalingPolicy"]
    assert policies(autoscaling)["cpu50"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70
    assert cli("plan", scaled).code == 0


def test_removing_a_policy_deletes_it_and_its_alarm(aws, cli, scaled, manifests, autoscaling, cloudwatch):
    cli("apply", scaled)
    step_arn = policies(autoscaling)["queue-depth"]["PolicyARN"]
    without_step = full_scaling(policies=[dict(CPU_POLICY)])
    manifests({"scaling.yaml": without_step})

    plan = cli("plan", scaled)
    assert plan.code == 2
    assert "- policies.queue-depth:" in plan.out

    assert cli("apply", scaled).code == 0
    assert set(policies(autoscaling)) == {"cpu50"}
    assert cloudwatch.describe_alarms(ActionPrefix=step_arn)["MetricAlarms"] == []
    assert cli("plan", scaled).code == 0


def test_desired_count_inside_the_range_is_not_drift_outside_is(aws, cli, ecs, scaled):
    assert cli("apply", scaled).code == 0
    ecs.update_service(cluster="prod", service="api", desiredCount=7)  # what the autoscaler does

    inside = cli("plan", scaled)
    assert inside.code == 0, inside.out
    assert "Service prod/api: desiredCount 7 is set by its ScalingPolicy (within [1, 10]); not drift" in inside.out

    ecs.update_service(cluster="prod", service="api", desiredCount=25)
    outside = json.loads(cli("plan", scaled, "--format", "json").out)
    assert [(c["kind"], c["diff"]) for c in outside["changes"]] == [
        ("Service", [{"path": "desiredCount", "before": 25, "after": 10}])
    ]
    assert cli("apply", scaled).code == 0
    assert ecs.describe_services(cluster="prod", services=["api"])["services"][0]["desiredCount"] == 10


def test_bounds_a_declared_scheduled_action_set_are_not_drift(aws, cli, scaled, autoscaling):
    cli("apply", scaled)
    # What night-floor does at 22:00 Berlin time.
    autoscaling.register_scalable_target(**WHERE, MinCapacity=1, MaxCapacity=2)
    assert cli("plan", scaled).code == 0
    autoscaling.register_scalable_target(**WHERE, MinCapacity=3, MaxCapacity=4)  # nobody declared this
    drift = json.loads(cli("plan", scaled, "--format", "json").out)
    assert {(d["path"], d["before"], d["after"]) for d in drift["changes"][0]["diff"]} == {
        ("maxCapacity", 4, 10),
        ("minCapacity", 3, 2),
    }


def test_start_and_end_times_written_as_text_are_not_drift(aws, cli, scaled, manifests, autoscaling):
    """A manifest holds times as text, AWS answers with datetimes (in any zone): the same instant is no change."""
    sale = {
        "scheduledActionName": "sale",
        "schedule": "at(2030-11-29T06:00:00)",
        "startTime": "2030-11-01T01:00:00+01:00",
        "endTime": "2030-12-02 12:30:00",
        "scalableTargetAction": {"minCapacity": 8},
    }
    manifests({"scaling.yaml": full_scaling(scheduledActions=[dict(NIGHT_FLOOR), sale])})
    assert cli("apply", scaled).code == 0
    (action,) = [
        a
        for a in autoscaling.describe_scheduled_actions(**WHERE)["ScheduledActions"]
        if a["Schedule"].startswith("at(")
    ]
    assert action["StartTime"].timestamp() == datetime(2030, 11, 1, tzinfo=UTC).timestamp()
    assert cli("plan", scaled).code == 0

    later = {**sale, "endTime": "2030-12-02 13:30:00"}
    manifests({"scaling.yaml": full_scaling(scheduledActions=[dict(NIGHT_FLOOR), later])})
    moved = json.loads(cli("plan", scaled, "--format", "json").out)["changes"][0]["diff"]
    assert [(d["path"], d["before"], d["after"]) for d in moved] == [
        ("scheduledActions.sale.endTime", "2030-12-02T12:30:00+00:00", "2030-12-02T13:30:00+00:00")
    ]


def test_desired_count_at_create_is_clamped_to_the_range(aws, cli, ecs, manifests):
    root = manifests(
        {
            "prod.yaml": CLUSTER,
            "api.yaml": documents(TASK, service(desiredCount=40)),
            "scaling.yaml": SCALING,
        }
    )
    assert cli("apply", root).code == 0
    assert ecs.describe_services(cluster="prod", services=["api"])["services"][0]["desiredCount"] == 10


def test_prune_removes_the_scaling_of_a_service_that_stays(aws, cli, scaled, manifests, autoscaling):
    cli("apply", scaled)
    manifests({"prod.yaml": CLUSTER, "api.yaml": APP}, fresh=True)
    assert cli("plan", scaled).code == 0  # not without --prune
    pruned = json.loads(cli("plan", scaled, "--prune", "--format", "json").out)
    assert [(c["action"], c["kind"]) for c in pruned["changes"]] == [("delete", "ScalingPolicy")]
    assert cli("apply", scaled, "--prune").code == 0
    assert autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert autoscaling.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("minCapacity: 2", "minCapacity: 20"),
        ("service: api", "service: nowhere"),
    ],
)
def test_invalid_scaling_fails_with_file_and_field_and_no_writes(aws, cli, manifests, change, message):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP, "scaling.yaml": SCALING.replace(change, message)})
    aws.reset_calls()
    result = cli("apply", root)
    assert result.code == 1
    assert "scaling.yaml" in result.err
    expected = "greater than maxCapacity" if "minCapacity" in change else "service prod/nowhere is neither declared"
    assert expected in result.err
    assert aws.writes() == []


def test_two_policies_for_one_service_and_unknown_fields_are_validation_errors(cli, manifests):
    root = manifests(
        {
            "a.yaml": SCALING,
            "b.yaml": full_scaling("other").replace("targetValue: 50", "targetValu: 50"),
            "c.yaml": full_scaling("third"),
        }
    )
    result = cli("validate", root)
    assert result.code == 1
    assert "c.yaml" in result.err and "duplicate ScalingPolicy prod/api: already declared in" in result.err
    assert "b.yaml" in result.err and "targetValu" in result.err and "did you mean 'targetValue'" in result.err


def test_an_unmanaged_scalable_target_is_adopted_by_tagging_it(aws, cli, scaled, autoscaling):
    assert cli("apply", scaled).code == 0
    [target] = autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    arn = target["ScalableTargetARN"]
    autoscaling.untag_resource(ResourceARN=arn, TagKeys=[MANAGED_TAG_KEY])

    left = cli("plan", scaled)
    assert "not managed by ecs-reconciler" in left.out
    assert cli("apply", scaled, "--adopt").code == 0
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"][MANAGED_TAG_KEY] == "ecs-reconciler"
    assert cli("plan", scaled).code == 0


def scale_fleet(ecs, autoscaling, cloudwatch, services: list[str], *, cluster: str = "fleet") -> None:
    """Create ``services`` and register them as scalable targets, each with two policies (the first step scaling
    with an alarm) and five scheduled actions."""
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}])
    for name in services:
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition="app", desiredCount=1)
        where = {**WHERE, "ResourceId": f"service/{cluster}/{name}"}
        autoscaling.register_scalable_target(**where, MinCapacity=1, MaxCapacity=4, Tags={MANAGED_TAG_KEY: "x"})
        step = autoscaling.put_scaling_policy(
            **where,
            PolicyName="step",
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration={
                "AdjustmentType": "ChangeInCapacity",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        )
        cloudwatch.put_metric_alarm(
            AlarmName=f"{name}-step",
            MetricName="CPUUtilization",
            Namespace="AWS/ECS",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=80,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[step["PolicyARN"]],
        )
        autoscaling.put_scaling_policy(
            **where,
            PolicyName="cpu",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 50,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            },
        )
        for hour in range(5):
            autoscaling.put_scheduled_action(
                **where,
                ScheduledActionName=f"at-{hour}",
                Schedule=f"cron(0 {hour} * * ? *)",
                ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": hour + 1},
            )


def test_many_targets_are_observed_by_namespace_pages_with_the_same_state(aws, ecs, autoscaling, cloudwatch):
    services = [f"svc-{i:02d}" for i in range(12)]
    scale_fleet(ecs, autoscaling, cloudwatch, services)
    scale_fleet(ecs, autoscaling, cloudwatch, ["svc-00", "svc-0"], cluster="other")  # listed too, never mixed in
    client = Aws(AwsSettings(endpoint_url=aws.endpoint_url, region=REGION))
    addresses = [Address("Service", name, "fleet") for name in services]

    aws.reset_calls()
    shared = scaling_live.observe(client, addresses)
    calls = Counter(aws.calls)

    # 28 policies in the namespace, 10 a page; 70 scheduled actions, 50 a page; one tag and one alarm read each.
    assert calls == {
        "DescribeScalableTargets": 1,
        "DescribeScalingPolicies": 3,
        "DescribeScheduledActions": 2,
        "ListTagsForResource": 12,
        "DescribeAlarms": 12,
    }
    one_by_one = {a: live for addr in addresses for a, live in scaling_live.observe(client, [addr]).items()}
    assert shared == one_by_one
    assert sorted(a.name for a in shared) == services
    body = shared[scaling.KIND.address("x", {"service": "svc-03", "cluster": "fleet"})].body
    assert sorted(p["policyName"] for p in body["policies"]) == ["cpu", "step"]
    assert next(p for p in body["policies"] if p["policyName"] == "step")["alarm"]["alarmName"] == "svc-03-step"
    assert sorted(a["scheduledActionName"] for a in body["scheduledActions"]) == [f"at-{h}" for h in range(5)]


def test_a_handful_of_targets_is_read_target_by_target(aws, ecs, autoscaling, cloudwatch):
    services = [f"svc-{i}" for i in range(scaling_live.SHARED_LISTING_FROM - 1)]
    scale_fleet(ecs, autoscaling, cloudwatch, services + ["unwanted-1", "unwanted-2"])
    client = Aws(AwsSettings(endpoint_url=aws.endpoint_url, region=REGION))

    aws.reset_calls()
    found = scaling_live.observe(client, [Address("Service", name, "fleet") for name in services])

    assert Counter(aws.calls)["DescribeScalingPolicies"] == len(services)
    assert Counter(aws.calls)["DescribeScheduledActions"] == len(services)
    assert sorted(a.name for a in found) == services
