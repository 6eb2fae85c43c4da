"""Tests for AWS's documented rules (reconciler.core.aws_rules and each kind's rules): one refused and one
accepted case per rule."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.core import aws_rules
from reconciler.kinds.cluster import cluster_rules
from reconciler.kinds.log_group import log_group_rules
from reconciler.kinds.scaling_rules import scaling_rules
from reconciler.kinds.service_rules import service_rules
from reconciler.kinds.task_definition_rules import task_definition_rules

FARGATE_TD: dict[str, Any] = {
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "containerDefinitions": [
        {
            "name": "app",
            "image": "nginx:1.27",
            "portMappings": [{"containerPort": 8080, "name": "http"}],
            "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
            "secrets": [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}],
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp"}],
        },
        {
            "name": "sidecar",
            "image": "busybox",
            "essential": False,
            "dependsOn": [{"containerName": "app", "condition": "START"}],
        },
    ],
    "volumes": [{"name": "tmp"}],
    "tags": [{"key": "team", "value": "platform"}],
}
EC2_TD: dict[str, Any] = {
    "networkMode": "bridge",
    "containerDefinitions": [
        {"name": "app", "image": "nginx", "memory": 256, "links": ["db"], "portMappings": [{"containerPort": 80}]},
        {"name": "db", "image": "postgres", "memoryReservation": 128, "portMappings": [{"containerPort": 5432}]},
    ],
}
SERVICE: dict[str, Any] = {
    "cluster": "demo",
    "taskDefinition": "web",
    "desiredCount": 2,
    "launchType": "FARGATE",
    "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}},
    "loadBalancers": [
        {
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1",
            "containerName": "app",
            "containerPort": 8080,
        }
    ],
    "healthCheckGracePeriodSeconds": 30,
    "serviceConnectConfiguration": {"enabled": True, "services": [{"portName": "http"}]},
    "tags": [{"key": "team", "value": "platform"}],
}
EC2_SERVICE: dict[str, Any] = {
    "cluster": "demo",
    "taskDefinition": "web",
    "launchType": "EC2",
    "desiredCount": 1,
    "role": "ecsServiceRole",
    "loadBalancers": [{"loadBalancerName": "classic", "containerName": "app", "containerPort": 80}],
}
CLUSTER: dict[str, Any] = {
    "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
    "defaultCapacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3},
    ],
    "tags": [{"key": "team", "value": "platform"}],
}
LOG_GROUP: dict[str, Any] = {
    "retentionInDays": 14,
    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc",
    "tags": {"team": "platform"},
}
SCALING: dict[str, Any] = {
    "cluster": "demo",
    "service": "web",
    "minCapacity": 1,
    "maxCapacity": 4,
    "policies": [
        {
            "policyName": "steps",
            "policyType": "StepScaling",
            "stepScalingPolicyConfiguration": {
                "adjustmentType": "ChangeInCapacity",
                "stepAdjustments": [
                    {"metricIntervalUpperBound": 0, "scalingAdjustment": -1},
                    {"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 10, "scalingAdjustment": 1},
                    {"metricIntervalLowerBound": 10, "scalingAdjustment": 2},
                ],
            },
        }
    ],
    "scheduledActions": [
        {
            "scheduledActionName": "night",
            "schedule": "cron(0 22 * * ? *)",
            "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 2},
        },
        {
            "scheduledActionName": "once",
            "schedule": "at(2030-01-01T00:00:00)",
            "startTime": "2029-01-01T00:00:00Z",
            "endTime": "2031-01-01T00:00:00Z",
        },
        {"scheduledActionName": "often", "schedule": "rate(5 minutes)"},
    ],
}
BASES = {
    "fargate": FARGATE_TD,
    "ec2": EC2_TD,
    "service": SERVICE,
    "ec2-service": EC2_SERVICE,
    "cluster": CLUSTER,
    "log-group": LOG_GROUP,
    "scaling": SCALING,
}


def check(base: str, spec: dict[str, Any], td: dict[str, Any] | None) -> list[aws_rules.Problem]:
    if base in ("fargate", "ec2"):
        return task_definition_rules(spec)
    if base in ("service", "ec2-service"):
        return service_rules(spec, td if td is not None else (FARGATE_TD if base == "service" else EC2_TD))
    if base == "cluster":
        return cluster_rules(spec)
    if base == "log-group":
        return log_group_rules(spec)
    return scaling_rules(spec)


def container(i: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        for key, value in fields.items():
            if value is None:
                spec["containerDefinitions"][i].pop(key, None)
            else:
                spec["containerDefinitions"][i][key] = value

    return change


def top(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        for key, value in fields.items():
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value

    return change


def both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        for one in changes:
            one(spec)

    return change


def health(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda spec: spec["containerDefinitions"][0]["healthCheck"].update(fields)


ASG = "my-asg-provider"
# (rule, base spec, the change that breaks it, the change that keeps it valid, path, text of the message)
RULES: list[tuple[str, str, Any, Any, str, str]] = [
    (
        "image",
        "fargate",
        container(1, image=None),
        container(1, image="busybox:1"),
        "containerDefinitions[1].image",
        "needs an image",
    ),
    (
        "awsvpc hostPort",
        "fargate",
        container(0, portMappings=[{"containerPort": 8080, "hostPort": 80}]),
        container(0, portMappings=[{"containerPort": 8080, "hostPort": 8080}]),
        "containerDefinitions[0].portMappings[0].hostPort",
        "must equal containerPort (8080)",
    ),
    (
        "port range",
        "ec2",
        container(0, portMappings=[{"containerPort": 70000}]),
        container(0, portMappings=[{"containerPort": 65535}]),
        "containerDefinitions[0].portMappings[0].containerPort",
        "1-65535",
    ),
    (
        "EC2 memory",
        "ec2",
        container(1, memoryReservation=None),
        top(memory="512"),
        "containerDefinitions[1].memory",
        "needs memory or memoryReservation",
    ),
    (
        "reservation above memory",
        "ec2",
        container(0, memoryReservation=512),
        container(0, memoryReservation=128),
        "containerDefinitions[0].memoryReservation",
        "above memory 256",
    ),
    (
        "too little memory",
        "ec2",
        container(0, memory=4),
        container(0, memory=6),
        "containerDefinitions[0].memory",
        "at least 6 MiB",
    ),
    (
        "containers over task memory",
        "fargate",
        container(0, memory=600),
        both(container(0, memory=400), container(1, memoryReservation=100)),
        "memory",
        "more than the task's 512 MiB",
    ),
    (
        "containers over task cpu",
        "fargate",
        both(container(0, cpu=200), container(1, cpu=100)),
        both(container(0, cpu=200), container(1, cpu=56)),
        "cpu",
        "more than the task's 256",
    ),
    (
        "health interval",
        "fargate",
        health(interval=4),
        health(interval=300),
        "containerDefinitions[0].healthCheck.interval",
        "use 5-300 seconds",
    ),
    (
        "health timeout",
        "fargate",
        health(timeout=61),
        health(timeout=2),
        "containerDefinitions[0].healthCheck.timeout",
        "use 2-60 seconds",
    ),
    (
        "health retries",
        "fargate",
        health(retries=0),
        health(retries=10),
        "containerDefinitions[0].healthCheck.retries",
        "use 1-10",
    ),
    (
        "health startPeriod",
        "fargate",
        health(startPeriod=301),
        health(startPeriod=300),
        "containerDefinitions[0].healthCheck.startPeriod",
        "use 0-300 seconds",
    ),
    (
        "essential",
        "fargate",
        container(0, essential=False),
        container(0, essential=True),
        "containerDefinitions",
        "no essential container",
    ),
    (
        "too many containers",
        "ec2",
        lambda s: s["containerDefinitions"].extend({"name": f"c{i}", "image": "x", "memory": 8} for i in range(9)),
        lambda s: s["containerDefinitions"].extend({"name": f"c{i}", "image": "x", "memory": 8} for i in range(8)),
        "containerDefinitions",
        "at most 10",
    ),
    (
        "links under awsvpc",
        "fargate",
        container(1, links=["app"]),
        container(1, links=None),
        "containerDefinitions[1].links",
        "only with networkMode bridge",
    ),
    (
        "hostname under awsvpc",
        "fargate",
        container(0, hostname="web"),
        top(),
        "containerDefinitions[0].hostname",
        "not supported with networkMode awsvpc",
    ),
    (
        "awslogs group",
        "fargate",
        container(0, logConfiguration={"logDriver": "awslogs", "options": {}}),
        container(0, logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "g"}}),
        "containerDefinitions[0].logConfiguration.options",
        "needs options.awslogs-group",
    ),
    (
        "secret valueFrom",
        "fargate",
        container(0, secrets=[{"name": "A", "valueFrom": "arn:aws:s3:::bucket/key"}]),
        container(0, secrets=[{"name": "A", "valueFrom": "/prod/db/password"}]),
        "containerDefinitions[0].secrets[0].valueFrom",
        "Secrets Manager secret ARN",
    ),
    (
        "environment file",
        "fargate",
        container(0, environmentFiles=[{"type": "s3", "value": "s3://b/app.env"}]),
        container(0, environmentFiles=[{"type": "s3", "value": "arn:aws:s3:::b/app.env"}]),
        "containerDefinitions[0].environmentFiles[0].value",
        "S3 object ARN",
    ),
    (
        "mount volume",
        "fargate",
        container(0, mountPoints=[{"sourceVolume": "data", "containerPath": "/d"}]),
        top(volumes=[{"name": "tmp"}]),
        "containerDefinitions[0].mountPoints[0].sourceVolume",
        "no volume 'data'",
    ),
    (
        "dependsOn",
        "fargate",
        container(1, dependsOn=[{"containerName": "ap", "condition": "START"}]),
        container(1, dependsOn=None),
        "containerDefinitions[1].dependsOn[0].containerName",
        "not another container",
    ),
    (
        "Fargate privileged",
        "fargate",
        container(0, privileged=True),
        container(0, privileged=False),
        "containerDefinitions[0].privileged",
        "privileged",
    ),
    (
        "Fargate security options",
        "fargate",
        container(0, dockerSecurityOptions=["no-new-privileges"]),
        top(),
        "containerDefinitions[0].dockerSecurityOptions",
        "not supported on Fargate",
    ),
    (
        "Fargate linux devices",
        "fargate",
        container(0, linuxParameters={"sharedMemorySize": 64}),
        container(0, linuxParameters={"initProcessEnabled": True}),
        "containerDefinitions[0].linuxParameters.sharedMemorySize",
        "not supported on Fargate",
    ),
    (
        "Fargate host path",
        "fargate",
        top(volumes=[{"name": "tmp", "host": {"sourcePath": "/var"}}]),
        top(volumes=[{"name": "tmp", "host": {}}]),
        "volumes[0].host.sourcePath",
        "Fargate has no host paths",
    ),
    ("Fargate ipcMode", "fargate", top(ipcMode="task"), top(ipcMode=None), "ipcMode", "ipcMode"),
    ("Fargate pidMode", "fargate", top(pidMode="host"), top(pidMode="task"), "pidMode", "pidMode task only"),
    (
        "Fargate placement",
        "fargate",
        top(placementConstraints=[{"type": "memberOf", "expression": "x"}]),
        top(),
        "placementConstraints",
        "no placement constraints",
    ),
    (
        "64 KiB",
        "fargate",
        container(0, environment=[{"name": f"V{i}", "value": "x" * 1000} for i in range(70)]),
        container(0, environment=[{"name": f"V{i}", "value": "x" * 1000} for i in range(60)]),
        "",
        "over AWS's limit",
    ),
    (
        "td not finite",
        "ec2",
        container(0, memory=float("inf")),
        container(0, memory=256),
        "containerDefinitions[0].memory",
        "not numbers AWS takes",
    ),
    (
        "daemon desiredCount",
        "ec2-service",
        top(schedulingStrategy="DAEMON"),
        top(schedulingStrategy="DAEMON", desiredCount=None),
        "desiredCount",
        "remove desiredCount",
    ),
    (
        "daemon Fargate",
        "service",
        top(schedulingStrategy="DAEMON", desiredCount=None),
        top(schedulingStrategy="REPLICA"),
        "schedulingStrategy",
        "Fargate does not support DAEMON",
    ),
    (
        "daemon placement strategy",
        "ec2-service",
        top(schedulingStrategy="DAEMON", desiredCount=None, placementStrategy=[{"type": "spread", "field": "host"}]),
        top(placementStrategy=[{"type": "spread", "field": "host"}]),
        "placementStrategy",
        "no placement strategy",
    ),
    (
        "daemon controller",
        "ec2-service",
        top(schedulingStrategy="DAEMON", desiredCount=None, deploymentController={"type": "CODE_DEPLOY"}),
        top(schedulingStrategy="DAEMON", desiredCount=None, deploymentController={"type": "ECS"}),
        "schedulingStrategy",
        "CODE_DEPLOY deployment controller",
    ),
    (
        "lb container required",
        "service",
        top(loadBalancers=[{"targetGroupArn": "arn:tg", "containerPort": 8080}]),
        top(loadBalancers=[{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 8080}]),
        "loadBalancers[0]",
        "needs containerName",
    ),
    (
        "lb unknown container",
        "service",
        top(loadBalancers=[{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 8080}]),
        top(),
        "loadBalancers[0].containerName",
        "no container 'web'",
    ),
    (
        "lb unmapped port",
        "service",
        top(loadBalancers=[{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 80}]),
        top(),
        "loadBalancers[0].containerPort",
        "maps no containerPort 80",
    ),
    ("role with awsvpc", "service", top(role="ecsServiceRole"), top(role=None), "role", "remove role"),
    (
        "role without load balancer",
        "ec2-service",
        top(loadBalancers=None),
        top(),
        "role",
        "only for services with loadBalancers",
    ),
    (
        "assignPublicIp on EC2",
        "ec2-service",
        both(
            top(networkConfiguration={"awsvpcConfiguration": {"subnets": ["s"], "assignPublicIp": "ENABLED"}}),
            top(role=None, loadBalancers=None),
        ),
        top(),
        "networkConfiguration.awsvpcConfiguration.assignPublicIp",
        "remove assignPublicIp",
    ),
    ("platformVersion on EC2", "ec2-service", top(platformVersion="LATEST"), top(), "platformVersion", "Fargate only"),
    (
        "networkConfiguration with bridge",
        "ec2-service",
        top(networkConfiguration={"awsvpcConfiguration": {"subnets": ["s"]}}),
        top(),
        "networkConfiguration",
        "networkMode bridge",
    ),
    (
        "awsvpc without networkConfiguration",
        "service",
        top(networkConfiguration=None),
        top(),
        "networkConfiguration",
        "needs networkConfiguration",
    ),
    (
        "service connect portName",
        "service",
        top(serviceConnectConfiguration={"enabled": True, "services": [{"portName": "web"}]}),
        top(),
        "serviceConnectConfiguration.services[0].portName",
        "named 'web'",
    ),
    (
        "service strategy mix",
        "service",
        top(
            launchType=None,
            capacityProviderStrategy=[
                {"capacityProvider": "FARGATE", "weight": 1},
                {"capacityProvider": ASG, "weight": 1},
            ],
        ),
        top(
            launchType=None,
            capacityProviderStrategy=[
                {"capacityProvider": "FARGATE", "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 1},
            ],
        ),
        "capacityProviderStrategy",
        "mixes FARGATE",
    ),
    (
        "service not finite",
        "service",
        top(healthCheckGracePeriodSeconds=float("nan")),
        top(),
        "healthCheckGracePeriodSeconds",
        "not numbers AWS takes",
    ),
    (
        "cluster strategy two bases",
        "cluster",
        lambda s: s["defaultCapacityProviderStrategy"][1].update(base=1),
        lambda s: s["defaultCapacityProviderStrategy"][1].update(base=0),
        "defaultCapacityProviderStrategy[1].base",
        "only one capacity provider",
    ),
    (
        "cluster strategy zero weights",
        "cluster",
        lambda s: [item.update(weight=0) for item in s["defaultCapacityProviderStrategy"]],
        lambda s: s["defaultCapacityProviderStrategy"][0].update(weight=0),
        "defaultCapacityProviderStrategy",
        "every weight is 0",
    ),
    (
        "cluster strategy mix",
        "cluster",
        lambda s: s["defaultCapacityProviderStrategy"].append({"capacityProvider": ASG, "weight": 1}),
        top(defaultCapacityProviderStrategy=[{"capacityProvider": ASG, "weight": 1}]),
        "defaultCapacityProviderStrategy",
        "mixes FARGATE",
    ),
    (
        "cluster tag characters",
        "cluster",
        top(tags=[{"key": "team", "value": "a#b"}]),
        top(tags=[{"key": "team", "value": "a b+c=d@e/f:g_h.i-j"}]),
        "tags[0].value",
        "'#'",
    ),
    ("retention", "log-group", top(retentionInDays=15), top(retentionInDays=3653), "retentionInDays", "closest: 14"),
    ("kms key", "log-group", top(kmsKeyId="alias/logs"), top(kmsKeyId=None), "kmsKeyId", "KMS key ARN"),
    (
        "schedule shape",
        "scaling",
        lambda s: s["scheduledActions"][2].update(schedule="every 5 minutes"),
        lambda s: s["scheduledActions"][2].update(schedule="rate(1 hour)"),
        "scheduledActions[2].schedule",
        "is not a schedule",
    ),
    (
        "schedule cron fields",
        "scaling",
        lambda s: s["scheduledActions"][0].update(schedule="cron(0 22 * * ?)"),
        lambda s: s["scheduledActions"][0].update(schedule="cron(0 22 ? * MON-FRI *)"),
        "scheduledActions[0].schedule",
        "6 fields, this one 5",
    ),
    (
        "schedule cron ?",
        "scaling",
        lambda s: s["scheduledActions"][0].update(schedule="cron(0 22 * * * *)"),
        top(),
        "scheduledActions[0].schedule",
        "needs ?",
    ),
    (
        "schedule at date",
        "scaling",
        lambda s: s["scheduledActions"][1].update(schedule="at(2030-02-30T00:00:00)"),
        top(),
        "scheduledActions[1].schedule",
        "not a date and time",
    ),
    (
        "scheduled min above max",
        "scaling",
        lambda s: s["scheduledActions"][0]["scalableTargetAction"].update(minCapacity=3),
        lambda s: s["scheduledActions"][0]["scalableTargetAction"].update(minCapacity=2),
        "scheduledActions[0].scalableTargetAction.minCapacity",
        "greater than maxCapacity 2",
    ),
    (
        "scheduled end before start",
        "scaling",
        lambda s: s["scheduledActions"][1].update(endTime="2028-01-01T00:00:00Z"),
        top(),
        "scheduledActions[1].endTime",
        "after startTime",
    ),
    (
        "step gap",
        "scaling",
        lambda s: s["policies"][0]["stepScalingPolicyConfiguration"]["stepAdjustments"][2].update(
            metricIntervalLowerBound=20
        ),
        top(),
        "policies[0].stepScalingPolicyConfiguration.stepAdjustments",
        "meet end to end",
    ),
    (
        "scaling not finite",
        "scaling",
        top(policies=[{"policyName": "t", "targetTrackingScalingPolicyConfiguration": {"targetValue": float("inf")}}]),
        top(),
        "policies[0].targetTrackingScalingPolicyConfiguration.targetValue",
        "not numbers AWS takes",
    ),
]


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_base_specs_break_no_rule(base: str) -> None:
    assert check(base, copy.deepcopy(BASES[base]), None) == []


@pytest.mark.parametrize(("base", "bad", "good", "path", "text"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_refuses_the_bad_case_and_accepts_the_good_one(
    base: str, bad: Any, good: Any, path: str, text: str
) -> None:
    spec = copy.deepcopy(BASES[base])
    bad(spec)
    problems = check(base, spec, None)
    assert [p for p in problems if p[0] == path and text in p[1]], problems
    spec = copy.deepcopy(BASES[base])
    good(spec)
    assert check(base, spec, None) == []


def test_rules_that_need_the_declared_task_definition_are_skipped_without_it() -> None:
    spec = copy.deepcopy(SERVICE) | {
        "role": "r",
        "loadBalancers": [{"targetGroupArn": "tg", "containerName": "nope", "containerPort": 1}],
    }
    assert service_rules(spec, None) == []


def test_tag_rules_read_ecs_lists_and_maps_alike() -> None:
    assert aws_rules.tag_rules([{"key": "team#1", "value": "1"}])[0][0] == "[0].key"
    assert aws_rules.tag_rules({"team#1": "1"})[0][0] == "team#1"
    assert aws_rules.tag_rules(None) == [] and aws_rules.tag_rules({"team": "platform"}) == []


@pytest.mark.parametrize("spec", [{"containerDefinitions": "x"}, {"containerDefinitions": [None, 3]}, {"cpu": []}])
def test_a_spec_of_the_wrong_shape_never_raises(spec: dict[str, Any]) -> None:
    task_definition_rules(spec)
    service_rules(spec, spec)
    cluster_rules(spec)
    log_group_rules(spec)
    scaling_rules(spec)


def test_every_message_says_what_to_do() -> None:
    spec = copy.deepcopy(FARGATE_TD) | {"ipcMode": "host", "pidMode": "host"}
    for _, message in task_definition_rules(spec):
        assert any(word in message for word in ("remove", "use", "drop")), message
