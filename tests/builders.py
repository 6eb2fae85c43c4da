"""Manifest builders for the tests: each function returns one document's YAML text with the defaults most tests
share, and its keyword arguments override spec fields by their manifest names (``service(desiredCount=3)``); a field
given as None is left out (``service(launchType=None, capacityProviderStrategy=[...])``). ``documents()`` joins
documents into one file's text; CLUSTER, TASK and SERVICE are the api service in the prod cluster most tests apply.
copy_example, edit_example and keep_documents give a test its own copy of a deploy/examples folder and change it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

API_VERSION = "ecs-reconciler/v1"
REGION = "us-east-1"
SUBNET = "subnet-0a1b2c3d4e5f60001"
SECURITY_GROUP = "sg-0a1b2c3d4e5f60001"
"""The demo network the emulator is seeded with (reconciler.emulator.seed_demo_network)."""
SECRET = "hunter2"
"""The value of DB_PASSWORD in the default container's environment: it must never reach any output."""
ENVIRONMENT: Mapping[str, str] = MappingProxyType({"MODE": "prod", "DB_PASSWORD": SECRET})
"""The default container's environment."""
NETWORK: Mapping[str, Any] = MappingProxyType(
    {"awsvpcConfiguration": {"subnets": [SUBNET], "securityGroups": [SECURITY_GROUP]}}
)
"""The awsvpc network configuration of services and scheduled tasks."""


def _fields(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **overrides}
    return {key: value for key, value in merged.items() if value is not None}


def document(kind: str, name: str, spec: Mapping[str, Any], *, annotations: Mapping[str, str] | None = None) -> str:
    """Any kind's document: apiVersion, kind, metadata (name and annotations) and spec."""
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = dict(annotations)
    body = {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": dict(spec)}
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=1000)


def documents(*texts: str) -> str:
    """One file holding the given documents."""
    return "---\n".join(texts)


def tags(**pairs: str) -> list[dict[str, str]]:
    """ECS's tag shape: ``tags(team="a")`` is ``[{key: team, value: a}]``."""
    return [{"key": key, "value": value} for key, value in pairs.items()]


def cluster(name: str = "prod", **spec: Any) -> str:
    """A Cluster with container insights enabled."""
    return document("Cluster", name, _fields({"settings": [{"name": "containerInsights", "value": "enabled"}]}, spec))


def container(
    name: str = "app",
    *,
    image: str = "example/api:1.0",
    port: int | None = 8080,
    environment: Mapping[str, str] | None = ENVIRONMENT,
    **fields: Any,
) -> dict[str, Any]:
    """A container definition: its image, one TCP port mapping and ENVIRONMENT unless given None."""
    defaults: dict[str, Any] = {"name": name, "image": image}
    if port is not None:
        defaults["portMappings"] = [{"containerPort": port}]
    if environment is not None:
        defaults["environment"] = [{"name": key, "value": value} for key, value in environment.items()]
    return _fields(defaults, fields)


def awslogs(group: str = "/ecs/api", **options: str) -> dict[str, Any]:
    """A container's logConfiguration sending to a CloudWatch log group."""
    return {"logDriver": "awslogs", "options": {"awslogs-group": group, "awslogs-stream-prefix": "api", **options}}


