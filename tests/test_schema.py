"""Tests for reconciler.core.schema: specs checked and converted against botocore's service models."""

from __future__ import annotations

import copy
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core.schema import ShapeProblem, check_input
from reconciler.core.shapes import (
    camel_to_pascal,
    coerce_scalars,
    from_api_case,
    input_members,
    pascal_to_camel,
    to_api_case,
)
from reconciler.kinds import KINDS

TASK_DEFINITION = yaml.safe_load(
    """
    cpu: "256"
    memory: "512"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    executionRoleArn: arn:aws:iam::123456789012:role/exec
    containerDefinitions:
      - name: web
        image: nginx:1.27
        essential: true
        portMappings:
          - containerPort: 80
            protocol: tcp
        environment:
          - {name: MODE, value: production}
        logConfiguration:
          logDriver: awslogs
          options: {awslogs-group: /ecs/web, awslogs-region: eu-west-1}
        healthCheck:
          command: [CMD-SHELL, curl -f http://localhost/ || exit 1]
          interval: 30
        dockerLabels: {com.example.team: web}
    tags:
      - {key: team, value: web}
    """
)

SERVICE = yaml.safe_load(
    """
    cluster: main
    taskDefinition: web
    desiredCount: 2
    launchType: FARGATE
    networkConfiguration:
      awsvpcConfiguration:
        subnets: [subnet-1, subnet-2]
        securityGroups: [sg-1]
        assignPublicIp: DISABLED
    deploymentConfiguration:
      maximumPercent: 200
      minimumHealthyPercent: 100
      deploymentCircuitBreaker: {enable: true, rollback: true}
    """
)

CLUSTER = yaml.safe_load(
    """
    settings:
      - {name: containerInsights, value: enabled}
    capacityProviders: [FARGATE, FARGATE_SPOT]
    defaultCapacityProviderStrategy:
      - {capacityProvider: FARGATE, weight: 1, base: 1}
    """
)

SCALING_POLICY = yaml.safe_load(
    """
    policyName: cpu-target
    serviceNamespace: ecs
    resourceId: service/main/web
    scalableDimension: ecs:service:DesiredCount
    policyType: TargetTrackingScaling
    targetTrackingScalingPolicyConfiguration:
      targetValue: 60.0
      scaleInCooldown: 120
      scaleOutCooldown: 60
      disableScaleIn: false
      customizedMetricSpecification:
        metricName: CPUUtilization
        namespace: AWS/ECS
        statistic: Average
        dimensions:
          - {name: ClusterName, value: main}
          - {name: ServiceName, value: web}
    """
)

METRIC_ALARM = yaml.safe_load(
    """
    alarmName: web-5xx
    namespace: AWS/ApplicationELB
    metricName: HTTPCode_Target_5XX_Count
    statistic: Sum
    period: 60
    evaluationPeriods: 3
    threshold: 10
    comparisonOperator: GreaterThanOrEqualToThreshold
    treatMissingData: notBreaching
    okActions: [arn:aws:sns:eu-west-1:123456789012:ok]
    alarmActions: [arn:aws:sns:eu-west-1:123456789012:page]
    dimensions:
      - {name: LoadBalancer, value: app/web/123}
    tags:
      - {key: team, value: web}
    """
)

SCALABLE_TARGET = yaml.safe_load(
    """
    serviceNamespace: ecs
    resourceId: service/main/web
    scalableDimension: ecs:service:DesiredCount
    minCapacity: 1
    maxCapacity: 10
    roleARN: arn:aws:iam::123456789012:role/scaling
    tags: {team: web, cost-center: "42"}
    """
)


