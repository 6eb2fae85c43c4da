"""`rollback` on ECS's terms, against the emulator: a deployment in progress is rolled back by ECS itself
(StopServiceDeployment ROLLBACK, no UpdateService), a completed one returns to the previous successful service
revision, skipping a revision that failed, with the rest of that revision's configuration (its network here); the
rollback plan removes what UpdateService can remove and names what it keeps; the daemon's --rollback-on-failure has
ECS roll back a deployment that timed out, and returns a failed one to the whole previous service revision (its
security groups and platform version with its task definition)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_state import running
from builders import cluster, container, documents, image_app, service, task_definition
from conftest import REGION, eventually
from daemon_io import Recorded

from reconciler.aws import Aws
from reconciler.core.model import Address, Live
from reconciler.core.plan import Plan, StopDeployment
from reconciler.core.settings import ApplySettings, AwsSettings, Settings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.deployments import Deployments
from reconciler.daemon.metrics import Metrics
from reconciler.emulator import DEMO_SECURITY_GROUP, DEMO_SUBNETS, ROLLOUT_ENV
from reconciler.emulator.rollouts import ROLLOUT_IMAGES_ENV
from reconciler.executor import Outcome
from reconciler.pipeline import Pipeline
from reconciler.rollback import Return, rollback_plan


def _tree(manifests, tag: str):
    return manifests({"cluster.yaml": cluster(), "api.yaml": image_app("api", tag)})


def _current(ecs: Any) -> dict[str, Any]:
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["currentServiceDeployment"]
    found: dict[str, Any] = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    return found


def test_a_deployment_in_progress_is_rolled_back_by_ecs(aws, cli, manifests, ecs, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    assert cli("apply", _tree(manifests, "1.0")).code == 0
    root = _tree(manifests, "broken")
    assert cli("apply", root, "--no-wait").code == 0
    assert _current(ecs)["status"] == "IN_PROGRESS"
    dry = cli("rollback", root, "--dry-run")
    assert dry.code == 0 and "< Service prod/api  (its deployment is in progress: ECS rolls it back" in dry.out
    assert "1 deployment in progress to roll back" in dry.out
    assert _current(ecs)["status"] == "IN_PROGRESS", "a dry run sends nothing"
    aws.reset_calls()
    done = cli("rollback", root)
    assert done.code == 0, done.err
    assert "rolled back by ECS: Service prod/api" in done.out
    assert "StopServiceDeployment" in aws.calls and "UpdateService" not in aws.calls
    assert _current(ecs)["status"].startswith("ROLLBACK")


def test_a_completed_deployment_returns_to_the_previous_successful_revision(aws, cli, manifests, ecs, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    assert cli("apply", _tree(manifests, "1.0")).code == 0  # api:1
    assert cli("apply", _tree(manifests, "broken")).code == 1  # api:2 fails
    root = _tree(manifests, "1.1")
    assert cli("apply", root).code == 0  # api:3
    assert running(ecs) == "api:3"
    aws.reset_calls()
    done = cli("rollback", root)
    assert done.code == 0, done.err
    assert "StopServiceDeployment" not in aws.calls
    assert running(ecs) == "api:1", "the previous successful revision, not the failed api:2"


def test_rollback_on_failure_has_ecs_roll_back_a_deployment_that_timed_out(aws, cli, manifests, ecs, monkeypatch):
    monkeypatch.setenv(ROLLOUT_ENV, "stuck")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    assert cli("apply", _tree(manifests, "1.0")).code == 0
    assert cli("apply", _tree(manifests, "broken"), "--no-wait").code == 0
    now = [1000.0]
    sink = Recorded()
    pipeline = Pipeline(Aws(AwsSettings()), Settings())
    ran: list[Plan] = []

    def run(plan: Plan) -> list[Outcome]:
        ran.append(plan)
        return pipeline.run(plan, ApplySettings())

    deployments = Deployments(
        pipeline.aws,
        Alerter([sink]),
        Metrics().for_target("default"),
        timeout=60,
        poll=5,
        rollback=True,
        run=run,
        clock=lambda: now[0],
    )
    address = Address("Service", "api", "prod")
    deployments.follow("fingerprint", "abc123", [address], {address: "api:1"})
    deployments.check(due_only=False)
    now[0] += 61
    aws.reset_calls()
    deployments.check(due_only=False)
    assert [a.kind for a in sink.alerts] == ["rollout_failed", "rollback"]
    assert "StopServiceDeployment" in aws.calls and "UpdateService" not in aws.calls
    assert "Service prod/api: deployment in progress rolled back by ECS" in sink.alerts[1].errors
    assert _current(ecs)["status"].startswith("ROLLBACK")
    assert [a.verb for plan in ran for a in plan.actions] == ["retag", "stop"], "the hold marker, then ECS's rollback"


def _networked_files(tag: str, subnets: list[str], groups: tuple[str, ...] = (DEMO_SECURITY_GROUP,), **spec: Any):
    app = container(image=f"example/api:{tag}", port=None, environment=None)
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": list(groups)}}
    api = documents(
        task_definition("api", containers=[app]),
        service("api", desiredCount=1, networkConfiguration=network, **spec),
    )
    return {"cluster.yaml": cluster(), "api.yaml": api}


def _networked(manifests, tag: str, subnets: list[str]):
    return manifests(_networked_files(tag, subnets))


def test_a_completed_deployment_returns_to_the_previous_revisions_network_too(aws, cli, manifests, ecs):
    first, both = [DEMO_SUBNETS[0]], sorted(DEMO_SUBNETS)
    assert cli("apply", _networked(manifests, "1.0", first)).code == 0  # api:1 in one subnet
    root = _networked(manifests, "1.1", both)
    assert cli("apply", root).code == 0  # api:2 in two
    dry = cli("rollback", root, "--dry-run")
    assert dry.code == 0 and "networkConfiguration" in dry.out, dry.out
    done = cli("rollback", root)
    assert done.code == 0, done.err
    live = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
    assert running(ecs) == "api:1"
    assert live["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == first
    revision = ecs.describe_service_revisions(serviceRevisionArns=[_current(ecs)["targetServiceRevision"]["arn"]])
    assert revision["serviceRevisions"][0]["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == first


def test_the_rollback_plan_removes_what_it_can_and_says_what_it_keeps():
    address = Address("Service", "api", "prod")
    tags = [{"key": "ecs-reconciler/managed-by", "value": "ecs-reconciler"}]
    body = {
        "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/api",
        "taskDefinition": "api:2",
        "tags": tags,
    }
    now_on = {
        "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2",
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:tg/api", "containerName": "app"}],
        "volumeConfigurations": [{"name": "data", "managedEBSVolume": {"sizeInGiB": 20}}],
        "platformVersion": "1.4.0",
    }
    back = {
        "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1",
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
    }
    returns = {address: Return("api:1", service_revision=back, now_on=now_on)}
    plan = rollback_plan({address: Live(address, body, True, "ecs-reconciler")}, returns, instance="ecs-reconciler")
    (update,) = plan.actions
    assert {c.path: c.after for c in update.changes} == {
        "taskDefinition": "api:1",
        "capacityProviderStrategy": [],
        "loadBalancers": [],
    }
    assert [n.message for n in plan.notes] == [
        "Service prod/api: volumeConfigurations kept: the previous service revision has none, and UpdateService "
        "cannot remove it"
    ]


def test_ecs_rollback_of_another_instances_service_is_refused_with_nothing_planned():
    address = Address("Service", "api", "prod")
    body = {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/api", "taskDefinition": "api:2"}
    live = Live(address, body, True, "team-b")
    arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/abc"
    plan = rollback_plan({address: live}, {address: Return(None, stop=arn)}, instance="ecs-reconciler")
    assert not plan.actions and [n.blocking for n in plan.notes] == [True]
    mine = rollback_plan(
        {address: Live(address, body, True, "ecs-reconciler")},
        {address: Return(None, stop=arn)},
        instance="ecs-reconciler",
    )
    assert mine.actions == (StopDeployment(address, arn),)


def _revision_of_current(ecs: Any) -> dict[str, Any]:
    arn = _current(ecs)["targetServiceRevision"]["arn"]
    found: dict[str, Any] = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"][0]
    return found


def test_rollback_on_failure_returns_the_whole_previous_service_revision(
    aws, ecs, daemon, gitsync, webhook, monkeypatch
):
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    ec2 = boto3.client("ec2", endpoint_url=aws.endpoint_url, region_name=REGION)
    vpc = ec2.describe_security_groups(GroupIds=[DEMO_SECURITY_GROUP])["SecurityGroups"][0]["VpcId"]
    other = ec2.create_security_group(GroupName="api-new", Description="the new rules", VpcId=vpc)["GroupId"]
    subnets = [DEMO_SUBNETS[0]]
    gitsync.publish(_networked_files("1.0", subnets))  # api:1, the demo group, LATEST (1.4.0)
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--rollback-on-failure", "--alert-webhook", webhook.url)
    eventually(lambda: webhook.alerts("rollout_completed"), what="the first revision rolled out")
    before = _revision_of_current(ecs)
    assert before["platformVersion"] == "1.4.0"

    bad = gitsync.publish(_networked_files("broken", subnets, (other,), platformVersion="1.3.0"))
    rollback = eventually(lambda: webhook.alerts("rollback"), what="the rollback alert")[0]
    assert rollback["revision"] == bad
    assert rollback["errors"] == ["Service prod/api: api:2 -> api:1 with its networkConfiguration, platformVersion"]
    live = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
    assert running(ecs) == "api:1"
    assert live["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [DEMO_SECURITY_GROUP]
    assert live["platformVersion"] == "1.4.0"
    after = _revision_of_current(ecs)
    assert after["serviceRevisionArn"] != before["serviceRevisionArn"], "a new deployment, of the old revision"
    assert after["networkConfiguration"] == before["networkConfiguration"]
    assert after["platformVersion"] == "1.4.0" and after["taskDefinition"] == before["taskDefinition"]
    passes = len(proc.find("pass", result="held"))
    eventually(lambda: len(proc.find("pass", result="held")) >= passes + 2, what="passes over the held revision")
    live = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
    assert live["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [DEMO_SECURITY_GROUP]
    assert proc.stop() == 0


def test_a_service_on_the_old_task_definition_gets_the_rest_of_its_revision_back_and_nothing_when_it_has_it():
    address = Address("Service", "api", "prod")
    tags = [{"key": "ecs-reconciler/managed-by", "value": "ecs-reconciler"}]
    body = {
        "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/api",
        "taskDefinition": "api:1",
        "tags": tags,
    }
    live = Live(address, body, True, "ecs-reconciler")
    definition = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"
    back = {"taskDefinition": definition, "platformVersion": "1.4.0"}
    now_on = {"taskDefinition": definition, "platformVersion": "1.3.0"}
    plan = rollback_plan(
        {address: live}, {address: Return("api:1", service_revision=back, now_on=now_on)}, instance="ecs-reconciler"
    )
    (update,) = plan.actions
    assert [(c.path, c.after) for c in update.changes] == [("platformVersion", "1.4.0")], "no task definition change"
    same = rollback_plan(
        {address: live}, {address: Return("api:1", service_revision=back, now_on=back)}, instance="ecs-reconciler"
    )
    assert not same.actions and [n.message for n in same.notes] == ["Service prod/api: already runs api:1"]
