"""A service's load balancers checked at plan time against Elastic Load Balancing (the emulator's elbv2) and the task
definition, before any write; and the unhealthy targets a rollout reports."""

from __future__ import annotations

import boto3
import pytest
from conftest import REGION
from test_cli import CLUSTER, SERVICE, TASK

from reconciler.aws import Aws
from reconciler.core.settings import AwsSettings
from reconciler.emulator import DEMO_SUBNETS
from reconciler.kinds.load_balancers_live import unhealthy_targets


@pytest.fixture
def elbv2(aws):
    return boto3.client("elbv2", endpoint_url=aws.endpoint_url, region_name=REGION)


@pytest.fixture
def target_group(aws, elbv2):
    """make(name, target_type="ip", protocol="HTTP", listener=True) -> the ARN of a target group in the demo VPC,
    behind an application load balancer unless ``listener`` is False."""
    ec2 = boto3.client("ec2", endpoint_url=aws.endpoint_url, region_name=REGION)
    vpc = ec2.describe_subnets(SubnetIds=[DEMO_SUBNETS[0]])["Subnets"][0]["VpcId"]

    def make(name: str, *, target_type: str = "ip", protocol: str = "HTTP", listener: bool = True) -> str:
        arn = elbv2.create_target_group(Name=name, Protocol=protocol, Port=8080, VpcId=vpc, TargetType=target_type)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        if listener:
            balancer = elbv2.create_load_balancer(Name=f"{name}-lb", Subnets=list(DEMO_SUBNETS))["LoadBalancers"][0]
            elbv2.create_listener(
                LoadBalancerArn=balancer["LoadBalancerArn"],
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
            )
        return str(arn)

    return make


def balanced(arn: str, *, container: str = "app", port: int = 8080) -> str:
    entry = f"    - targetGroupArn: {arn}\n      containerName: {container}\n      containerPort: {port}\n"
    return SERVICE + "  loadBalancers:\n" + entry


def test_a_service_behind_a_fitting_target_group_plans_and_applies(aws, cli, ecs, manifests, target_group):
    arn = target_group("api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK + "---\n" + balanced(arn)})
    planned = cli("plan", root)
    assert planned.code == 2, planned.err
    applied = cli("apply", root)
    assert applied.code == 0, applied.err
    live = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
    assert [b["targetGroupArn"] for b in live["loadBalancers"]] == [arn]


def test_an_instance_target_group_for_awsvpc_tasks_fails_plan_naming_the_field(aws, cli, manifests, target_group):
    arn = target_group("api-instances", target_type="instance")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK + "---\n" + balanced(arn)})
    aws.reset_calls()
    result = cli("plan", root)
    assert result.code == 1
    assert "api.yaml:" in result.err and "spec.loadBalancers[0].targetGroupArn" in result.err
    assert "target type instance, but networkMode awsvpc tasks register as ip targets" in result.err
    assert aws.writes() == []
    assert cli("apply", root).code == 1
    assert aws.writes() == []


def test_a_missing_or_unattached_target_group_fails_plan(aws, cli, manifests, target_group):
    alone = target_group("api-alone", listener=False)
    missing = alone.replace("api-alone", "api-gone").replace(alone.rsplit("/", 1)[1], "0123456789abcdef")
    for arn, message in ((missing, "does not exist"), (alone, "is not attached to a load balancer")):
        root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK + "---\n" + balanced(arn)}, fresh=True)
        result = cli("plan", root)
        assert result.code == 1, result.out
        assert message in result.err
        assert "spec.loadBalancers[0].targetGroupArn" in result.err


def test_a_port_the_live_task_definition_does_not_map_fails_plan(aws, cli, ecs, manifests, target_group):
    """The task definition lives elsewhere (not in these manifests): the live revision is checked."""
    ecs.register_task_definition(
        family="api",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "example/api:1.0", "portMappings": [{"containerPort": 8080}]}],
    )
    arn = target_group("api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": balanced(arn, port=9090)})
    result = cli("plan", root)
    assert result.code == 1
    assert "api.yaml:" in result.err and "spec.loadBalancers[0].containerPort" in result.err
    assert "api:1 has no container 'app' mapping containerPort 9090" in result.err

    good = manifests({"api.yaml": balanced(arn, port=8080)})
    assert cli("plan", good).code == 2


def test_a_port_the_declared_task_definition_does_not_map_fails_validate_offline(cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK + "---\n" + balanced("arn:aws:x", port=9090)})
    result = cli("validate", root)
    assert result.code == 1
    assert "spec.loadBalancers[0].containerPort" in result.err


def test_unhealthy_targets_are_reported_with_their_reasons(aws, elbv2, target_group):
    ec2 = boto3.client("ec2", endpoint_url=aws.endpoint_url, region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    running, stopped = (
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, SubnetId=DEMO_SUBNETS[0])["Instances"]
    )
    arn = target_group("api-ec2", target_type="instance")
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": running, "Port": 32768}, {"Id": stopped, "Port": 32769}])
    ec2.stop_instances(InstanceIds=[stopped])

    reported = unhealthy_targets(Aws(AwsSettings(region=REGION)), {"loadBalancers": [{"targetGroupArn": arn}]})
    assert [(t.target, t.port, t.state, t.reason) for t in reported] == [
        (stopped, 32769, "unused", "Target.InvalidState")
    ]
    assert str(reported[0]) == (
        f"{stopped}:32769 in api-ec2 is unused (Target.InvalidState: Target is in the stopped state)"
    )


def test_a_udp_target_group_for_a_tcp_port_mapping_fails_plan(aws, cli, manifests, target_group):
    arn = target_group("api-udp", protocol="UDP")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK + "---\n" + balanced(arn)})
    result = cli("plan", root)
    assert result.code == 1
    assert "spec.loadBalancers[0].containerPort" in result.err
    assert "target group api-udp speaks UDP but container 'app' maps port 8080 as tcp" in result.err
