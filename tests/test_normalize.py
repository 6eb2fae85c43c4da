"""Diff without noise against real AWS answers: each fixture is a response published in AWS's SDK examples or CLI
documentation (its source is named inside). A manifest that says what the resource was created with must show no
diff against it; a real change must show exactly that field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.kind import PlanContext
from reconciler.core.model import Address, Live, Resource
from reconciler.kinds import KINDS
from reconciler.kinds.cloud_map import attach_namespaces
from reconciler.kinds.defaults import TABLE

FIXTURES = Path(__file__).parent / "fixtures" / "aws"


def fixture(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return answer


def resource(kind: str, name: str, spec_yaml: str, cluster_name: str | None = None) -> Resource:
    return Resource(Address(kind, name, cluster_name), yaml.safe_load(spec_yaml), "test.yaml", 1)


def diff(desired: Resource, live: Live, *, task_definition: str | None = None) -> list[FieldChange]:
    """The kind's pure diff; for a service, ``task_definition`` is the family:revision the plan resolved."""
    if task_definition is not None:
        desired = Resource(desired.address, {**desired.spec, "taskDefinition": task_definition}, "test.yaml", 1)
    return KINDS.of(desired.address).diff(desired, live, PlanContext({}, {}))


def live_service(body: dict[str, Any]) -> Live:
    return Live(Address("Service", body["serviceName"], "c"), body, managed=True)


def live_task(body: dict[str, Any]) -> Live:
    return Live(Address("TaskDefinition", body["family"]), body, managed=True)


HELLO_WORLD = """
containerDefinitions:
  - name: wordpress
    image: wordpress
    cpu: 10
    memory: 500
    links: [mysql]
    portMappings: [{containerPort: 80, hostPort: 80}]
  - name: mysql
    image: mysql
    cpu: 10
    memory: 500
    environment: [{name: MYSQL_ROOT_PASSWORD, value: password}]
"""


def test_task_definition_as_aws_returns_it_matches_its_manifest():
    live = live_task(fixture("describe-task-definition-hello-world.json")["taskDefinition"])
    assert diff(resource("TaskDefinition", "hello_world", HELLO_WORLD), live) == []


def test_task_definition_container_order_and_defaults_do_not_matter():
    reordered = yaml.safe_load(HELLO_WORLD)
    reordered["containerDefinitions"].reverse()
    reordered["containerDefinitions"][0]["essential"] = True
    live = live_task(fixture("describe-task-definition-hello-world.json")["taskDefinition"])
    spec = Resource(Address("TaskDefinition", "hello_world"), reordered, "t.yaml", 1)
    assert diff(spec, live) == []


def test_task_definition_real_change_and_removal_are_both_seen():
    live = live_task(fixture("describe-task-definition-hello-world.json")["taskDefinition"])
    changed = HELLO_WORLD.replace("image: mysql", "image: mysql:8.4").replace("    links: [mysql]\n", "")
    changes = {c.path: (c.before, c.after) for c in diff(resource("TaskDefinition", "h", changed), live)}
    assert changes == {
        "containerDefinitions.mysql.image": ("mysql", "mysql:8.4"),
        "containerDefinitions.wordpress.links": (["mysql"], ABSENT),
    }


def test_registered_revision_matches_the_cli_input_it_came_from():
    live = live_task(fixture("register-task-definition-sleep360.json")["taskDefinition"])
    spec = """
containerDefinitions:
  - {name: sleep, image: busybox, cpu: 10, command: ["sleep", "360"], memory: 10, essential: true}
"""
    assert diff(resource("TaskDefinition", "sleep360", spec), live) == []


def test_awsvpc_port_mapping_defaults():
    live = {
        "family": "web",
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "nginx",
                "cpu": 0,
                "essential": True,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "environment": [],
                "mountPoints": [],
                "volumesFrom": [],
                "systemControls": [],
            }
        ],
        "volumes": [],
        "placementConstraints": [],
        "compatibilities": ["EC2", "FARGATE"],
        "requiresAttributes": [{"name": "ecs.capability.task-eni"}],
        "registeredBy": "arn:aws:sts::1:assumed-role/x",
    }
    spec = "networkMode: awsvpc\ncontainerDefinitions: [{name: app, image: nginx, portMappings: [{containerPort: 80}]}]"
    assert diff(resource("TaskDefinition", "web", spec), live_task(live)) == []


def test_fargate_sizes_in_units_compare_equal_to_aws_numbers():
    live = {"family": "w", "cpu": "1024", "memory": "2048", "containerDefinitions": [{"name": "a", "image": "x"}]}
    spec = "cpu: 1 vCPU\nmemory: 2 GB\ncontainerDefinitions: [{name: a, image: x}]"
    assert diff(resource("TaskDefinition", "w", spec), live_task(live)) == []


SIMPLE_SERVICE = """
cluster: default
taskDefinition: hello_world:6
desiredCount: 1
"""


