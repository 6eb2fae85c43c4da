"""A service's deployment engine fields: AWS's documented rules (one refused and one accepted case each), compared
without spurious diffs against the shape AWS answers, and the rollout timeline the plan shows in every format."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import make_plan
from reconciler.core.render import render_json, render_markdown, render_text
from reconciler.core.settings import ApplySettings
from reconciler.kinds import KINDS
from reconciler.kinds.service import diff
from reconciler.kinds.service_deployment import timeline
from reconciler.kinds.service_deployment_rules import deployment_rules

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"
TG_GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"
RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3"
ROLE = "arn:aws:iam::123456789012:role/ecs-infrastructure"

CANARY: dict[str, Any] = {
    "cluster": "demo",
    "taskDefinition": "web:3",
    "desiredCount": 2,
    "deploymentConfiguration": {
        "strategy": "CANARY",
        "bakeTimeInMinutes": 15,
        "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": 5},
        "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}],
        "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": True},
    },
    "loadBalancers": [
        {
            "targetGroupArn": TG,
            "containerName": "app",
            "containerPort": 8080,
            "advancedConfiguration": {
                "alternateTargetGroupArn": TG_GREEN,
                "productionListenerRule": RULE,
                "roleArn": ROLE,
            },
        }
    ],
}


def _with(path: str, value: Any, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    out = copy.deepcopy(spec or CANARY)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is None:
        del node[last]
    else:
        node[last] = value
    return out


def test_a_canary_with_a_pause_hook_alarms_and_a_load_balancer_is_accepted():
    assert deployment_rules(CANARY) == []


REFUSED = [
    ("deploymentConfiguration.bakeTimeInMinutes", 1441, "deploymentConfiguration.bakeTimeInMinutes", "0 to 1440"),
    (
        "deploymentConfiguration.canaryConfiguration.canaryPercent",
        0.05,
        "deploymentConfiguration.canaryConfiguration.canaryPercent",
        "0.1 to 100%",
    ),
    (
        "deploymentConfiguration.canaryConfiguration.canaryPercent",
        10.25,
        "deploymentConfiguration.canaryConfiguration.canaryPercent",
        "multiple of 0.1",
    ),
    (
        "deploymentConfiguration.canaryConfiguration.canaryBakeTimeInMinutes",
        1500,
        "deploymentConfiguration.canaryConfiguration.canaryBakeTimeInMinutes",
        "0 to 1440",
    ),
    (
        "deploymentConfiguration.linearConfiguration",
        {"stepPercent": 10},
        "deploymentConfiguration.linearConfiguration",
        "only to strategy LINEAR",
    ),
    (
        "deploymentConfiguration.lifecycleHooks",
        [{"targetType": "PAUSE", "lifecycleStages": ["TEST_TRAFFIC_SHIFT"]}],
        "deploymentConfiguration.lifecycleHooks[0].lifecycleStages",
        "cannot wait at TEST_TRAFFIC_SHIFT",
    ),
    (
        "deploymentConfiguration.lifecycleHooks",
        [{"targetType": "PAUSE", "lifecycleStages": []}],
        "deploymentConfiguration.lifecycleHooks[0].lifecycleStages",
        "at least one lifecycle stage",
    ),
    (
        "deploymentConfiguration.lifecycleHooks",
        [{"targetType": "PAUSE", "hookTargetArn": "arn:aws:lambda:x", "lifecycleStages": ["POST_SCALE_UP"]}],
        "deploymentConfiguration.lifecycleHooks[0].hookTargetArn",
        "takes no hookTargetArn",
    ),
    (
        "deploymentConfiguration.lifecycleHooks",
        [{"lifecycleStages": ["POST_SCALE_UP"]}],
        "deploymentConfiguration.lifecycleHooks[0]",
        "AWS_LAMBDA hook needs hookTargetArn",
    ),
    ("loadBalancers.0.advancedConfiguration", None, "loadBalancers[0]", "needs advancedConfiguration"),
    (
        "loadBalancers.0.advancedConfiguration.roleArn",
        None,
        "loadBalancers[0].advancedConfiguration",
        "needs advancedConfiguration.roleArn",
    ),
    (
        "loadBalancers.0.advancedConfiguration.alternateTargetGroupArn",
        TG,
        "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn",
        "must differ",
    ),
    (
        "deploymentConfiguration.earlySuccessCriteria",
        {"enable": False},
        "deploymentConfiguration.earlySuccessCriteria",
        "only to ROLLING",
    ),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), REFUSED)
def test_aws_refuses_it_so_validate_does(path, value, field, message):
    problems = deployment_rules(_with(path, value))
    assert any(p == field and message in m for p, m in problems), problems


def test_blue_green_needs_a_bake_time():
    spec = _with("deploymentConfiguration.canaryConfiguration", None)
    spec = _with("deploymentConfiguration.strategy", "BLUE_GREEN", spec)
    assert deployment_rules(spec) == []
    problems = deployment_rules(_with("deploymentConfiguration.bakeTimeInMinutes", None, spec))
    assert (
        "deploymentConfiguration.strategy",
        "BLUE_GREEN needs bakeTimeInMinutes (how long blue and green both run)",
    ) in problems


def test_rolling_takes_pause_hooks_before_scale_up_but_no_lambda_hook_nor_traffic_stage():
    rolling: dict[str, Any] = {
        "deploymentConfiguration": {"lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"]}]}
    }
    assert deployment_rules(rolling) == []
    traffic = _with(
        "deploymentConfiguration.lifecycleHooks.0.lifecycleStages", ["POST_PRODUCTION_TRAFFIC_SHIFT"], rolling
    )
    assert any("happens only where traffic shifts" in m for _, m in deployment_rules(traffic))
    lambda_hook = {
        "hookTargetArn": "arn:aws:lambda:us-east-1:1:function:f",
        "roleArn": ROLE,
        "lifecycleStages": ["POST_SCALE_UP"],
    }
    problems = deployment_rules({"deploymentConfiguration": {"lifecycleHooks": [lambda_hook]}})
    assert problems == [
        ("deploymentConfiguration.lifecycleHooks[0].targetType", "a ROLLING deployment runs no Lambda hook: use PAUSE")
    ]


def test_alarms_circuit_breaker_and_strategy_need_the_ecs_controller():
    spec = {
        "deploymentController": {"type": "CODE_DEPLOY"},
        "deploymentConfiguration": {
            "strategy": "CANARY",
            "alarms": {"alarmNames": ["a"], "enable": True, "rollback": False},
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
    }
    fields = {p for p, _ in deployment_rules(spec)}
    assert {
        "deploymentConfiguration.strategy",
        "deploymentConfiguration.alarms",
        "deploymentConfiguration.deploymentCircuitBreaker",
    } <= fields


def test_advanced_configuration_and_test_traffic_rules_need_a_traffic_shifting_strategy():
    rolling = _with("deploymentConfiguration", {"strategy": "ROLLING"})
    rolling["serviceConnectConfiguration"] = {
        "enabled": True,
        "services": [
            {"portName": "http", "clientAliases": [{"port": 80, "testTrafficRules": {"header": {"name": "x"}}}]}
        ],
    }
    fields = {p for p, _ in deployment_rules(rolling)}
    assert fields == {
        "loadBalancers[0].advancedConfiguration",
        "serviceConnectConfiguration.services[0].clientAliases[0].testTrafficRules",
    }


def test_a_wrong_shape_never_raises():
    assert deployment_rules({"deploymentConfiguration": "CANARY", "loadBalancers": "x"}) == []
    assert deployment_rules({"deploymentConfiguration": {"lifecycleHooks": [1, "x"], "strategy": 3}}) == []


# --- comparison ------------------------------------------------------------------------------------------------

ANSWERED: dict[str, Any] = {
    "serviceName": "web",
    "status": "ACTIVE",
    "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
    "desiredCount": 2,
    "schedulingStrategy": "REPLICA",
    "deploymentController": {"type": "ECS"},
    "loadBalancers": copy.deepcopy(CANARY["loadBalancers"]),
    "deploymentConfiguration": {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": True},
        "strategy": "CANARY",
        "bakeTimeInMinutes": 15,
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5},
        "lifecycleHooks": [
            {
                "targetType": "PAUSE",
                "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
                "timeoutConfiguration": {"timeoutInMinutes": 1440, "action": "ROLLBACK"},
            }
        ],
    },
}
"""DescribeServices' shape for CANARY (API Service, DeploymentConfiguration): doubles as doubles, the hook's
timeout answered with its defaults."""


def _resource(spec: dict[str, Any]) -> Resource:
    return Resource(Address("Service", "web", "demo"), spec, file="web.yaml")


def test_the_answer_aws_gives_for_a_canary_manifest_is_no_change():
    assert diff(_resource(CANARY), Live(Address("Service", "web", "demo"), ANSWERED, managed=True)) == []


def test_a_linear_service_that_leaves_its_steps_to_aws_is_no_change():
    spec = _with("deploymentConfiguration", {"strategy": "LINEAR", "bakeTimeInMinutes": 10})
    answered = copy.deepcopy(ANSWERED)
    answered["deploymentConfiguration"].update(
        strategy="LINEAR", linearConfiguration={"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}, bakeTimeInMinutes=10
    )
    for field in ("canaryConfiguration", "lifecycleHooks", "alarms"):
        del answered["deploymentConfiguration"][field]
    assert diff(_resource(spec), Live(Address("Service", "web", "demo"), answered, managed=True)) == []


def test_a_changed_canary_percent_is_a_change():
    spec = _with("deploymentConfiguration.canaryConfiguration.canaryPercent", 20)
    changes = diff(_resource(spec), Live(Address("Service", "web", "demo"), ANSWERED, managed=True))
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("deploymentConfiguration.canaryConfiguration.canaryPercent", 10.0, 20.0)
    ]


# --- the timeline ----------------------------------------------------------------------------------------------


def test_the_timeline_says_how_each_strategy_rolls_out():
    assert str(timeline(CANARY)) == (
        "canary 10% for 5 min, then 100%; bake 15 min; pauses before production traffic, expires after 24 h "
        "(then rolls back); rolls back on alarm web-5xx"
    )
    linear = {
        "deploymentConfiguration": {
            "strategy": "LINEAR",
            "bakeTimeInMinutes": 30,
            "linearConfiguration": {"stepPercent": 25},
        }
    }
    assert str(timeline(linear)) == "25% every 6 min (4 steps) to 100%; bake 30 min"
    assert str(timeline({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 60}})) == (
        "green at 100% of production traffic at once; bake 1 h"
    )
    assert str(timeline({})) == "tasks replaced with 100% to 200% of desiredCount running"
    assert timeline({"deploymentController": {"type": "EXTERNAL"}}) is None


def _plan(spec: dict[str, Any]) -> Any:
    resource = _resource(spec)
    live = Live(resource.address, {**ANSWERED, "tags": []}, managed=True)
    td = Address("TaskDefinition", "web")
    observed = {resource.address: live, td: Live(td, {"taskDefinitionArn": ANSWERED["taskDefinition"]}, managed=True)}
    return make_plan([resource], observed, ApplySettings(), KINDS)


def test_the_plan_shows_the_rollout_in_text_markdown_and_json():
    plan = _plan(_with("taskDefinition", "web:4"))
    (action,) = plan.actions
    assert action.rollout is not None and action.rollout.strategy == "CANARY"
    expected = "canary 10% for 5 min, then 100%; bake 15 min; pauses before production traffic, expires after 24 h"
    assert f"rollout: CANARY: {expected}" in render_text(plan)
    assert f"**Rollout** CANARY: {expected}" in render_markdown(plan)
    rollout = json.loads(render_json(plan))["changes"][0]["rollout"]
    assert rollout["strategy"] == "CANARY"
    assert rollout["steps"][:2] == ["canary 10% for 5 min, then 100%", "bake 15 min"]


def test_a_change_of_desired_count_alone_starts_no_deployment():
    (action,) = _plan(_with("desiredCount", 4)).actions
    assert action.rollout is None
    assert "rollout" not in render_text(_plan(_with("desiredCount", 4)))
