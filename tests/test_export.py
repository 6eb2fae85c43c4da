"""export: manifests written from a live cluster, so that plan right after is empty (reads only)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import yaml

from reconciler.core.settings import MANAGED_TAG_KEY

ROLE = "arn:aws:iam::123456789012:role/"


def make_rich_service(ecs) -> None:
    """A cluster, task definition and service as a team might have built them by hand: many fields to trip on."""
    ecs.create_cluster(
        clusterName="legacy",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        configuration={"executeCommandConfiguration": {"logging": "DEFAULT"}},
        tags=[{"key": "team", "value": "payments"}],
    )
    ecs.register_task_definition(
        family="billing",
        taskRoleArn=ROLE + "billing-task",
        executionRoleArn=ROLE + "ecsTaskExecutionRole",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="2048",
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        volumes=[{"name": "scratch"}],
        containerDefinitions=[
            {
                "name": "api",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/billing:4.2.0",
                "user": "1000",
                "readonlyRootFilesystem": True,
                "portMappings": [{"containerPort": 8443, "name": "https"}],
                "environment": [{"name": "MODE", "value": "live"}, {"name": "AWS_REGION", "value": "us-east-1"}],
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}],
                "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/tmp"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/billing", "awslogs-region": "us-east-1"},
                },
                "healthCheck": {"command": ["CMD-SHELL", "curl -f https://localhost:8443/health"], "interval": 30},
                "ulimits": [{"name": "nofile", "softLimit": 4096, "hardLimit": 8192}],
            },
            {
                "name": "sidecar",
                "image": "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0",
                "essential": False,
                "cpu": 128,
                "user": "10001",
                "readonlyRootFilesystem": True,
                "dependsOn": [{"containerName": "api", "condition": "START"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/billing"}},
            },
        ],
        tags=[{"key": "team", "value": "payments"}],
    )
    ecs.create_service(
        cluster="legacy",
        serviceName="billing-api",
        taskDefinition="billing",
        desiredCount=3,
        capacityProviderStrategy=[
            {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 2},
        ],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": ["subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60001"],
                "securityGroups": ["sg-0a1b2c3d4e5f60001"],
            }
        },
        deploymentConfiguration={
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        placementStrategy=[],
        propagateTags="SERVICE",
        enableECSManagedTags=True,
        enableExecuteCommand=True,
        tags=[{"key": "team", "value": "payments"}, {"key": "cost-centre", "value": "42"}],
    )


def make_rich_logs_and_scaling(aws) -> str:
    """The billing service's log group (retention, a KMS key, tags) and its auto scaling as built by hand: a target
    tracking policy, a step-scaling policy with its own CloudWatch alarm, and a scheduled action. Returns the key."""
    key: str = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/ecs/billing", kmsKeyId=key, tags={"team": "payments"})
    logs.put_retention_policy(logGroupName="/ecs/billing", retentionInDays=30)
    autoscaling = boto3.client("application-autoscaling")
    where = {
        "ServiceNamespace": "ecs",
        "ResourceId": "service/legacy/billing-api",
        "ScalableDimension": "ecs:service:DesiredCount",
    }
    autoscaling.register_scalable_target(**where, MinCapacity=2, MaxCapacity=12)
    autoscaling.put_scaling_policy(
        **where,
        PolicyName="cpu60",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 120,
            "ScaleOutCooldown": 30,
            "DisableScaleIn": False,
        },
    )
    step = autoscaling.put_scaling_policy(
        **where,
        PolicyName="queue-depth",
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "Cooldown": 60,
            "MetricAggregationType": "Average",
            "StepAdjustments": [
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 100, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 100, "ScalingAdjustment": 3},
            ],
        },
    )
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="billing-jobs-backlog",
        AlarmActions=[step["PolicyARN"]],
        MetricName="ApproximateNumberOfMessagesVisible",
        Namespace="AWS/SQS",
        Dimensions=[{"Name": "QueueName", "Value": "billing-jobs"}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=3,
        Threshold=50,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    autoscaling.put_scheduled_action(
        **where,
        ScheduledActionName="month-end",
        Schedule="cron(0 6 28 * ? *)",
        Timezone="Europe/Dublin",
        ScalableTargetAction={"MinCapacity": 6, "MaxCapacity": 20},
    )
    autoscaling.put_scheduled_action(
        **where,
        ScheduledActionName="black-friday",
        Schedule="at(2030-11-29T06:00:00)",
        StartTime=datetime(2030, 11, 1, tzinfo=UTC),
        EndTime=datetime(2030, 12, 2, 12, 30, tzinfo=UTC),
        ScalableTargetAction={"MinCapacity": 8},
    )
    return key


def test_export_then_plan_is_empty_and_adopt_takes_ownership(aws, cli, ecs, roles, tmp_path):
    roles("billing-task")
    make_rich_service(ecs)
    key = make_rich_logs_and_scaling(aws)
    out = tmp_path / "exported"
    aws.reset_calls()

    exported = cli("export", "--cluster", "legacy", "--output", out)
    assert exported.code == 0, exported.err
    assert sorted(p.name for p in out.iterdir()) == ["cluster-legacy.yaml", "service-billing-api.yaml"]
    assert aws.writes() == []

    plan = cli("plan", out)
    assert plan.code == 0, plan.out + plan.err
    assert plan.out.splitlines()[1].startswith("No changes.")
    for resource in ("Service legacy/billing-api", "ScalingPolicy legacy/billing-api", "LogGroup /ecs/billing"):
        assert f"{resource} exists but is not managed by ecs-reconciler (matches its manifest)" in plan.out
    assert aws.writes() == []

    # What was written is what a person would write: no read-only fields, no server-filled defaults.
    docs = list(yaml.safe_load_all((out / "service-billing-api.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["LogGroup", "TaskDefinition", "Service", "ScalingPolicy"]
    group, td, svc, scaling = docs[0], docs[1]["spec"], docs[2]["spec"], docs[3]
    assert group["metadata"]["name"] == "/ecs/billing"
    assert group["spec"] == {"kmsKeyId": key, "retentionInDays": 30, "tags": {"team": "payments"}}
    assert scaling["metadata"]["name"] == "billing-api"
    assert scaling["spec"] == {
        "cluster": "legacy",
        "service": "billing-api",
        "minCapacity": 2,
        "maxCapacity": 12,
        "policies": [
            {
                "policyName": "cpu60",
                "policyType": "TargetTrackingScaling",
                "targetTrackingScalingPolicyConfiguration": {
                    "targetValue": 60,
                    "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
                    "scaleInCooldown": 120,
                    "scaleOutCooldown": 30,
                },
            },
            {
                "policyName": "queue-depth",
                "policyType": "StepScaling",
                "stepScalingPolicyConfiguration": {
                    "adjustmentType": "ChangeInCapacity",
                    "cooldown": 60,
                    "metricAggregationType": "Average",
                    "stepAdjustments": [
                        {"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 100, "scalingAdjustment": 1},
                        {"metricIntervalLowerBound": 100, "scalingAdjustment": 3},
                    ],
                },
                "alarm": {
                    "alarmName": "billing-jobs-backlog",
                    "metricName": "ApproximateNumberOfMessagesVisible",
                    "namespace": "AWS/SQS",
                    "statistic": "Average",
                    "dimensions": [{"name": "QueueName", "value": "billing-jobs"}],
                    "period": 60,
                    "evaluationPeriods": 3,
                    "threshold": 50,
                    "comparisonOperator": "GreaterThanThreshold",
                    "treatMissingData": "notBreaching",
                },
            },
        ],
        "scheduledActions": [
            {
                "scheduledActionName": "black-friday",
                "schedule": "at(2030-11-29T06:00:00)",
                "startTime": "2030-11-01T00:00:00+00:00",
                "endTime": "2030-12-02T12:30:00+00:00",
                "scalableTargetAction": {"minCapacity": 8},
            },
            {
                "scheduledActionName": "month-end",
                "schedule": "cron(0 6 28 * ? *)",
                "timezone": "Europe/Dublin",
                "scalableTargetAction": {"minCapacity": 6, "maxCapacity": 20},
            },
        ],
    }
    for read_only in (
        "taskDefinitionArn",
        "revision",
        "status",
        "compatibilities",
        "requiresAttributes",
        "registeredAt",
    ):
        assert read_only not in td
    assert "essential" not in td["containerDefinitions"][0]
    assert td["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8443, "name": "https"}]
    assert svc["taskDefinition"] == "billing"
    assert svc["cluster"] == "legacy"
    for read_only in ("serviceArn", "runningCount", "deployments", "events", "createdAt", "clusterArn"):
        assert read_only not in svc
    assert "platformVersion" not in svc and "schedulingStrategy" not in svc
    assert {"key": "cost-centre", "value": "42"} in svc["tags"]

    adopting = len(aws.tool_calls)
    adopted = cli("apply", out, "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    live = ecs.describe_services(cluster="legacy", services=["billing-api"], include=["TAGS"])["services"][0]
    assert {"key": MANAGED_TAG_KEY, "value": "ecs-reconciler"} in live["tags"]
    assert live["taskDefinition"].endswith(":1")  # adopting re-registered nothing
    # Adopting tagged the log group and the scalable target, and re-put no policy, alarm or action.
    writes = {c for c in aws.tool_calls[adopting:] if not c.split(":")[1].startswith(("Describe", "List", "Get"))}
    assert writes == {"ecs:TagResource", "logs:TagResource", "application-autoscaling:TagResource"}
    assert boto3.client("logs").list_tags_log_group(logGroupName="/ecs/billing")["tags"][MANAGED_TAG_KEY]
    target_arn = boto3.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")[
        "ScalableTargets"
    ][0]["ScalableTargetARN"]
    tags = boto3.client("application-autoscaling").list_tags_for_resource(ResourceARN=target_arn)["Tags"]
    assert tags[MANAGED_TAG_KEY] == "ecs-reconciler"
    after = cli("plan", out)
    assert after.code == 0 and "not managed" not in after.out, after.out


def test_export_of_chosen_services_and_refusals(aws, cli, ecs, tmp_path):
    make_rich_service(ecs)
    ecs.create_service(cluster="legacy", serviceName="other", taskDefinition="billing", desiredCount=0)

    only = cli("export", "--cluster", "legacy", "--service", "other", "--output", tmp_path / "one")
    assert only.code == 0, only.err
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["cluster-legacy.yaml", "service-other.yaml"]

    again = cli("export", "--cluster", "legacy", "--output", tmp_path / "one")
    assert again.code == 1
    assert "already holds manifests" in again.err

    missing = cli("export", "--cluster", "nope", "--output", tmp_path / "two")
    assert missing.code == 1
    assert "cluster 'nope' does not exist" in missing.err
    gone = cli("export", "--cluster", "legacy", "--service", "ghost", "--output", tmp_path / "three")
    assert gone.code == 1
    assert "no ACTIVE service ghost" in gone.err
    assert not Path(tmp_path / "three").exists()


def test_export_of_the_applied_example_plans_empty(aws, cli, example, tmp_path):
    """Every kind of the bundled example round-trips, its log group and scaling included."""
    assert cli("apply", example, "--no-wait").code == 0
    out = tmp_path / "exported"
    assert cli("export", "--cluster", "demo", "--output", out).code == 0
    docs = list(yaml.safe_load_all((out / "service-web.yaml").read_text()))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("LogGroup", "/ecs/demo/web"),
        ("TaskDefinition", "web"),
        ("Service", "web"),
        ("ScalingPolicy", "web"),
    ]
    assert docs[3]["spec"] == yaml.safe_load((example / "scaling.yaml").read_text())["spec"]
    plan = cli("plan", out)  # the same (default) instance as the one that applied the example
    assert (plan.code, plan.out.splitlines()[1:]) == (0, ["No changes. Live ECS matches the manifests."]), plan.err
