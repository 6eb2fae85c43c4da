"""CapacityProvider end to end against the emulator: an EC2 Auto Scaling group provider created and associated with
a cluster in one plan (provider first), then nothing to do; in-place updates; prune keeps a provider services run on."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from conftest import REGION, ROOT

from reconciler.core.settings import MANAGED_TAG_KEY
from reconciler.emulator import DEMO_SUBNETS

PROVIDER = """\
apiVersion: ecs-reconciler/v1
kind: CapacityProvider
metadata: {name: workers}
spec:
  autoScalingGroupProvider:
    autoScalingGroupArn: workers-asg
    managedScaling: {status: ENABLED, targetCapacity: 90}
    managedTerminationProtection: DISABLED
"""
CLUSTER = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {name: ec2}
spec:
  capacityProviders: [workers, FARGATE]
  defaultCapacityProviderStrategy: [{capacityProvider: workers, weight: 1}]
"""
TASK = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: batch}
spec:
  requiresCompatibilities: [EC2]
  networkMode: bridge
  containerDefinitions:
    - {name: app, image: example/batch:1.0, memory: 256}
"""
SERVICE = """\
apiVersion: ecs-reconciler/v1
kind: Service
metadata: {name: batch}
spec:
  cluster: ec2
  taskDefinition: batch
  desiredCount: 1
  capacityProviderStrategy: [{capacityProvider: workers, weight: 1}]
