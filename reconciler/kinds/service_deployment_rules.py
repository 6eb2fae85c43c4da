"""AWS's rules for a service's deployment engine that botocore's model does not encode, checked offline.

The fields: ``deploymentConfiguration`` (strategy, bake time, linear and canary steps, lifecycle hooks, alarms,
circuit breaker, early success), ``loadBalancers[].advancedConfiguration`` and Service Connect ``testTrafficRules``.
``deployment_rules`` takes a Service spec (camelCase, as the kind holds it) and returns ``(field path, message)``
pairs relative to the spec; ``[]`` when AWS would accept it. Each rule names the AWS page it comes from (API = Amazon
ECS API Reference, DG = Amazon ECS Developer Guide); each message says what to do. Pure: no file, no AWS call, and
no exception on a spec of the wrong shape (the schema check reports that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_map, mappings

TRAFFIC_SHIFTING = frozenset({"BLUE_GREEN", "LINEAR", "CANARY"})
"""Strategies in which ECS runs a blue and a green service revision and shifts traffic between them."""
TRAFFIC_STAGES = frozenset(
    {
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
    }
)
"""Lifecycle stages that exist only where traffic shifts (API DeploymentLifecycleHook.lifecycleStages)."""
LAMBDA_ONLY_STAGES = frozenset({"TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"})
"""API DeploymentLifecycleHook.lifecycleStages: 'PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or
PRODUCTION_TRAFFIC_SHIFT stages. These stages are only valid for AWS_LAMBDA hooks.'"""
BAKE_MINUTES = (0, 1440)
"""API LinearConfiguration.stepBakeTimeInMinutes and CanaryConfiguration.canaryBakeTimeInMinutes: 'Valid values are
0 to 1440 minutes (24 hours)'; the same range for DeploymentConfiguration.bakeTimeInMinutes (CloudFormation
AWS::ECS::Service DeploymentConfiguration.BakeTimeInMinutes)."""
STEP_PERCENT = (3.0, 100.0)
"""API LinearConfiguration.stepPercent: 'multiples of 0.1 from 3.0 to 100.0'."""
CANARY_PERCENT = (0.1, 100.0)
"""API CanaryConfiguration.canaryPercent: 'multiples of 0.1 from 0.1 to 100.0'."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def strategy_of(spec: Mapping[str, Any]) -> str:
    """The deployment strategy a service spec asks for (ROLLING when it names none: AWS's default)."""
    strategy = as_map(spec.get("deploymentConfiguration")).get("strategy")
    return strategy if isinstance(strategy, str) else "ROLLING"


def controller_of(spec: Mapping[str, Any]) -> str:
    controller = as_map(spec.get("deploymentController")).get("type")
    return controller if isinstance(controller, str) else "ECS"


def deployment_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """Every rule below for one Service spec."""
    config = as_map(spec.get("deploymentConfiguration"))
    strategy, controller = strategy_of(spec), controller_of(spec)
    problems = _controller_rules(config, controller)
    problems += _strategy_rules(config, strategy)
    problems += _hook_rules(config, strategy)
    problems += _early_success_rules(config, strategy)
    problems += _load_balancer_rules(spec, strategy)
    problems += _test_traffic_rules(spec, strategy)
    return problems


def _controller_rules(config: Mapping[str, Any], controller: str) -> list[Problem]:
    if controller == "ECS":
        return []
    problems: list[Problem] = []
    named = f"the {controller} deployment controller"
    # API DeploymentConfiguration.strategy and LinearConfiguration/CanaryConfiguration: 'only valid when you run
    # CreateService or UpdateService with deploymentController set to ECS'.
    for field in ("strategy", "bakeTimeInMinutes", "linearConfiguration", "canaryConfiguration", "lifecycleHooks"):
        if field in config:
            problems.append(
                (f"deploymentConfiguration.{field}", f"{named} runs its own deployments: remove {field} or use ECS")
            )
    # API DeploymentAlarms: 'You can only use the DeploymentAlarms method to detect failures when the
    # DeploymentController is set to ECS.'
    if as_map(config.get("alarms")).get("enable") is True:
        problems.append(("deploymentConfiguration.alarms", f"deployment alarms work only under ECS, not {named}"))
    # API DeploymentCircuitBreaker: 'can only be used for services using the rolling update (ECS) deployment type'.
    if as_map(config.get("deploymentCircuitBreaker")).get("enable") is True:
        problems.append(
            ("deploymentConfiguration.deploymentCircuitBreaker", f"the circuit breaker needs ECS, not {named}")
        )
    return problems


def _range_problem(value: Any, low: float, high: float, *, tenths: bool, unit: str) -> str | None:
    number = _number(value)
    if number is None:
        return None
    if not low <= number <= high:
        return f"must be from {low:g} to {high:g}{unit}, got {number:g}"
    if tenths and abs(number * 10 - round(number * 10)) > 1e-9:
        return f"must be a multiple of 0.1, got {number:g}"
    return None


def _strategy_rules(config: Mapping[str, Any], strategy: str) -> list[Problem]:
    problems: list[Problem] = []
    at = "deploymentConfiguration"
    # API DeploymentConfiguration.bakeTimeInMinutes: 'You must provide this parameter when you use the BLUE_GREEN
    # deployment strategy.'
    if strategy == "BLUE_GREEN" and "bakeTimeInMinutes" not in config:
        problems.append((f"{at}.strategy", "BLUE_GREEN needs bakeTimeInMinutes (how long blue and green both run)"))
    if "bakeTimeInMinutes" in config and strategy == "ROLLING":
        problems.append((f"{at}.bakeTimeInMinutes", "bake time applies to BLUE_GREEN, LINEAR and CANARY: remove it"))
    if problem := _range_problem(config.get("bakeTimeInMinutes"), *BAKE_MINUTES, tenths=False, unit=" minutes"):
        problems.append((f"{at}.bakeTimeInMinutes", problem))
    # API LinearConfiguration / CanaryConfiguration: 'Only valid when the deployment strategy is LINEAR' (CANARY).
    for field, wanted in (("linearConfiguration", "LINEAR"), ("canaryConfiguration", "CANARY")):
        if field in config and strategy != wanted:
            problems.append((f"{at}.{field}", f"{field} applies only to strategy {wanted} (this is {strategy})"))
    linear, canary = as_map(config.get("linearConfiguration")), as_map(config.get("canaryConfiguration"))
    checks = (
        ("linearConfiguration.stepPercent", linear.get("stepPercent"), STEP_PERCENT, True, "%"),
        ("linearConfiguration.stepBakeTimeInMinutes", linear.get("stepBakeTimeInMinutes"), BAKE_MINUTES, False, ""),
        ("canaryConfiguration.canaryPercent", canary.get("canaryPercent"), CANARY_PERCENT, True, "%"),
        ("canaryConfiguration.canaryBakeTimeInMinutes", canary.get("canaryBakeTimeInMinutes"), BAKE_MINUTES, False, ""),
    )
    for path, value, (low, high), tenths, unit in checks:
        if problem := _range_problem(value, low, high, tenths=tenths, unit=unit or " minutes"):
            problems.append((f"{at}.{path}", problem))
    return problems


def _hook_rules(config: Mapping[str, Any], strategy: str) -> list[Problem]:
    problems: list[Problem] = []
    for i, hook in mappings(config, "lifecycleHooks"):
        at = f"deploymentConfiguration.lifecycleHooks[{i}]"
        target = hook.get("targetType", "AWS_LAMBDA")  # API DeploymentLifecycleHook.targetType: the default
        stages = [s for s in hook.get("lifecycleStages") or [] if isinstance(s, str)]
        # API DeploymentLifecycleHook.lifecycleStages: 'You must provide this parameter'.
        if not stages:
            problems.append((f"{at}.lifecycleStages", "a hook needs at least one lifecycle stage to run at"))
        if target == "PAUSE":
            # API DeploymentLifecycleHook.hookTargetArn / hookDetails: 'not applicable for PAUSE hooks'.
            for field in ("hookTargetArn", "hookDetails", "roleArn"):
                if field in hook:
                    problems.append((f"{at}.{field}", f"a PAUSE hook takes no {field}: remove it"))
            for stage in sorted(set(stages) & LAMBDA_ONLY_STAGES):
                problems.append(
                    (f"{at}.lifecycleStages", f"a PAUSE hook cannot wait at {stage} (only AWS_LAMBDA hooks run there)")
                )
        else:
            # API DeploymentLifecycleHook.hookTargetArn: 'You must provide this parameter when configuring an
            # AWS_LAMBDA lifecycle hook'; roleArn: the role ECS calls the function with (DG 'Permissions required for
            # Lambda functions in Amazon ECS blue/green deployments').
            for field in ("hookTargetArn", "roleArn"):
                if field not in hook:
                    problems.append((at, f"an AWS_LAMBDA hook needs {field}"))
            # DG 'Lifecycle hooks for Amazon ECS service deployments': Lambda hooks run in blue/green, linear and
            # canary deployments; a rolling deployment takes PAUSE hooks only (ECS 'pause and continue', May 2026).
            if strategy == "ROLLING":
                problems.append((f"{at}.targetType", "a ROLLING deployment runs no Lambda hook: use PAUSE"))
        if strategy == "ROLLING":
            # A rolling deployment shifts no traffic: its only stages are reconcile and scale-up.
            for stage in sorted(set(stages) & TRAFFIC_STAGES):
                problems.append(
                    (f"{at}.lifecycleStages", f"{stage} happens only where traffic shifts (BLUE_GREEN, LINEAR, CANARY)")
                )
    return problems


def _early_success_rules(config: Mapping[str, Any], strategy: str) -> list[Problem]:
    early = as_map(config.get("earlySuccessCriteria"))
    if not early:
        return []
    at = "deploymentConfiguration.earlySuccessCriteria"
    problems: list[Problem] = []
    # API DeploymentEarlySuccessCriteria: 'You can use early success criteria only with rolling deployment strategy.'
    if strategy != "ROLLING":
        problems.append((at, f"early success criteria apply only to ROLLING deployments (this is {strategy})"))
    # API DeploymentEarlySuccessCriteria.enable: 'When set to true ... You must also specify healthyPercent and
    # sourceServiceRevisionCleanup.'
    if early.get("enable") is True:
        for field in ("healthyPercent", "sourceServiceRevisionCleanup"):
            if field not in early:
                problems.append((at, f"enabled early success criteria need {field}"))
    # API DeploymentEarlySuccessCriteria.healthyPercent: 'must be greater than or equal to the
    # minimumHealthyPercent value'.
    healthy, minimum = _number(early.get("healthyPercent")), _number(config.get("minimumHealthyPercent"))
    if healthy is not None and minimum is not None and healthy < minimum:
        problems.append(
            (f"{at}.healthyPercent", f"must be at least minimumHealthyPercent ({minimum:g}), got {healthy:g}")
        )
    return problems


def _load_balancer_rules(spec: Mapping[str, Any], strategy: str) -> list[Problem]:
    problems: list[Problem] = []
    for i, balancer in mappings(spec, "loadBalancers"):
        at = f"loadBalancers[{i}]"
        advanced = as_map(balancer.get("advancedConfiguration"))
        # API AdvancedConfiguration: 'The advanced settings for a load balancer used in blue/green deployments'.
        if advanced and strategy not in TRAFFIC_SHIFTING:
            problems.append(
                (f"{at}.advancedConfiguration", "advancedConfiguration is for BLUE_GREEN, LINEAR and CANARY only")
            )
        if strategy not in TRAFFIC_SHIFTING or not balancer.get("targetGroupArn"):
            continue
        # DG 'Application Load Balancer resources for blue/green, linear, and canary deployments': two target groups
        # (the primary for blue, the alternate for green), a production listener rule, and a role ECS uses to call
        # Elastic Load Balancing.
        if not advanced:
            problems.append(
                (
                    at,
                    f"a {strategy} deployment behind a target group needs advancedConfiguration "
                    "(alternateTargetGroupArn, productionListenerRule, roleArn)",
                )
            )
            continue
        for field in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
            if not advanced.get(field):
                problems.append((f"{at}.advancedConfiguration", f"{strategy} needs advancedConfiguration.{field}"))
        if advanced.get("alternateTargetGroupArn") == balancer.get("targetGroupArn"):
            problems.append(
                (
                    f"{at}.advancedConfiguration.alternateTargetGroupArn",
                    "the alternate target group (green) must differ from targetGroupArn (blue)",
                )
            )
    return problems


def _test_traffic_rules(spec: Mapping[str, Any], strategy: str) -> list[Problem]:
    # API ServiceConnectTestTrafficRules: 'The test traffic routing configuration for Amazon ECS blue/green
    # deployments'; DG 'Service Connect resources for Amazon ECS blue/green, linear, and canary deployments'.
    if strategy in TRAFFIC_SHIFTING:
        return []
    problems: list[Problem] = []
    connect = as_map(spec.get("serviceConnectConfiguration"))
    for i, service in mappings(connect, "services"):
        for j, alias in mappings(service, "clientAliases"):
            if "testTrafficRules" in alias:
                path = f"serviceConnectConfiguration.services[{i}].clientAliases[{j}].testTrafficRules"
                problems.append((path, "test traffic rules apply to BLUE_GREEN, LINEAR and CANARY deployments"))
    return problems
