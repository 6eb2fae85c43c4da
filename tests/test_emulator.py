"""Tests for the embedded AWS emulator: each fidelity patch shows the AWS behaviour it stands for, over HTTP; and the
tests' own middleware around it (tests/faults.py) records calls and injects faults as the other tests rely on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from faults import DROP, HookedEmulator, read_operation_name, start_hooked_emulator

from reconciler.emulator import Emulator, patch_moto, start_emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[HookedEmulator]:
    with start_hooked_emulator() as emu:
        yield emu


@pytest.fixture()
def aws(emulator: HookedEmulator) -> Iterator[HookedEmulator]:
    emulator.reset()
    yield emulator


def client(emu: Emulator | HookedEmulator, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture()
def ecs(aws: HookedEmulator) -> Any:
    ecs = client(aws, "ecs")
    ecs.create_cluster(clusterName="main")
    ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "portMappings": [{"containerPort": 80}]}],
    )
    ecs.register_task_definition(
        family="worker",
        containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 128, "portMappings": [{"containerPort": 8}]}
        ],
    )
    return ecs


@pytest.fixture()
def network(aws: HookedEmulator) -> dict[str, Any]:
    ec2 = client(aws, "ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}


def describe(ecs: Any, name: str) -> dict[str, Any]:
    found: dict[str, Any] = ecs.describe_services(cluster="main", services=[name])["services"][0]
    return found


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


# --- the server --------------------------------------------------------------------------------------------------


def test_calls_are_recorded_in_order_across_protocols(aws: HookedEmulator) -> None:
    ecs = client(aws, "ecs")
    ecs.list_clusters()
    ecs.create_cluster(clusterName="c")
    client(aws, "iam").list_roles()  # query protocol: Action form field
    client(aws, "logs").create_log_group(logGroupName="g")  # JSON protocol: X-Amz-Target
    client(aws, "cloudwatch").put_metric_data(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert aws.calls == ["ListClusters", "CreateCluster", "ListRoles", "CreateLogGroup", "PutMetricData"]
    assert aws.writes() == ["CreateCluster", "CreateLogGroup", "PutMetricData"]
    aws.reset_calls()
    assert aws.calls == []


def test_query_body_reaches_moto_intact(aws: HookedEmulator) -> None:
    iam = client(aws, "iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}', Path="/a/")
    assert iam.get_role(RoleName="r")["Role"]["Path"] == "/a/"
    assert aws.writes() == ["CreateRole"]


def test_reset_empties_state_and_calls(aws: HookedEmulator) -> None:
    ecs = client(aws, "ecs")
    ecs.create_cluster(clusterName="c")
    aws.reset()
    assert aws.calls == []
    assert ecs.list_clusters()["clusterArns"] == []


def test_hooks_see_each_operation_before_dispatch(aws: HookedEmulator) -> None:
    seen: list[str] = []
    aws.hooks.append(seen.append)
    try:
        client(aws, "ecs").list_clusters()
    finally:
        aws.hooks.remove(seen.append)
    assert seen == ["ListClusters"]


@pytest.mark.parametrize(
    ("stage", "status", "code", "created"),
    [("hooks", 503, "ServiceUnavailableException", []), ("after_hooks", 500, "InternalFailure", ["faulted"])],
    ids=["before moto: it never runs", "after moto: a lost response"],
)
def test_a_hook_fault_answers_instead_of_moto(
    aws: HookedEmulator, stage: str, status: int, code: str, created: list[str]
) -> None:
    ecs = client(aws, "ecs")
    getattr(aws, stage).append(lambda op: (status, code, "faulted") if op == "CreateCluster" else None)
    try:
        with pytest.raises(ClientError) as caught:
            ecs.create_cluster(clusterName="faulted")
    finally:
        getattr(aws, stage).clear()
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert [a.rsplit("/", 1)[-1] for a in ecs.list_clusters()["clusterArns"]] == created


@pytest.mark.parametrize("stage", ["hooks", "after_hooks"])
def test_drop_closes_the_connection_before_or_after_moto_runs(aws: HookedEmulator, stage: str) -> None:
    ecs = client(aws, "ecs")
    getattr(aws, stage).append(lambda op: DROP if op == "CreateCluster" else None)
    try:
        with pytest.raises(ConnectionClosedError):
            ecs.create_cluster(clusterName="dropped")
    finally:
        getattr(aws, stage).clear()
    created = [a.rsplit("/", 1)[-1] for a in ecs.list_clusters()["clusterArns"]]
    assert created == ([] if stage == "hooks" else ["dropped"])


def test_after_hooks_that_pass_leave_the_answer_intact(aws: HookedEmulator) -> None:
    seen: list[str] = []
    aws.after_hooks.append(seen.append)
    try:
        answer = client(aws, "ecs").create_cluster(clusterName="fine")
    finally:
        aws.after_hooks.clear()
    assert answer["cluster"]["clusterName"] == "fine"
    assert seen == ["CreateCluster"]


def test_read_operation_name_ignores_moto_api() -> None:
    assert read_operation_name({"PATH_INFO": "/moto-api/reset"}, b"") is None
    assert read_operation_name({"PATH_INFO": "/", "QUERY_STRING": "Action=DescribeVpcs"}, b"") == "DescribeVpcs"


def test_the_product_emulator_serves_patched_moto_and_records_nothing(aws: HookedEmulator) -> None:
    with start_emulator() as plain:
        assert plain.endpoint_url != aws.endpoint_url
        ecs = client(plain, "ecs")
        ecs.create_cluster(clusterName="plain")
        cluster = ecs.describe_clusters(clusters=["plain"], include=["SETTINGS"])["clusters"][0]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "disabled"}]  # a fidelity patch
    assert aws.calls == []  # only the tests' middleware records; the product's server has none
    assert not hasattr(plain, "hooks") and not hasattr(plain, "calls")


def test_patch_moto_is_idempotent(emulator: HookedEmulator) -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    before = EC2ContainerServiceResponse.create_service
    patch_moto()
    assert EC2ContainerServiceResponse.create_service is before


# --- CreateService -------------------------------------------------------------------------------------------------


def test_create_service_keeps_inputs_aws_echoes(ecs: Any, network: dict[str, Any]) -> None:
    ecs.create_service(
        cluster="main",
        serviceName="web",
        taskDefinition="worker",
        desiredCount=1,
        launchType="EC2",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 150},
        placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        placementConstraints=[{"type": "distinctInstance"}],
        healthCheckGracePeriodSeconds=60,
        enableECSManagedTags=True,
        enableExecuteCommand=True,
        propagateTags="SERVICE",
        availabilityZoneRebalancing="DISABLED",
    )
    service = describe(ecs, "web")
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 150,
        "minimumHealthyPercent": 100,
    }
    assert service["placementStrategy"] == [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
    assert service["placementConstraints"] == [{"type": "distinctInstance"}]
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["enableECSManagedTags"] is True
    assert service["enableExecuteCommand"] is True
    assert service["propagateTags"] == "SERVICE"
    assert service["availabilityZoneRebalancing"] == "DISABLED"
    assert service["launchType"] == "EC2"
    assert "networkConfiguration" not in service
    assert "platformVersion" not in service and "platformFamily" not in service


def test_create_service_fills_aws_defaults(ecs: Any, network: dict[str, Any]) -> None:
    ecs.create_service(
        cluster="main",
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network,
    )
    service = describe(ecs, "web")
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert service["enableECSManagedTags"] is False
    assert service["enableExecuteCommand"] is False
    assert service["placementConstraints"] == []
    assert service["placementStrategy"] == []
    assert service["platformVersion"] == "LATEST"
    assert service["platformFamily"] == "Linux"
    assert service["availabilityZoneRebalancing"] == "ENABLED"
    assert "healthCheckGracePeriodSeconds" not in service
    assert service["taskDefinition"].endswith(":task-definition/web:1")


def test_health_check_grace_period_defaults_to_zero_with_load_balancers(ecs: Any) -> None:
    target_group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef"
    ecs.create_service(
        cluster="main",
        serviceName="web",
        taskDefinition="worker",
        desiredCount=0,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8}],
    )
    assert describe(ecs, "web")["healthCheckGracePeriodSeconds"] == 0


def test_capacity_provider_strategy_means_no_launch_type(ecs: Any, network: dict[str, Any]) -> None:
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    ecs.create_service(
        cluster="main",
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        capacityProviderStrategy=strategy,
        networkConfiguration=network,
    )
    service = describe(ecs, "web")
    assert "launchType" not in service
    assert service["capacityProviderStrategy"] == strategy
    assert "launchType" not in service["deployments"][0]
    assert service["deployments"][0]["capacityProviderStrategy"] == strategy
    assert service["platformVersion"] == "LATEST"


def test_repeated_client_token_returns_the_same_service(ecs: Any) -> None:
    first = ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker", clientToken="t-1")
    again = ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker", clientToken="t-1")
    assert again["service"]["serviceArn"] == first["service"]["serviceArn"]
    assert again["service"]["deployments"][0]["id"] == first["service"]["deployments"][0]["id"]


@pytest.mark.parametrize("token", [None, "t-2"])
def test_name_conflict_is_not_idempotent(ecs: Any, token: str | None) -> None:
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker", clientToken="t-1")
    extra = {"clientToken": token} if token else {}
    with pytest.raises(ClientError) as exc:
        ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker", **extra)
    assert error_code(exc) == "InvalidParameterException"
    assert "Creation of service was not idempotent." in str(exc.value)


def test_deleted_service_can_be_created_again(ecs: Any) -> None:
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker")
    ecs.delete_service(cluster="main", service="web")
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker", desiredCount=2)
    assert describe(ecs, "web")["status"] == "ACTIVE"


# --- ListServices / DeleteService / clusters -----------------------------------------------------------------------


def test_deleted_service_is_not_listed_but_describes_inactive(ecs: Any) -> None:
    ecs.create_service(cluster="main", serviceName="gone", taskDefinition="worker")
    ecs.create_service(cluster="main", serviceName="kept", taskDefinition="worker")
    ecs.delete_service(cluster="main", service="gone")
    arns = ecs.list_services(cluster="main")["serviceArns"]
    assert arns == ["arn:aws:ecs:us-east-1:123456789012:service/main/kept"]
    assert describe(ecs, "gone")["status"] == "INACTIVE"


def test_delete_service_scaled_above_zero_needs_force(ecs: Any) -> None:
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker", desiredCount=2)
    with pytest.raises(ClientError) as exc:
        ecs.delete_service(cluster="main", service="web")
    assert error_code(exc) == "InvalidParameterException"
    ecs.delete_service(cluster="main", service="web", force=True)
    with pytest.raises(ClientError) as exc:
        ecs.delete_service(cluster="main", service="web", force=True)
    assert error_code(exc) == "ServiceNotActiveException"


def test_deleted_cluster_is_not_listed(aws: HookedEmulator) -> None:
    ecs = client(aws, "ecs")
    ecs.create_cluster(clusterName="gone")
    ecs.create_cluster(clusterName="kept")
    ecs.delete_cluster(cluster="gone")
    assert ecs.list_clusters()["clusterArns"] == ["arn:aws:ecs:us-east-1:123456789012:cluster/kept"]
    assert ecs.describe_clusters(clusters=["gone"])["clusters"][0]["status"] == "INACTIVE"


def test_cluster_with_active_services_cannot_be_deleted(ecs: Any) -> None:
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker")
    with pytest.raises(ClientError) as exc:
        ecs.delete_cluster(cluster="main")
    assert error_code(exc) == "ClusterContainsServicesException"


def test_describe_clusters_returns_settings_when_asked(aws: HookedEmulator) -> None:
    ecs = client(aws, "ecs")
    ecs.create_cluster(clusterName="c")
    plain = ecs.describe_clusters(clusters=["c"])["clusters"][0]
    assert "settings" not in plain
    assert plain["capacityProviders"] == [] and plain["defaultCapacityProviderStrategy"] == []
    full = ecs.describe_clusters(clusters=["c"], include=["SETTINGS"])["clusters"][0]
    assert full["settings"] == [{"name": "containerInsights", "value": "disabled"}]


def test_a_clusters_managed_instances_provider_is_listed_and_put_cluster_capacity_providers_cannot_touch_it(
    aws: HookedEmulator,
) -> None:
    """ECS API reference, CreateCapacityProvider cluster and PutClusterCapacityProviders; what AWS answers as
    terraform-provider-aws#46346 and #44783 show it."""
    ecs = client(aws, "ecs")
    ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"])
    template = {
        "ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole",
        "networkConfiguration": {"subnets": ["subnet-1"]},
    }
    config = {"infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra", "instanceLaunchTemplate": template}
    ecs.create_capacity_provider(name="mi", cluster="c", managedInstancesProvider=config)

    def listed() -> list[str]:
        return sorted(ecs.describe_clusters(clusters=["c"])["clusters"][0]["capacityProviders"])

    assert listed() == ["FARGATE", "mi"]
    ecs.put_cluster_capacity_providers(
        cluster="c", capacityProviders=["FARGATE_SPOT"], defaultCapacityProviderStrategy=[]
    )
    assert listed() == ["FARGATE_SPOT", "mi"], "left out of the call, it stays"
    with pytest.raises(ClientError) as exc:
        ecs.put_cluster_capacity_providers(cluster="c", capacityProviders=["mi"], defaultCapacityProviderStrategy=[])
    assert error_code(exc) == "InvalidParameterException"
    ecs.delete_capacity_provider(capacityProvider="mi", cluster="c")
    assert listed() == ["FARGATE_SPOT"]