"""


@pytest.fixture
def asg(aws) -> str:
    """An Auto Scaling group named workers-asg (the EC2 instances a provider scales); returns its ARN."""
    ec2 = boto3.client("ec2", endpoint_url=aws.endpoint_url, region_name=REGION)
    autoscaling = boto3.client("autoscaling", endpoint_url=aws.endpoint_url, region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.create_launch_template(
        LaunchTemplateName="workers", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="workers-asg",
        LaunchTemplate={"LaunchTemplateName": "workers"},
        MinSize=0,
        MaxSize=2,
        VPCZoneIdentifier=DEMO_SUBNETS[0],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["workers-asg"])["AutoScalingGroups"][0]
    return str(group["AutoScalingGroupARN"])


def provider(ecs: Any, name: str = "workers") -> dict[str, Any]:
    found: dict[str, Any] = ecs.describe_capacity_providers(capacityProviders=[name], include=["TAGS"])[
        "capacityProviders"
    ][0]
    return found


def test_provider_is_created_before_the_cluster_that_associates_it_then_the_plan_is_empty(
    aws, cli, ecs, asg, manifests
):
    root = manifests({"workers.yaml": PROVIDER, "ec2.yaml": CLUSTER})
    planned = cli("plan", root)
    assert planned.code == 2, planned.err
    assert planned.out.index("CapacityProvider workers") < planned.out.index("Cluster ec2")

    applied = cli("apply", root)
    assert applied.code == 0, applied.err
    body = provider(ecs)
    assert body["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 90
    assert {t["key"] for t in body["tags"]} >= {MANAGED_TAG_KEY}
    cluster = ecs.describe_clusters(clusters=["ec2"])["clusters"][0]
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "workers"]

    aws.reset_calls()
    again = cli("plan", root)
    assert again.code == 0, again.out + again.err
    assert again.out.splitlines()[1].startswith("No changes.")
    assert aws.writes() == []


def test_a_managed_scaling_change_updates_in_place(aws, cli, ecs, asg, manifests):
    root = manifests({"workers.yaml": PROVIDER, "ec2.yaml": CLUSTER})
    assert cli("apply", root).code == 0
    manifests({"workers.yaml": PROVIDER.replace("targetCapacity: 90", "targetCapacity: 75")})
    aws.reset_calls()
    applied = cli("apply", root)
    assert applied.code == 0, applied.err
    assert aws.writes() == ["UpdateCapacityProvider"]
    assert provider(ecs)["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 75
    assert cli("plan", root).code == 0


def test_a_cluster_naming_an_unknown_provider_fails_plan_with_the_field_and_no_writes(aws, cli, manifests):
    root = manifests({"ec2.yaml": CLUSTER})
    planned = cli("plan", root)
    assert planned.code == 1
    assert "ec2.yaml" in planned.err
    assert "spec.capacityProviders[0]" in planned.err
    assert "capacity provider 'workers' is neither declared" in planned.err
    assert aws.writes() == []


def test_names_aws_reserves_are_validation_errors(cli, manifests):
    root = manifests({"p.yaml": PROVIDER.replace("name: workers", "name: fargate-extra")})
    result = cli("validate", root)
    assert result.code == 1
    assert "cannot start with aws, ecs or fargate" in result.err


LOGS = """\
apiVersion: ecs-reconciler/v1
kind: LogGroup
metadata: {name: /ecs/batch}
spec: {retentionInDays: 7}
"""


def test_prune_keeps_a_provider_a_service_runs_on_and_names_the_service(aws, cli, ecs, asg, manifests):
    root = manifests({"workers.yaml": PROVIDER})
    assert cli("apply", root).code == 0
    # Another team's cluster and service run on the provider (not in these manifests, not managed by this tool).
    ecs.create_cluster(clusterName="ec2", capacityProviders=["workers"])
    ecs.register_task_definition(family="batch", containerDefinitions=[{"name": "app", "image": "x", "memory": 64}])
    ecs.create_service(
        cluster="ec2",
        serviceName="batch",
        taskDefinition="batch",
        desiredCount=0,
        capacityProviderStrategy=[{"capacityProvider": "workers", "weight": 1}],
    )
    root = manifests({"logs.yaml": LOGS}, fresh=True)

    aws.reset_calls()
    planned = cli("plan", root, "--prune")
    assert "CapacityProvider workers is not in the manifests but services still run on it: ec2/batch; kept" in (
        planned.out + planned.err
    )
    assert "CapacityProvider workers" not in [line.strip() for line in planned.out.splitlines() if "delete" in line]
    applied = cli("apply", root, "--prune")
    assert applied.code == 0, applied.err
    assert provider(ecs)["status"] == "ACTIVE"

    # Once nothing runs on it and no cluster holds it, prune deletes it.
    ecs.delete_service(cluster="ec2", service="batch", force=True)
    ecs.put_cluster_capacity_providers(cluster="ec2", capacityProviders=[], defaultCapacityProviderStrategy=[])
    aws.reset_calls()
    assert cli("apply", root, "--prune").code == 0
    assert "DeleteCapacityProvider" in aws.writes()


def test_export_writes_the_providers_a_cluster_uses_before_the_cluster(aws, cli, ecs, asg, manifests, tmp_path):
    root = manifests({"workers.yaml": PROVIDER, "ec2.yaml": CLUSTER})
    assert cli("apply", root).code == 0
    out = tmp_path / "exported"
    result = cli("export", "--cluster", "ec2", "--output", out)
    assert result.code == 0, result.err
    exported = cli("plan", out)
    assert exported.code == 0, exported.out + exported.err
    text = (out / "cluster-ec2.yaml").read_text()
    assert text.index("kind: CapacityProvider") < text.index("kind: Cluster")
    assert "autoScalingGroupArn:" in text and "targetCapacity: 90" in text


def test_another_auto_scaling_group_means_a_new_provider_but_scaling_changes_in_place():
    from reconciler.core.kind import PlanContext
    from reconciler.core.model import Address, Live, Resource
    from reconciler.kinds.capacity_provider import KIND

    address = Address("CapacityProvider", "workers")
    arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0f1e:autoScalingGroupName/workers-asg"
    live = Live(
        address,
        {
            "name": "workers",
            "autoScalingGroupProvider": {
                "autoScalingGroupArn": arn,
                "managedScaling": {
                    "status": "ENABLED",
                    "targetCapacity": 100,
                    "minimumScalingStepSize": 1,
                    "maximumScalingStepSize": 10000,
                    "instanceWarmupPeriod": 300,
                },
                "managedTerminationProtection": "DISABLED",
            },
        },
        managed=True,
    )
    ctx = PlanContext({}, {})

    def plan(group: dict[str, Any]) -> tuple[list[str], str]:
        resource = Resource(address, {"autoScalingGroupProvider": group})
        changes = KIND.diff(resource, live, ctx)
        return [c.path for c in changes], type(KIND.decide(resource, live, changes)).__name__

    # The group named by name, AWS's defaults left out: nothing to do.
    assert plan({"autoScalingGroupArn": "workers-asg", "managedScaling": {"status": "ENABLED"}}) == ([], "InPlace")
    changed = plan(
        {"autoScalingGroupArn": "workers-asg", "managedScaling": {"status": "ENABLED", "targetCapacity": 80}}
    )
    assert changed == (["autoScalingGroupProvider.managedScaling.targetCapacity"], "InPlace")
    assert plan({"autoScalingGroupArn": "other-asg"}) == (["autoScalingGroupProvider.autoScalingGroupArn"], "Recreate")


def test_the_documented_examples_are_valid_and_silent(cli):
    result = cli("validate", ROOT / "deploy" / "examples", "--strict")
    assert result.code == 0, result.out + result.err
    assert "Security findings" not in result.out