def test_service_with_aws_defaults_filled_matches_a_minimal_manifest():
    body = fixture("describe-services-ecs-simple-service.json")["services"][0]
    changes = diff(
        resource("Service", "ecs-simple-service", SIMPLE_SERVICE, "default"),
        live_service(body),
        task_definition="hello_world:6",
    )
    assert changes == []


def test_fargate_service_from_the_cli_docs_matches_its_create_input():
    body = fixture("create-service-fargate.json")["service"]
    spec = """
cluster: MyCluster
taskDefinition: sample-fargate:1
desiredCount: 2
launchType: FARGATE
platformVersion: LATEST
networkConfiguration:
  awsvpcConfiguration: {subnets: [subnet-12344321], securityGroups: [sg-12344321], assignPublicIp: ENABLED}
tags: [{key: key1, value: value1}, {key: key3, value: value3}, {key: key2, value: value2}]
"""
    # AWS filled in the service-linked role, deploymentConfiguration 200/100 and the empty placement lists.
    assert (
        diff(
            resource("Service", "MyService", spec, "MyCluster"), live_service(body), task_definition="sample-fargate:1"
        )
        == []
    )


def test_role_name_and_role_arn_are_the_same_thing():
    body = fixture("create-service-elb.json")["service"]
    spec = """
cluster: MyCluster
taskDefinition: ecs-demo
loadBalancers: [{loadBalancerName: EC2Contai-EcsElast-123456789012, containerName: ecs-demo, containerPort: 80}]
desiredCount: 10
role: ecsServiceRole
"""
    assert (
        diff(
            resource("Service", "ecs-simple-service-elb", spec, "MyCluster"),
            live_service(body),
            task_definition="ecs-demo:1",
        )
        == []
    )


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        ("desiredCount: 1", "desiredCount"),
        ("assignPublicIp: DISABLED", "networkConfiguration.awsvpcConfiguration.assignPublicIp"),
        ("placementStrategy: [{type: spread, field: attribute:ecs.availability-zone}]", "placementStrategy"),
        (
            "deploymentConfiguration: {deploymentCircuitBreaker: {enable: true, rollback: false}}",
            "deploymentConfiguration.deploymentCircuitBreaker.enable",
        ),
    ],
)
def test_real_service_changes_are_seen(edit, path):
    body = fixture("create-service-fargate.json")["service"]
    spec = yaml.safe_load("""
cluster: MyCluster
taskDefinition: sample-fargate:1
desiredCount: 2
launchType: FARGATE
networkConfiguration:
  awsvpcConfiguration: {subnets: [subnet-12344321], securityGroups: [sg-12344321], assignPublicIp: ENABLED}
""")
    key, _, value = edit.partition(": ")
    if key == "assignPublicIp":
        spec["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = value
    else:
        spec[key] = yaml.safe_load(value)
    res = Resource(Address("Service", "MyService", "MyCluster"), spec, "s.yaml", 1)
    changes = diff(res, live_service(body), task_definition="sample-fargate:1")
    assert [c.path for c in changes] == [path]


def test_cluster_from_the_sdk_example_matches_an_empty_manifest():
    body = {
        "clusterArn": "arn:aws:ecs:us-east-1:aws_account_id:cluster/default",
        "clusterName": "default",
        "status": "ACTIVE",
    }
    live = Live(Address("Cluster", "default"), body, managed=True)
    assert diff(resource("Cluster", "default", "{}"), live) == []


def test_cluster_settings_are_compared_by_name():
    body = {
        "clusterName": "c",
        "settings": [{"name": "containerInsights", "value": "enhanced"}],
        "capacityProviders": ["FARGATE_SPOT", "FARGATE"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
    }
    spec = """
settings: [{name: containerInsights, value: enabled}]
capacityProviders: [FARGATE, FARGATE_SPOT]
defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]
"""
    changes = diff(resource("Cluster", "c", spec), Live(Address("Cluster", "c"), body, managed=True))
    assert [(c.path, c.before, c.after) for c in changes] == [("settings.containerInsights", "enhanced", "enabled")]


# --- the defaults table (reconciler.kinds.defaults) -----------------------------------------------------------------

BRIDGE_WEB = """
containerDefinitions:
  - name: web
    image: nginx:1.27
    memory: 256
    portMappings: [{containerPort: 80}]
    healthCheck: {command: [CMD-SHELL, curl -f http://localhost/ || exit 1]}
"""
BRIDGE_WEB_ANSWER = {
    "family": "web",
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "cpu": 0,
            "memory": 256,
            "essential": True,
            "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
            },
            "environment": [],
            "mountPoints": [],
            "volumesFrom": [],
            "systemControls": [],
        }
    ],
    "volumes": [],
    "enableFaultInjection": False,
}