# --- UpdateService -------------------------------------------------------------------------------------------------


def test_update_service_echoes_every_field(ecs: Any, network: dict[str, Any]) -> None:
    ecs.create_service(
        cluster="main",
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network,
    )
    ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx:2"}],
    )
    strategy = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    ecs.update_service(
        cluster="main",
        service="web",
        desiredCount=3,
        taskDefinition="web:2",
        capacityProviderStrategy=strategy,
        deploymentConfiguration={"maximumPercent": 150, "minimumHealthyPercent": 50},
        placementStrategy=[],
        networkConfiguration={"awsvpcConfiguration": {**network["awsvpcConfiguration"], "assignPublicIp": "ENABLED"}},
        enableExecuteCommand=True,
        propagateTags="TASK_DEFINITION",
        enableECSManagedTags=True,
        healthCheckGracePeriodSeconds=15,
        platformVersion="1.4.0",
    )
    service = describe(ecs, "web")
    assert service["desiredCount"] == 3
    assert service["taskDefinition"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
    assert service["capacityProviderStrategy"] == strategy
    assert "launchType" not in service
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
    }
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    assert service["enableExecuteCommand"] is True
    assert service["propagateTags"] == "TASK_DEFINITION"
    assert service["enableECSManagedTags"] is True
    assert service["healthCheckGracePeriodSeconds"] == 15
    assert service["platformVersion"] == "1.4.0"
    primary = service["deployments"][0]
    assert primary["taskDefinition"] == service["taskDefinition"]
    assert primary["desiredCount"] == 3
    assert "launchType" not in primary


