"""LogGroup kind and the plan-time checks on what a task definition needs to start: its log group and its roles."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from builders import CLUSTER, SERVICE, awslogs, container, documents, log_group, task_definition
from conftest import REGION

from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import MANAGED_TAG_KEY, AwsSettings
from reconciler.emulator import ECS_TASKS_TRUST
from reconciler.kinds.live_base import Found
from reconciler.kinds.log_group import KIND
from reconciler.kinds.log_group_live import LIVE

LOG_GROUP = log_group(tags={"team": "api"})
ROLES: dict[str, Any] = {"executionRoleArn": "arn:aws:iam::123456789012:role/api-execution", "taskRoleArn": "api-task"}


def task_with_logs(**options: str) -> str:
    return task_definition(**ROLES, containers=[container(logConfiguration=awslogs(**options))])


@pytest.fixture
def logs(aws):
    return boto3.client("logs", endpoint_url=aws.endpoint_url, region_name=REGION)


@pytest.fixture
def iam(aws):
    client = boto3.client("iam", endpoint_url=aws.endpoint_url, region_name=REGION)
    for name in ("api-execution", "api-task"):
        client.create_role(RoleName=name, AssumeRolePolicyDocument=ECS_TASKS_TRUST)
    return client


def test_log_group_is_created_with_retention_and_tags_then_converges(aws, cli, logs, manifests):
    root = manifests({"logs.yaml": LOG_GROUP})
    assert cli("apply", root).code == 0
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/ecs/api")["logGroups"]
    assert group["retentionInDays"] == 7
    tags = logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]
    assert tags == {"team": "api", MANAGED_TAG_KEY: "ecs-reconciler"}
    assert cli("plan", root).code == 0

    manifests({"logs.yaml": log_group(retentionInDays=30, tags={"team": "api"})})
    changed = json.loads(cli("plan", root, "--format", "json").out)
    assert changed["changes"][0]["diff"] == [{"path": "retentionInDays", "before": 7, "after": 30}]
    assert cli("apply", root).code == 0
    assert logs.describe_log_groups(logGroupNamePrefix="/ecs/api")["logGroups"][0]["retentionInDays"] == 30


def test_task_logging_to_a_declared_group_with_existing_roles_applies(aws, cli, iam, manifests):
    root = manifests({"logs.yaml": LOG_GROUP, "api.yaml": documents(task_with_logs(), SERVICE), "prod.yaml": CLUSTER})
    plan = json.loads(cli("plan", root, "--format", "json").out)
    assert [c["kind"] for c in plan["changes"]] == ["LogGroup", "Cluster", "TaskDefinition", "Service"]
    result = cli("apply", root)
    assert result.code == 0, result.err
    assert cli("plan", root).code == 0


def test_undeclared_log_group_fails_plan_with_no_writes(aws, cli, iam, manifests):
    root = manifests({"api.yaml": documents(task_with_logs(), SERVICE), "prod.yaml": CLUSTER})
    aws.reset_calls()
    result = cli("apply", root)
    assert result.code == 1
    assert "api.yaml" in result.err
    assert "containerDefinitions[0].logConfiguration.options.awslogs-group" in result.err
    assert "log group '/ecs/api' is neither declared (kind LogGroup) nor live" in result.err
    assert aws.writes() == []

    creates_itself = task_with_logs(**{"awslogs-create-group": "true"})
    manifests({"api.yaml": documents(creates_itself, SERVICE)})
    assert cli("plan", root).code == 2


def test_missing_role_or_untrusted_role_fails_plan_with_no_writes(aws, cli, manifests):
    iam = boto3.client("iam", endpoint_url=aws.endpoint_url, region_name=REGION)
    lambda_trust = ECS_TASKS_TRUST.replace("ecs-tasks.amazonaws.com", "lambda.amazonaws.com")
    iam.create_role(RoleName="api-task", AssumeRolePolicyDocument=lambda_trust)
    root = manifests({"logs.yaml": LOG_GROUP, "api.yaml": documents(task_with_logs(), SERVICE), "prod.yaml": CLUSTER})
    aws.reset_calls()
    result = cli("plan", root)
    assert result.code == 1
    assert "spec.executionRoleArn: IAM role 'api-execution' does not exist" in result.err
    assert "spec.taskRoleArn: IAM role 'api-task' does not trust ecs-tasks.amazonaws.com" in result.err
    assert "api.yaml" in result.err
    assert aws.writes() == []


def test_fargate_awslogs_without_an_execution_role_is_invalid_offline(aws, cli, manifests):
    root = manifests({"api.yaml": task_definition(containers=[container(logConfiguration=awslogs())])})
    result = cli("validate", root)
    assert result.code == 1
    assert "spec.executionRoleArn: a Fargate task needs an execution role when container 'app' logs with awslogs" in (
        result.err
    )
    assert aws.calls == []


def test_log_group_retention_key_tags_and_prune_follow_the_manifest(aws, cli, logs, manifests):
    key = boto3.client("kms", endpoint_url=aws.endpoint_url, region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    keep = CLUSTER  # another resource, so the prune below does not meet an empty manifest set
    root = manifests({"logs.yaml": LOG_GROUP, "prod.yaml": keep})
    assert cli("apply", root).code == 0

    changed = log_group(retentionInDays=None, kmsKeyId=key, tags={"owner": "web"})
    manifests({"logs.yaml": changed})
    assert cli("apply", root).code == 0, "retention dropped, key associated, tags swapped"
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/ecs/api")["logGroups"]
    assert "retentionInDays" not in group and group["kmsKeyId"] == key
    tags = logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]
    assert tags == {"owner": "web", MANAGED_TAG_KEY: "ecs-reconciler"}

    manifests({"logs.yaml": log_group(retentionInDays=None, tags={"owner": "web"})})
    assert cli("apply", root).code == 0
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix="/ecs/api")["logGroups"][0]
    assert cli("plan", root).code == 0

    (root / "logs.yaml").unlink()
    assert cli("plan", root).code == 0, "without --prune a managed group no longer declared is left alone"
    assert cli("apply", root, "--prune").code == 0
    assert logs.describe_log_groups(logGroupNamePrefix="/ecs/api")["logGroups"] == []


def test_many_log_groups_are_observed_50_names_a_call_exactly(aws, logs):
    wanted = [f"/ecs/app-{i}" for i in range(60)] + ["/aws/batch/job", "/ecs/never-created"]
    for i in range(60):
        logs.create_log_group(logGroupName=f"/ecs/app-{i}", tags={"n": str(i)})
        logs.put_retention_policy(logGroupName=f"/ecs/app-{i}", retentionInDays=7 if i % 2 else 30)
    logs.create_log_group(logGroupName="/aws/batch/job")
    for near_miss in ("/ecs/app-1x", "/ecs/app-100", "/ecs/never-created/child"):  # same prefixes, not wanted
        logs.create_log_group(logGroupName=near_miss)
    client = Aws(AwsSettings(endpoint_url=aws.endpoint_url, region=REGION))

    aws.reset_calls()
    found = LIVE.observe(client, [Address(KIND.name, n) for n in wanted], Found())

    assert Counter(aws.calls) == {"DescribeLogGroups": 2, "ListTagsForResource": 61}  # 62 names; one tag read each
    assert sorted(a.name for a in found) == sorted(set(wanted) - {"/ecs/never-created"})
    live = found[Address(KIND.name, "/ecs/app-3")]
    assert live.body["retentionInDays"] == 7 and live.body["tags"] == {"n": "3"}
    assert found[Address(KIND.name, "/ecs/app-4")].body["retentionInDays"] == 30
