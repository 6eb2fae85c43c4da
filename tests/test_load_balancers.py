"""A service's load balancers checked at plan time against Elastic Load Balancing (the emulator's elbv2) and the task
definition, before any write; and the unhealthy targets, with ELB's reasons, that a failed or stuck rollout reports
(apply's output, the daemon's status and rollout_failed alert)."""

from __future__ import annotations

import boto3
import pytest
from aws_state import register_family
from builders import CLUSTER, TASK, documents, service
from conftest import REGION
from daemon_io import Recorded

from reconciler import rollout
from reconciler.aws import Aws
from reconciler.core.model import Address
from reconciler.core.settings import AwsSettings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.deployments import Deployments
from reconciler.daemon.metrics import Metrics
from reconciler.emulator import DEMO_SUBNETS, ROLLOUT_ENV
from reconciler.emulator.cloud_map_elb import TARGET_ANSWERS_ENV
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
    return service(loadBalancers=[{"targetGroupArn": arn, "containerName": container, "containerPort": port}])


def test_a_service_behind_a_fitting_target_group_plans_and_applies(aws, cli, ecs, manifests, target_group):
    arn = target_group("api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(arn))})
    planned = cli("plan", root)
    assert planned.code == 2, planned.err
    applied = cli("apply", root)
    assert applied.code == 0, applied.err
    live = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
    assert [b["targetGroupArn"] for b in live["loadBalancers"]] == [arn]


def test_an_instance_target_group_for_awsvpc_tasks_fails_plan_naming_the_field(aws, cli, manifests, target_group):
    arn = target_group("api-instances", target_type="instance")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(arn))})
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
        root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(arn))}, fresh=True)
        result = cli("plan", root)
        assert result.code == 1, result.out
        assert message in result.err
        assert "spec.loadBalancers[0].targetGroupArn" in result.err


def test_a_port_the_live_task_definition_does_not_map_fails_plan(aws, cli, ecs, manifests, target_group):
    """The task definition lives elsewhere (not in these manifests): the live revision is checked."""
    register_family(ecs)
    arn = target_group("api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": balanced(arn, port=9090)})
    result = cli("plan", root)
    assert result.code == 1
    assert "api.yaml:" in result.err and "spec.loadBalancers[0].containerPort" in result.err
    assert "api:1 has no container 'app' mapping containerPort 9090" in result.err

    good = manifests({"api.yaml": balanced(arn, port=8080)})
    assert cli("plan", good).code == 2


def test_a_port_the_declared_task_definition_does_not_map_fails_validate_offline(cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced("arn:aws:x", port=9090))})
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
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(arn))})
    result = cli("plan", root)
    assert result.code == 1
    assert "spec.loadBalancers[0].containerPort" in result.err
    assert "target group api-udp speaks UDP but container 'app' maps port 8080 as tcp" in result.err


# ------------------------------------------------------------------------ unhealthy targets in rollout waiting

TARGET_IP = "10.42.0.17"
MISMATCH = (
    f"{TARGET_IP}:8080 in api is unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [502])"
)


@pytest.fixture
def failing_health_checks(monkeypatch, elbv2, target_group):
    """A target group whose one registered target answers its HTTP health checks with 502 (the matcher wants 200)."""
    arn = target_group("api")
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": TARGET_IP, "Port": 8080}])
    monkeypatch.setenv(TARGET_ANSWERS_ENV, f"{TARGET_IP}=502")
    return arn


def test_a_failed_rollout_behind_a_load_balancer_names_its_unhealthy_targets(
    aws, cli, manifests, monkeypatch, failing_health_checks
):
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(failing_health_checks))})
    result = cli("apply", root)
    assert result.code == 1
    assert "Rollout failed: Service prod/api:" in result.err
    assert f"unhealthy targets: {MISMATCH}" in result.err


def test_a_rollout_that_does_not_move_is_explained_once_then_alerted_with_its_unhealthy_targets(
    aws, cli, manifests, monkeypatch, failing_health_checks
):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(failing_health_checks))})
    assert cli("apply", root, "--no-wait").code == 0
    now = [1000.0]
    sink = Recorded()
    deployments = Deployments(
        Aws(AwsSettings(region=REGION)),
        Alerter([sink]),
        Metrics().for_target("default"),
        timeout=300,
        poll=5,
        clock=lambda: now[0],
    )
    address = Address("Service", "api", "prod")
    deployments.follow("fingerprint", "abc123", [address], {address: None})
    aws.reset_calls()
    deployments.check(due_only=False)
    now[0] += 30
    deployments.check(due_only=False)
    assert "DescribeTargetHealth" not in aws.calls, "not asked while the rollout is young"
    assert "unhealthy_targets" not in deployments.states[address]
    now[0] += 40  # 70 s without change: not progressing
    for _ in range(3):
        deployments.check(due_only=False)
        now[0] += 5
    assert aws.calls.count("DescribeTargetHealth") == 1, "asked once for the stretch, not on every check"
    assert deployments.states[address]["unhealthy_targets"] == [MISMATCH]
    assert sink.alerts == []
    now[0] += 300
    deployments.check(due_only=False)
    [alert] = sink.alerts
    assert alert.kind == "rollout_failed"
    assert alert.summary.startswith("rollout timed out: Service prod/api (api:1): ROLLING IN_PROGRESS: 0/2 running")
    assert alert.unhealthy_targets == (MISMATCH,)
    assert MISMATCH in alert.summary


def test_apply_waiting_on_a_rollout_that_does_not_move_shows_its_unhealthy_targets_once_asked(
    aws, cli, manifests, monkeypatch, failing_health_checks
):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, balanced(failing_health_checks))})
    assert cli("apply", root, "--no-wait").code == 0
    address = Address("Service", "api", "prod")
    seen: list[rollout.Progress] = []
    aws.reset_calls()
    [final] = rollout.wait_for(
        Aws(AwsSettings(region=REGION)), [address], timeout=2.0, poll=0.2, report=seen.append, stall_after=0.5
    )
    waiting = [p for p in seen if p.state == "waiting"]
    assert not waiting[0].trouble, "not asked before the rollout has stood still for stall_after"
    assert waiting[-1].trouble == (MISMATCH,) and MISMATCH in waiting[-1].detail
    assert final.state == "timed out" and final.trouble == (MISMATCH,)
    assert aws.calls.count("DescribeTargetHealth") == 1