def test_update_service_load_balancers(ecs: Any) -> None:
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker")
    target_group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef"
    balancers = [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8}]
    ecs.update_service(cluster="main", service="web", loadBalancers=balancers)
    assert describe(ecs, "web")["loadBalancers"] == balancers


def test_update_deleted_service_is_not_active(ecs: Any) -> None:
    ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker")
    ecs.delete_service(cluster="main", service="web")
    with pytest.raises(ClientError) as exc:
        ecs.update_service(cluster="main", service="web", desiredCount=1)
    assert error_code(exc) == "ServiceNotActiveException"


# --- task definitions and tags -------------------------------------------------------------------------------------


def test_port_mappings_get_tcp_and_awsvpc_host_port(ecs: Any) -> None:
    web = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert web["containerDefinitions"][0]["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    worker = ecs.describe_task_definition(taskDefinition="worker")["taskDefinition"]
    assert worker["networkMode"] == "bridge"
    assert worker["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8, "protocol": "tcp"}]


@pytest.mark.parametrize("kind", ["cluster", "service", "task-definition"])
def test_tags_on_clusters_services_and_task_definitions(ecs: Any, kind: str) -> None:
    if kind == "cluster":
        arn = ecs.describe_clusters(clusters=["main"])["clusters"][0]["clusterArn"]
    elif kind == "service":
        arn = ecs.create_service(cluster="main", serviceName="web", taskDefinition="worker")["service"]["serviceArn"]
    else:
        arn = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["taskDefinitionArn"]
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == []
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}])
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "b"}])
    ecs.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "b"}]
