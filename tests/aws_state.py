"""Reading the emulator's state back for the tests' assertions (tags, services, a service reaching a count, a
daemon's revision), and setting up what the tool expects to find there (a lease table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from builders import REGION

from reconciler.core.tags import REVISION_TAG_KEY

WHERE = {"ServiceNamespace": "ecs", "ResourceId": "service/prod/api", "ScalableDimension": "ecs:service:DesiredCount"}
"""Application Auto Scaling's address of the prod/api service's desired count."""


def tags_of(ecs: Any, arn: str) -> dict[str, str]:
    """An ECS resource's tags as a dict."""
    return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}


def described_service(ecs: Any, name: str = "api", cluster: str = "prod") -> dict[str, Any]:
    """DescribeServices' answer for one service, whatever its status."""
    found: dict[str, Any] = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    return found


def running(ecs: Any, name: str = "api", cluster: str = "prod") -> str:
    """The family:revision the service is set to run."""
    return str(described_service(ecs, name, cluster)["taskDefinition"]).rsplit("/", 1)[-1]


def live_service(ecs: Any) -> dict[str, Any] | None:
    """The prod/api service when it is ACTIVE, else None (also when the cluster is gone)."""
    try:
        found = ecs.describe_services(cluster="prod", services=["api"])["services"]
    except ecs.exceptions.ClusterNotFoundException:
        return None
    return found[0] if found and found[0]["status"] == "ACTIVE" else None


def service_at(ecs: Any, *, count: int, revision: str | None = None) -> Callable[[], bool]:
    """A check for conftest.eventually: prod/api wants ``count`` tasks (and carries the revision tag, if given)."""

    def check() -> bool:
        svc = live_service(ecs)
        if svc is None or svc["desiredCount"] != count:
            return False
        return revision is None or tags_of(ecs, svc["serviceArn"]).get(REVISION_TAG_KEY) == revision

    return check


def register_family(ecs: Any, family: str = "api") -> None:
    """Register a revision out of band, shaped like builders.TASK (its container app maps port 8080)."""
    ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "example/api:1.0", "portMappings": [{"containerPort": 8080}]}],
    )


def daemon_arn(ecs: Any, cluster: str = "agents") -> str:
    """The one Daemon's ARN in ``cluster`` (the daemon example's)."""
    return str(ecs.list_daemons(clusterArn=cluster)["daemonSummariesList"][0]["daemonArn"])


def daemon_revision(ecs: Any, cluster: str = "agents") -> dict[str, Any]:
    """DescribeDaemonRevisions' answer for the revision the daemon in ``cluster`` is on."""
    current = ecs.describe_daemon(daemonArn=daemon_arn(ecs, cluster))["daemon"]["currentRevisions"][0]["arn"]
    found: dict[str, Any] = ecs.describe_daemon_revisions(daemonRevisionArns=[current])["daemonRevisions"][0]
    return found


def make_lease_table(aws: Any, name: str = "leases") -> None:
    """A DynamoDB table of the shape the daemon's lease uses (key ``name``)."""
    dynamodb = boto3.client("dynamodb", endpoint_url=aws.endpoint_url, region_name=REGION)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