def with_changes(document: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``document`` with ``changes`` applied; a key like ``containerDefinitions.0.image`` reaches into
    lists, and a value of ``DELETE`` removes the key."""
    result = copy.deepcopy(document)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target: Any = result
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value == "DELETE":
            del target[last]
        else:
            target[int(last) if isinstance(target, list) else last] = value
    return result


# --- check_input: valid documents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "params", "provided", "user_case"),
    [
        ("ecs", "RegisterTaskDefinition", TASK_DEFINITION, ["family"], False),
        ("ecs", "CreateService", SERVICE, ["serviceName"], False),
        ("ecs", "CreateCluster", CLUSTER, ["clusterName"], False),
        ("ecs", "CreateCluster", {}, [], False),
        ("logs", "CreateLogGroup", {"logGroupClass": "STANDARD"}, ["logGroupName"], False),
        ("application-autoscaling", "PutScalingPolicy", SCALING_POLICY, [], True),
        ("application-autoscaling", "RegisterScalableTarget", SCALABLE_TARGET, [], True),
        ("cloudwatch", "PutMetricAlarm", METRIC_ALARM, [], True),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_valid_input_has_no_problems(
    service: str, operation: str, params: dict[str, Any], provided: list[str], user_case: bool
) -> None:
    assert check_input(service, operation, params, provided=provided, user_case=user_case) == []


def test_valid_api_case_documents_have_no_problems() -> None:
    for service, operation, document in [
        ("application-autoscaling", "PutScalingPolicy", SCALING_POLICY),
        ("cloudwatch", "PutMetricAlarm", METRIC_ALARM),
    ]:
        assert check_input(service, operation, to_api_case(service, operation, document)) == []


# --- check_input: problems ---------------------------------------------------------------------------------------

ECS_CASES = yaml.safe_load(
    """
    - id: unknown field with suggestion
      changes: {containerDefinitions.0.imagee: nginx}
      problems:
        - path: containerDefinitions[0].imagee
          message: "unknown field 'imagee' (did you mean 'image'?)"
    - id: unknown field without a close name
      changes: {zzz: 1}
      problems:
        - path: zzz
          message: "unknown field 'zzz'"
    - id: unknown top-level field in the wrong case
      changes: {NetworkMode: awsvpc}
      problems:
        - path: NetworkMode
          message: "unknown field 'NetworkMode' (did you mean 'networkMode'?)"
    - id: integer given as string
      changes: {containerDefinitions.0.portMappings.0.containerPort: "80"}
      problems:
        - path: containerDefinitions[0].portMappings[0].containerPort
          message: "expected integer, got string '80'"
    - id: cpu given as integer
      changes: {cpu: 256}
      problems:
        - path: cpu
          message: 'expected string, got integer 256; quote it: "256"'
    - id: boolean is not an integer
      changes: {containerDefinitions.0.portMappings.0.containerPort: true}
      problems:
        - path: containerDefinitions[0].portMappings[0].containerPort
          message: "expected integer, got boolean true"
    - id: string is not a boolean
      changes: {containerDefinitions.0.essential: "yes"}
      problems:
        - path: containerDefinitions[0].essential
          message: "expected boolean, got string 'yes'"
    - id: null value
      changes: {memory: null}
      problems:
        - path: memory
          message: "expected string, got null"
    - id: mapping where a list is expected
      changes: {containerDefinitions.0.portMappings: {containerPort: 80}}
      problems:
        - path: containerDefinitions[0].portMappings
          message: "expected list, got mapping"
    - id: list where a structure is expected
      changes: {containerDefinitions.0.logConfiguration: [awslogs]}
      problems:
        - path: containerDefinitions[0].logConfiguration
          message: "expected mapping, got list"
    - id: map value of the wrong type, key not an identifier
      changes: {containerDefinitions.0.dockerLabels: {com.example.port: 80}}
      problems:
        - path: 'containerDefinitions[0].dockerLabels["com.example.port"]'
          message: 'expected string, got integer 80; quote it: "80"'
    - id: missing required field of a nested structure
      changes: {containerDefinitions.0.logConfiguration.logDriver: DELETE}
      problems:
        - path: containerDefinitions[0].logConfiguration
          message: "missing required field 'logDriver'"
    - id: bad enum with suggestion
      changes: {requiresCompatibilities: [FARGTE]}
      problems:
        - path: requiresCompatibilities[0]
          message: "must be one of: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES; got 'FARGTE' (did you mean 'FARGATE'?)"
    - id: bad enum in a nested list
      changes: {containerDefinitions.0.portMappings.0.protocol: TCP}
      problems:
        - path: containerDefinitions[0].portMappings[0].protocol
          message: "must be one of: tcp, udp; got 'TCP' (did you mean 'tcp'?)"
    - id: string shorter than its minimum
      changes: {tags.0.key: ""}
      problems:
        - path: tags[0].key
          message: "length must be at least 1, got 0"
    - id: several problems at once, in walk order
      changes:
        cpu: 256
        networkMode: awsvp
        containerDefinitions.0.portMappings.0.containerPort: "80"
        containerDefinitions.0.imagee: x
      problems:
        - path: cpu
          message: 'expected string, got integer 256; quote it: "256"'
        - path: networkMode
          message: "must be one of: bridge, host, awsvpc, none; got 'awsvp' (did you mean 'awsvpc'?)"
        - path: containerDefinitions[0].portMappings[0].containerPort
          message: "expected integer, got string '80'"
        - path: containerDefinitions[0].imagee
          message: "unknown field 'imagee' (did you mean 'image'?)"
    """
)


@pytest.mark.parametrize("case", ECS_CASES, ids=[case["id"] for case in ECS_CASES])
def test_task_definition_problems(case: dict[str, Any]) -> None:
    params = with_changes(TASK_DEFINITION, case["changes"])
    expected = [ShapeProblem(**problem) for problem in case["problems"]]
    assert check_input("ecs", "RegisterTaskDefinition", params, provided=["family"]) == expected


@pytest.mark.parametrize(
    ("service", "operation", "params", "provided", "expected"),
    [
        ("ecs", "RegisterTaskDefinition", TASK_DEFINITION, [], [ShapeProblem("", "missing required field 'family'")]),
        ("ecs", "RegisterTaskDefinition", TASK_DEFINITION, ["family"], []),
        (
            "ecs",
            "RegisterTaskDefinition",
            {},
            ["family"],
            [ShapeProblem("", "missing required field 'containerDefinitions'")],
        ),
        ("ecs", "CreateService", SERVICE, [], [ShapeProblem("", "missing required field 'serviceName'")]),
        (
            "logs",
            "CreateLogGroup",
            {},
            [],
            [ShapeProblem("", "missing required field 'logGroupName'")],
        ),
    ],
)
def test_missing_required(
    service: str, operation: str, params: Any, provided: list[str], expected: list[ShapeProblem]
) -> None:
    assert check_input(service, operation, params, provided=provided) == expected


def test_top_level_must_be_a_mapping() -> None:
    assert check_input("ecs", "CreateCluster", ["x"]) == [ShapeProblem("", "expected mapping, got list")]


ALARM_CASES = [
    ({"evaluationPeriods": 0}, [ShapeProblem("evaluationPeriods", "must be at least 1, got 0")]),
    ({"alarmName": "x" * 256}, [ShapeProblem("alarmName", "length must be at most 255, got 256")]),
    (
        {"dimensions": [{"name": "D", "value": "v"}] * 31},
        [ShapeProblem("dimensions", "must have at most 30 items, got 31")],
    ),
    (
        {"dimensions": [{"name": "ClusterName"}]},
        [ShapeProblem("dimensions[0]", "missing required field 'value'")],
    ),
    ({"threshold": "10"}, [ShapeProblem("threshold", "expected number, got string '10'")]),
    ({"threshold": 0.5}, []),
    (
        {"evaluationCriteria": {"promQLCriteria": {"query": "up", "pendingPeriod": 86401}}},
        [ShapeProblem("evaluationCriteria.promQLCriteria.pendingPeriod", "must be at most 86400, got 86401")],
    ),
    (
        {"evaluationCriteria": {}},
        [ShapeProblem("evaluationCriteria", "must set exactly one of: promQLCriteria")],
    ),
    (
        {"okactions": []},
        [ShapeProblem("okactions", "unknown field 'okactions' (did you mean 'okActions'?)")],
    ),
]


@pytest.mark.parametrize(("changes", "expected"), ALARM_CASES)
def test_metric_alarm_problems_in_user_case(changes: dict[str, Any], expected: list[ShapeProblem]) -> None:
    assert check_input("cloudwatch", "PutMetricAlarm", {**METRIC_ALARM, **changes}, user_case=True) == expected


def test_metric_alarm_problems_in_api_case_name_api_members() -> None:
    params = to_api_case("cloudwatch", "PutMetricAlarm", {**METRIC_ALARM, "evaluationPeriods": 0, "unit": "Secs"})
    assert check_input("cloudwatch", "PutMetricAlarm", params) == [
        ShapeProblem("EvaluationPeriods", "must be at least 1, got 0"),
        ShapeProblem(
            "Unit",
            "must be one of: Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, Megabytes, Gigabytes, Terabytes, "
            "Bits, Kilobits, Megabits, Gigabits, Terabits, Percent, Count, Bytes/Second, Kilobytes/Second, "
            "Megabytes/Second, Gigabytes/Second, Terabytes/Second, ... (7 more); got 'Secs' (did you mean 'Seconds'?)",
        ),
    ]


def test_camel_case_keys_are_unknown_in_api_case() -> None:
    problems = check_input("cloudwatch", "PutMetricAlarm", {"AlarmName": "a", "okActions": []})
    assert problems == [ShapeProblem("okActions", "unknown field 'okActions' (did you mean 'OKActions'?)")]


def test_map_keys_are_checked() -> None:
    params = {**SCALABLE_TARGET, "tags": {"": "x"}}
    problems = check_input("application-autoscaling", "RegisterScalableTarget", params, user_case=True)
    assert problems == [ShapeProblem('tags[""]', "map key: length must be at least 1, got 0")]


def test_sensitive_values_are_not_echoed() -> None:
    params = with_changes(TASK_DEFINITION, {"containerDefinitions.0.environment.0.value": 8080})
    problems = check_input("ecs", "RegisterTaskDefinition", params, provided=["family"])
    assert problems == [
        ShapeProblem(
            "containerDefinitions[0].environment[0].value", "expected string, got integer <hidden: sensitive>; quote it"
        )
    ]


def test_long_values_are_truncated() -> None:
    params = with_changes(TASK_DEFINITION, {"containerDefinitions.0.essential": "y" * 100})
    (problem,) = check_input("ecs", "RegisterTaskDefinition", params, provided=["family"])
    assert problem.message == f"expected boolean, got string '{'y' * 37}...'"


def test_programming_errors_raise() -> None:
    with pytest.raises(ValueError, match="not members"):
        check_input("ecs", "CreateService", {}, provided=["servicename"])
    with pytest.raises(ValueError, match="unknown AWS service"):
        check_input("nope", "CreateThing", {})
    with pytest.raises(ValueError, match="unknown operation"):
        check_input("ecs", "CreateThing", {})


def test_input_members() -> None:
    assert "family" in input_members("ecs", "RegisterTaskDefinition")
    assert input_members("application-autoscaling", "PutScalingPolicy") >= {"PolicyName", "PolicyType"}


def test_a_twenty_container_task_definition_is_checked_container_by_container() -> None:
    container = TASK_DEFINITION["containerDefinitions"][0]
    params = {**TASK_DEFINITION, "containerDefinitions": [{**container, "name": f"c{i}"} for i in range(20)]}
    assert check_input("ecs", "RegisterTaskDefinition", params, provided=["family"]) == []
    params["containerDefinitions"][19] = {**container, "name": "c19", "memory": "a lot"}
    [problem] = check_input("ecs", "RegisterTaskDefinition", params, provided=["family"])
    assert "containerDefinitions[19].memory" in str(problem)


# --- botocore as the oracle: whatever it refuses, the walk itself reports ----------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "image", "value", "containerPort", "x"]), children, max_size=3)
    ),
    max_leaves=8,
)
REGISTER_TASK_DEFINITION_INPUT = (
    botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
)
MUTATED_PATHS = [
    "cpu",
    "networkMode",
    "volumes",
    "tags",
    "containerDefinitions.0",
    "containerDefinitions.0.portMappings",
    "containerDefinitions.0.portMappings.0.containerPort",
    "containerDefinitions.0.essential",
    "containerDefinitions.0.environment.0",
    "containerDefinitions.0.healthCheck",
    "containerDefinitions.0.dockerLabels",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(MUTATED_PATHS), value=JSON_VALUES)
def test_walk_reports_whatever_botocore_refuses(path: str, value: Any) -> None:
    params = with_changes(TASK_DEFINITION, {path: value})
    refused = ParamValidator().validate({**params, "family": "f"}, REGISTER_TASK_DEFINITION_INPUT).has_errors()
    problems = check_input("ecs", "RegisterTaskDefinition", params, provided=["family"])
    assert not any(problem.message.startswith("botocore:") for problem in problems)
    if refused:
        assert problems


# --- coercion ----------------------------------------------------------------------------------------------------


def test_coerce_scalars_fixes_yaml_typing() -> None:
    params = with_changes(
        TASK_DEFINITION,
        {
            "cpu": 256,
            "memory": 512,
            "containerDefinitions.0.portMappings.0.containerPort": "80",
            "containerDefinitions.0.environment.0.value": 8080,
            "containerDefinitions.0.dockerLabels": {"port": 80},
            "containerDefinitions.0.essential": "true",
        },
    )
    before = copy.deepcopy(params)
    coerced = coerce_scalars("ecs", "RegisterTaskDefinition", params)
    assert params == before  # not mutated
    assert coerced["cpu"] == "256"
    assert coerced["memory"] == "512"
    container = coerced["containerDefinitions"][0]
    assert container["portMappings"][0]["containerPort"] == 80
    assert container["environment"][0]["value"] == "8080"
    assert container["dockerLabels"] == {"port": "80"}
    assert container["essential"] == "true"  # booleans are never coerced
    assert check_input("ecs", "RegisterTaskDefinition", coerced, provided=["family"]) == [
        ShapeProblem("containerDefinitions[0].essential", "expected boolean, got string 'true'")
    ]


def test_coerce_scalars_leaves_booleans_and_non_numbers() -> None:
    params = {"cpu": True, "memory": "lots", "containerDefinitions": [{"cpu": "1.5", "memory": "  64 "}]}
    assert coerce_scalars("ecs", "RegisterTaskDefinition", params) == {
        "cpu": True,
        "memory": "lots",
        "containerDefinitions": [{"cpu": "1.5", "memory": 64}],
    }


def test_coerce_scalars_numbers_in_either_case() -> None:
    assert coerce_scalars("cloudwatch", "PutMetricAlarm", {"threshold": "80", "Period": "60"}) == {
        "threshold": 80.0,
        "Period": 60,
    }


# --- case conversion ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pascal", "camel"),
    [
        ("PolicyName", "policyName"),
        ("OKActions", "okActions"),
        ("ARN", "arn"),
        ("RoleARN", "roleARN"),
        ("DNSName", "dnsName"),
        ("containerPort", "containerPort"),
        ("X", "x"),
        ("", ""),
    ],
)
def test_pascal_to_camel(pascal: str, camel: str) -> None:
    assert pascal_to_camel(pascal) == camel


def test_camel_to_pascal_is_naive() -> None:
    assert camel_to_pascal("policyName") == "PolicyName"
    assert camel_to_pascal("okActions") == "OkActions"


def test_to_api_case_scaling_policy() -> None:
    assert to_api_case("application-autoscaling", "PutScalingPolicy", SCALING_POLICY) == {
        "PolicyName": "cpu-target",
        "ServiceNamespace": "ecs",
        "ResourceId": "service/main/web",
        "ScalableDimension": "ecs:service:DesiredCount",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 60.0,
            "ScaleInCooldown": 120,
            "ScaleOutCooldown": 60,
            "DisableScaleIn": False,
            "CustomizedMetricSpecification": {
                "MetricName": "CPUUtilization",
                "Namespace": "AWS/ECS",
                "Statistic": "Average",
                "Dimensions": [
                    {"Name": "ClusterName", "Value": "main"},
                    {"Name": "ServiceName", "Value": "web"},
                ],
            },
        },
    }


def test_to_api_case_metric_alarm() -> None:
    api = to_api_case("cloudwatch", "PutMetricAlarm", {**METRIC_ALARM, "mystery": {"deep": 1}})
    assert api["OKActions"] == METRIC_ALARM["okActions"]
    assert api["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/web/123"}]
    assert api["Tags"] == [{"Key": "team", "Value": "web"}]
    assert api["EvaluationPeriods"] == 3
    assert api["mystery"] == {"deep": 1}  # unknown keys are kept as given
    assert set(api) <= input_members("cloudwatch", "PutMetricAlarm") | {"mystery"}


def test_to_api_case_keeps_map_keys_and_exact_names() -> None:
    api = to_api_case("application-autoscaling", "RegisterScalableTarget", {**SCALABLE_TARGET, "MaxCapacity": 4})
    assert api["Tags"] == {"team": "web", "cost-center": "42"}
    assert api["RoleARN"] == SCALABLE_TARGET["roleARN"]
    # Both spellings given: the exact name wins, the other is kept as written for check_input to refuse.
    assert (api["MaxCapacity"], api["maxCapacity"]) == (4, 10)
    problems = check_input("application-autoscaling", "RegisterScalableTarget", api)
    assert problems == [ShapeProblem("maxCapacity", "unknown field 'maxCapacity' (did you mean 'MaxCapacity'?)")]


def test_to_api_case_is_identity_for_ecs() -> None:
    assert to_api_case("ecs", "RegisterTaskDefinition", TASK_DEFINITION) == TASK_DEFINITION


def test_from_api_case_round_trip() -> None:
    api = to_api_case("application-autoscaling", "PutScalingPolicy", SCALING_POLICY)
    described = {"ScalingPolicies": [{**api, "PolicyARN": "arn:policy", "Alarms": [{"AlarmName": "a"}]}]}
    back = from_api_case("application-autoscaling", "DescribeScalingPolicies", described)
    assert back == {"scalingPolicies": [{**SCALING_POLICY, "policyARN": "arn:policy", "alarms": [{"alarmName": "a"}]}]}
    one = from_api_case("application-autoscaling", "DescribeScalingPolicies", api, shape="ScalingPolicy")
    assert one == SCALING_POLICY


def test_from_api_case_round_trip_alarm_and_map_keys() -> None:
    api = to_api_case("cloudwatch", "PutMetricAlarm", METRIC_ALARM)
    api.pop("Tags")  # not part of a MetricAlarm
    back = from_api_case("cloudwatch", "DescribeAlarms", {"MetricAlarms": [api]})
    assert back == {"metricAlarms": [{key: value for key, value in METRIC_ALARM.items() if key != "tags"}]}
    target = to_api_case("application-autoscaling", "RegisterScalableTarget", SCALABLE_TARGET)
    assert from_api_case(
        "application-autoscaling", "", {"Tags": target["Tags"]}, shape="RegisterScalableTargetRequest"
    ) == {"tags": {"team": "web", "cost-center": "42"}}


# --- YAML 1.1 scalars in string fields ---------------------------------------------------------------------------

_YAML11_TASK_DEFINITION = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {name: web}
spec:
  cpu: 256
  memory: 512
  containerDefinitions:
    - name: app
      image: nginx
      essential: yes
      command: [chmod, 0755, /data, on]
      environment:
        - {name: UMASK, value: 0755}
        - {name: DURATION, value: 1:20}
        - {name: VERSION, value: 1.10}
        - {name: ENABLED, value: yes}
        - {name: DEBUG, value: off}
        - {name: PORT, value: 8080}
      dockerLabels: {release: 1.10, canary: on, mode: 0o17}
  tags:
    - {key: version, value: 2.50}
    - {key: public, value: no}
"""


def test_yaml_1_1_scalars_in_string_fields_are_sent_exactly_as_written() -> None:
    from reconciler.core.loader import load_text
    from reconciler.core.manifests import parse_documents

    docs, errors = load_text(_YAML11_TASK_DEFINITION.encode(), file="td.yaml")
    assert errors == []
    resources, errors = parse_documents(docs, KINDS)
    assert errors == []
    spec = resources[0].spec
    container = spec["containerDefinitions"][0]
    assert spec["cpu"] == "256" and spec["memory"] == "512"
    assert container["essential"] is True  # a boolean field still reads yes as true
    assert container["command"] == ["chmod", "0755", "/data", "on"]
    assert {e["name"]: e["value"] for e in container["environment"]} == {
        "UMASK": "0755",
        "DURATION": "1:20",
        "VERSION": "1.10",
        "ENABLED": "yes",
        "DEBUG": "off",
        "PORT": "8080",
    }
    assert container["dockerLabels"] == {"release": "1.10", "canary": "on", "mode": "0o17"}
    assert spec["tags"] == [{"key": "version", "value": "2.50"}, {"key": "public", "value": "no"}]


def test_yaml_1_1_scalars_keep_their_text_through_variable_substitution() -> None:
    from reconciler.core.loader import load_text
    from reconciler.core.manifests import resources_from

    text = _YAML11_TASK_DEFINITION.replace("image: nginx", "image: ${IMAGE}")
    docs, errors = load_text(text.encode(), file="td.yaml")
    (resource,) = resources_from(docs, errors, KINDS, variables={"IMAGE": "nginx:1.27"})
    container = resource.spec["containerDefinitions"][0]
    assert container["image"] == "nginx:1.27"
    assert container["environment"][2] == {"name": "VERSION", "value": "1.10"}
    assert container["command"][1] == "0755"


def test_log_group_tags_keep_their_text() -> None:
    from reconciler.core.loader import load_text
    from reconciler.core.manifests import parse_documents

    text = "apiVersion: ecs-reconciler/v1\nkind: LogGroup\nmetadata: {name: /ecs/w}\nspec:\n  tags: {v: 1.10, x: on}\n"
    docs, _ = load_text(text.encode(), file="lg.yaml")
    resources, errors = parse_documents(docs, KINDS)
    assert errors == []
    assert resources[0].spec["tags"] == {"v": "1.10", "x": "on"}


def test_without_written_text_numbers_are_stringified_and_booleans_refused() -> None:
    spec = {"containerDefinitions": [{"name": "a", "image": "i", "environment": [{"name": "A", "value": 1.10}]}]}
    coerced = coerce_scalars("ecs", "RegisterTaskDefinition", spec)
    assert coerced["containerDefinitions"][0]["environment"][0]["value"] == "1.1"
    flagged = {"containerDefinitions": [{"name": "a", "image": "i", "environment": [{"name": "A", "value": True}]}]}
    coerced = coerce_scalars("ecs", "RegisterTaskDefinition", flagged)
    problems = check_input("ecs", "RegisterTaskDefinition", coerced, provided=["family"])
    assert [p.path for p in problems] == ["containerDefinitions[0].environment[0].value"]


def test_a_boolean_in_an_enum_string_field_is_still_refused() -> None:
    from reconciler.core.loader import load_text
    from reconciler.core.manifests import parse_documents

    text = _YAML11_TASK_DEFINITION.replace("cpu: 256", "cpu: 256\n  networkMode: yes")
    resources, errors = parse_documents(load_text(text.encode(), file="td.yaml")[0], KINDS)
    assert [e.field for e in errors] == ["spec.networkMode"]
    assert "got 'yes'" in errors[0].message
