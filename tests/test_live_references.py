"""Manifest sets that reference live resources they do not declare, at the emulator: a ScalingPolicy for a service
(and cluster) that only exist live, a Service whose cluster and task definition family only exist live, and a
cluster whose Service Connect namespace is written by its Cloud Map name."""

from __future__ import annotations

import boto3
import pytest
from aws_state import WHERE, register_family
from builders import NETWORK, REGION, SCALING, SERVICE, cluster


@pytest.fixture
def live_service(ecs):
    """Cluster prod, family api and service prod/api made outside the tool (none of them in any manifest)."""
    ecs.create_cluster(clusterName="prod")
    register_family(ecs)
    ecs.create_service(
        cluster="prod",
        serviceName="api",
        taskDefinition="api",
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=dict(NETWORK),
    )


def test_a_scaling_policy_alone_plans_and_applies_against_a_live_service(aws, cli, manifests, live_service):
    path = manifests({"scaling.yaml": SCALING})
    planned = cli("plan", path)
    assert planned.code == 2, planned.err
    assert "neither declared" not in planned.out + planned.err
    assert cli("apply", path, "--no-wait").code == 0
    autoscaling = boto3.client("application-autoscaling", endpoint_url=aws.endpoint_url, region_name=REGION)
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[WHERE["ResourceId"]], ScalableDimension=WHERE["ScalableDimension"]
    )["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(2, 10)]
    again = cli("plan", path)
    assert again.code == 0, again.out


def test_a_service_alone_plans_and_applies_against_a_live_cluster_and_family(aws, cli, ecs, manifests, live_service):
    ecs.delete_service(cluster="prod", service="api", force=True)
    path = manifests({"api.yaml": SERVICE})
    planned = cli("plan", path)
    assert planned.code == 2, planned.err
    assert cli("apply", path, "--no-wait").code == 0
    created = ecs.describe_services(cluster="prod", services=["api"])["services"]
    assert [(s["status"], s["taskDefinition"].rsplit("/", 1)[-1]) for s in created] == [("ACTIVE", "api:1")]
    assert cli("plan", path).code == 0


def test_a_service_whose_cluster_is_neither_declared_nor_live_fails_clearly(aws, cli, manifests):
    path = manifests({"api.yaml": SERVICE})
    planned = cli("plan", path)
    assert planned.code == 1
    assert "cluster 'prod' is neither declared in the manifests nor live" in planned.err


CONNECTED = cluster("mesh", settings=None, serviceConnectDefaults={"namespace": "internal"})


def test_a_service_connect_namespace_written_by_name_plans_empty_after_apply(aws, cli, ecs, manifests):
    cloud_map = boto3.client("servicediscovery", endpoint_url=aws.endpoint_url, region_name=REGION)
    cloud_map.create_http_namespace(Name="internal")
    cloud_map.create_http_namespace(Name="other")
    path = manifests({"mesh.yaml": CONNECTED})
    assert cli("apply", path, "--no-wait").code == 0
    assert cli("plan", path).code == 0
    arn = next(n["Arn"] for n in cloud_map.list_namespaces()["Namespaces"] if n["Name"] == "internal")
    ecs.update_cluster(cluster="mesh", serviceConnectDefaults={"namespace": arn})  # AWS answers the ARN
    assert cli("plan", path).code == 0
    other = next(n["Arn"] for n in cloud_map.list_namespaces()["Namespaces"] if n["Name"] == "other")
    ecs.update_cluster(cluster="mesh", serviceConnectDefaults={"namespace": other})  # drift to another namespace
    drifted = cli("plan", path)
    assert drifted.code == 2
    assert "serviceConnectDefaults.namespace" in drifted.out