def test_bridge_task_definition_with_every_default_aws_fills_matches_its_manifest():
    assert diff(resource("TaskDefinition", "web", BRIDGE_WEB), live_task(BRIDGE_WEB_ANSWER)) == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("enableFaultInjection", True),
        ("containerDefinitions.0.healthCheck.interval", 10),
        ("containerDefinitions.0.portMappings.0.hostPort", 8080),
        ("containerDefinitions.0.essential", False),
    ],
)
def test_a_live_value_away_from_the_default_is_seen_while_the_manifest_omits_the_field(field, value):
    body = json.loads(json.dumps(BRIDGE_WEB_ANSWER))
    *parents, last = [int(p) if p.isdigit() else p for p in field.split(".")]
    target = body
    for part in parents:
        target = target[part]
    target[last] = value
    changes = diff(resource("TaskDefinition", "web", BRIDGE_WEB), live_task(body))
    assert len(changes) == 1 and changes[0].path.startswith(field.split(".")[0])


DAEMON = """
cluster: c
taskDefinition: agent:3
schedulingStrategy: DAEMON
"""
DAEMON_ANSWER = {
    "serviceName": "agent",
    "taskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/agent:3",
    "desiredCount": 4,
    "launchType": "EC2",
    "schedulingStrategy": "DAEMON",
    "deploymentConfiguration": {"maximumPercent": 100, "minimumHealthyPercent": 0},
    "healthCheckGracePeriodSeconds": 0,
}


def test_daemon_service_is_compared_against_the_daemon_deployment_defaults():
    desired = resource("Service", "agent", DAEMON, "c")
    assert diff(desired, live_service(DAEMON_ANSWER), task_definition="agent:3") == []
    replica_like = {**DAEMON_ANSWER, "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}}
    changes = diff(desired, live_service(replica_like), task_definition="agent:3")
    assert {(c.path, c.before, c.after) for c in changes} == {
        ("deploymentConfiguration.maximumPercent", 200, 100),
        ("deploymentConfiguration.minimumHealthyPercent", 100, 0),
    }


def test_health_check_grace_period_drift_is_corrected_though_the_manifest_omits_it():
    desired = resource("Service", "agent", DAEMON, "c")
    changes = diff(
        desired, live_service({**DAEMON_ANSWER, "healthCheckGracePeriodSeconds": 120}), task_definition="agent:3"
    )
    assert [(c.path, c.before, c.after) for c in changes] == [("healthCheckGracePeriodSeconds", 120, 0)]


def test_availability_zone_rebalancing_is_compared_only_when_the_manifest_sets_it():
    desired = resource("Service", "agent", DAEMON, "c")
    old = live_service({**DAEMON_ANSWER, "availabilityZoneRebalancing": "DISABLED"})
    assert diff(desired, old, task_definition="agent:3") == []
    pinned = resource("Service", "agent", DAEMON + "availabilityZoneRebalancing: ENABLED\n", "c")
    assert [c.path for c in diff(pinned, old, task_definition="agent:3")] == ["availabilityZoneRebalancing"]


CONNECTED = """
cluster: c
taskDefinition: web:1
serviceConnectConfiguration:
  enabled: true
  namespace: {namespace}
"""
NAMESPACE_ARN = "arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-EXAMPLE"


@pytest.mark.parametrize("written", ["service-connect", NAMESPACE_ARN])
@pytest.mark.parametrize("answered", ["service-connect", NAMESPACE_ARN])
def test_service_connect_namespace_by_name_or_arn_matches_once_resolved(written, answered):
    body: dict[str, Any] = {
        "serviceName": "web",
        "taskDefinition": "arn:aws:ecs:us-west-2:123456789012:task-definition/web:1",
        "deployments": [{"status": "PRIMARY", "serviceConnectConfiguration": {"enabled": True, "namespace": answered}}],
    }
    desired = resource("Service", "web", CONNECTED.format(namespace=written), "c")
    unresolved = diff(desired, live_service(json.loads(json.dumps(body))), task_definition="web:1")
    assert [c.path for c in unresolved] == ([] if written == answered else ["serviceConnectConfiguration.namespace"])
    attach_namespaces(
        [body["deployments"][0]["serviceConnectConfiguration"]], [{"Name": "service-connect", "Arn": NAMESPACE_ARN}]
    )
    assert diff(desired, live_service(body), task_definition="web:1") == []


def test_every_default_names_its_aws_source():
    assert all(d.source.startswith(("API ", "DG ", "Logs ", "Scheduler ", "SG ")) for d in TABLE)
    keys = [(d.at, d.field, tuple(sorted(d.when.items()))) for d in TABLE]
    assert len(keys) == len(set(keys)), "a default is written twice"


def test_vpc_lattice_configuration_is_read_from_the_primary_deployment():
    lattice = [
        {
            "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRoleVpcLattice",
            "targetGroupArn": "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0",
            "portName": "web-80-tcp",
        }
    ]
    body = {
        "serviceName": "web",
        "taskDefinition": "arn:aws:ecs:us-west-2:123456789012:task-definition/web:1",
        "deployments": [{"status": "PRIMARY", "vpcLatticeConfigurations": lattice}],
    }
    desired = Resource(Address("Service", "web", "c"), {"cluster": "c", "vpcLatticeConfigurations": lattice}, "t", 1)
    assert diff(desired, live_service(body), task_definition="web:1") == []
