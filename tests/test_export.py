"""export: manifests written from a live cluster, so that plan right after is empty (reads only)."""

from __future__ import annotations

from pathlib import Path

import boto3
import yaml

from reconciler.settings import MANAGED_TAG_KEY

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


def test_export_then_plan_is_empty_and_adopt_takes_ownership(aws, cli, ecs, roles, tmp_path):
    roles("billing-task")
    boto3.client("logs").create_log_group(logGroupName="/ecs/billing")
    make_rich_service(ecs)
    out = tmp_path / "exported"
    aws.reset_calls()

    exported = cli("export", "--cluster", "legacy", "--output", out)
    assert exported.code == 0, exported.err
    assert sorted(p.name for p in out.iterdir()) == ["cluster-legacy.yaml", "service-billing-api.yaml"]
    assert aws.writes() == []

    plan = cli("plan", out)
    assert plan.code == 0, plan.out + plan.err
    assert plan.out.startswith("No changes.")
    assert "Service legacy/billing-api exists but is not managed by ecs-reconciler (matches its manifest)" in plan.out
    assert aws.writes() == []

    # What was written is what a person would write: no read-only fields, no server-filled defaults.
    docs = list(yaml.safe_load_all((out / "service-billing-api.yaml").read_text()))
    td, svc = docs[0]["spec"], docs[1]["spec"]
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

    adopted = cli("apply", out, "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    live = ecs.describe_services(cluster="legacy", services=["billing-api"], include=["TAGS"])["services"][0]
    assert {"key": MANAGED_TAG_KEY, "value": "ecs-reconciler"} in live["tags"]
    assert live["taskDefinition"].endswith(":1")  # adopting re-registered nothing
    assert cli("plan", out).code == 0


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