def task_definition(
    name: str = "api",
    *,
    image: str = "example/api:1.0",
    containers: Sequence[Mapping[str, Any]] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> str:
    """A Fargate TaskDefinition of 0.25 vCPU and 0.5 GB; one container (``container(image=image)``) unless given."""
    defaults = {
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [dict(c) for c in containers] if containers is not None else [container(image=image)],
    }
    return document("TaskDefinition", name, _fields(defaults, spec), annotations=annotations)


def service(name: str = "api", *, annotations: Mapping[str, str] | None = None, **spec: Any) -> str:
    """A Fargate Service of 2 tasks in the prod cluster, running the task definition family of its own name."""
    defaults = {
        "cluster": "prod",
        "taskDefinition": name,
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": dict(NETWORK),
    }
    return document("Service", name, _fields(defaults, spec), annotations=annotations)


def log_group(name: str = "/ecs/api", **spec: Any) -> str:
    """A LogGroup keeping its events 7 days."""
    return document("LogGroup", name, _fields({"retentionInDays": 7}, spec))


def scaling_policy(name: str = "api-scaling", **spec: Any) -> str:
    """A ScalingPolicy keeping the prod/api service between 2 and 10 tasks."""
    defaults = {"cluster": "prod", "service": "api", "minCapacity": 2, "maxCapacity": 10}
    return document("ScalingPolicy", name, _fields(defaults, spec))


def scheduled_task(name: str = "nightly-report", *, task: str = "api", **spec: Any) -> str:
    """A ScheduledTask running the ``task`` family on Fargate in the prod cluster at 03:00 Berlin time."""
    defaults = {
        "scheduleExpression": "cron(0 3 * * ? *)",
        "scheduleExpressionTimezone": "Europe/Berlin",
        "target": {
            "arn": "prod",
            "roleArn": "arn:aws:iam::123456789012:role/scheduler-run-task",
            "ecsParameters": {
                "taskDefinitionArn": task,
                "launchType": "FARGATE",
                "networkConfiguration": dict(NETWORK),
            },
        },
    }
    return document("ScheduledTask", name, _fields(defaults, spec))


def target(name: str, *, account: str, region: str = REGION, **spec: Any) -> str:
    """A Target: the account (through its ecs-reconciler-target role) and region the manifests beside it go to."""
    defaults = {"region": region, "roleArn": f"arn:aws:iam::{account}:role/ecs-reconciler-target"}
    return document("Target", name, _fields(defaults, spec))


CPU_POLICY: Mapping[str, Any] = MappingProxyType(
    {
        "policyName": "cpu50",
        "policyType": "TargetTrackingScaling",
        "targetTrackingScalingPolicyConfiguration": {
            "targetValue": 50,
            "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "scaleInCooldown": 60,
            "scaleOutCooldown": 60,
        },
    }
)
"""A target tracking policy holding average CPU at 50%."""
QUEUE_POLICY: Mapping[str, Any] = MappingProxyType(
    {
        "policyName": "queue-depth",
        "policyType": "StepScaling",
        "stepScalingPolicyConfiguration": {
            "adjustmentType": "ChangeInCapacity",
            "cooldown": 60,
            "stepAdjustments": [{"metricIntervalLowerBound": 0, "scalingAdjustment": 2}],
        },
        "alarm": {
            "metricName": "ApproximateNumberOfMessagesVisible",
            "namespace": "AWS/SQS",
            "dimensions": [{"name": "QueueName", "value": "jobs"}],
            "statistic": "Average",
            "period": 60,
            "evaluationPeriods": 2,
            "threshold": 100,
            "comparisonOperator": "GreaterThanThreshold",
        },
    }
)
"""A step scaling policy adding 2 tasks while the jobs queue holds more than 100 messages (its alarm declared)."""
NIGHT_FLOOR: Mapping[str, Any] = MappingProxyType(
    {
        "scheduledActionName": "night-floor",
        "schedule": "cron(0 22 * * ? *)",
        "timezone": "Europe/Berlin",
        "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 2},
    }
)
"""A scheduled action lowering the range to 1-2 tasks at 22:00 Berlin time."""


def full_scaling(name: str = "api-scaling", **spec: Any) -> str:
    """scaling_policy() with CPU_POLICY, QUEUE_POLICY and NIGHT_FLOOR."""
    defaults = {"policies": [dict(CPU_POLICY), dict(QUEUE_POLICY)], "scheduledActions": [dict(NIGHT_FLOOR)]}
    return scaling_policy(name, **{**defaults, **spec})


CLUSTER = cluster()
TASK = task_definition()
SERVICE = service()
SHOP = documents(cluster("shop", settings=None), log_group("/ecs/shop"))
"""A cluster and a log group that need no role or network: the smallest tree that creates something."""
SCALING = full_scaling()
APP = documents(TASK, SERVICE)
"""TASK and SERVICE in one file (api.yaml in most tests)."""


def revision_tree(rev: str = "1", count: int = 2, *, prefix: str = "") -> dict[str, str]:
    """A git-sync revision's files: the prod cluster and the api app (``count`` tasks), each tagged rev=REV;
    ``prefix`` names the files apart (``cluster<prefix>.yaml``) when revisions pile up in one tree."""
    tagged = tags(rev=rev)
    return {
        f"cluster{prefix}.yaml": cluster(settings=None, tags=tagged),
        f"app{prefix}.yaml": documents(
            task_definition(containers=[container(port=None)]), service(desiredCount=count, tags=tagged)
        ),
    }


def image_app(
    name: str,
    tag: str,
    *,
    annotations: Mapping[str, str] | None = None,
    task_annotations: Mapping[str, str] | None = None,
    breaker_rollback: bool = False,
) -> str:
    """A one-task service ``name`` in prod and its family, whose one container runs example/NAME:TAG, behind ECS's
    deployment circuit breaker (rolling back on failure when ``breaker_rollback``)."""
    app = container(image=f"example/{name}:{tag}", port=None, environment=None)
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": breaker_rollback}}
    return documents(
        task_definition(name, containers=[app], annotations=task_annotations),
        service(name, annotations=annotations, desiredCount=1, deploymentConfiguration=breaker),
    )


EXAMPLES = Path(__file__).resolve().parent.parent / "deploy" / "examples"


def copy_example(name: str, into: Path) -> Path:
    """A copy of deploy/examples/NAME under ``into``, free to edit."""
    target = into / name
    shutil.copytree(EXAMPLES / name, target)
    return target


def edit_example(root: Path, old: str, new: str) -> None:
    """Change ``old`` to ``new`` in an example's app.yaml (``old`` must be there: a silent no-op edit tests nothing)."""
    path = root / "app.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def keep_documents(root: Path, keep: Callable[[str], bool]) -> None:
    """Rewrite an example's app.yaml with only the documents ``keep`` accepts (some must go, some stay)."""
    path = root / "app.yaml"
    docs = path.read_text().split("---\n")
    kept = [doc for doc in docs if keep(doc)]
    assert 0 < len(kept) < len(docs)
    path.write_text("---\n".join(kept))
