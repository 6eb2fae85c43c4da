"""A service's deployment configuration, read for what it means: its comparable form (AWS's defaults filled in on
both sides of a diff) and the timeline a deployment under it follows, as the plan shows it.

Pure: a spec or a DescribeServices entry in, data out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reconciler.core.kind import Timeline
from reconciler.kinds.defaults import fill
from reconciler.kinds.service_deployment_rules import TRAFFIC_SHIFTING, controller_of, strategy_of

PERCENT_FIELDS = {"linearConfiguration": "stepPercent", "canaryConfiguration": "canaryPercent"}
"""Doubles in botocore's model: ``10`` in a manifest and ``10.0`` in AWS's answer are the same percentage."""
STAGE_WORDS = {
    "RECONCILE_SERVICE": "before reconciling the service",
    "PRE_SCALE_UP": "before scaling up",
    "POST_SCALE_UP": "after scaling up",
    "TEST_TRAFFIC_SHIFT": "while test traffic shifts",
    "POST_TEST_TRAFFIC_SHIFT": "after test traffic",
    "PRE_PRODUCTION_TRAFFIC_SHIFT": "before production traffic",
    "PRODUCTION_TRAFFIC_SHIFT": "while production traffic shifts",
    "POST_PRODUCTION_TRAFFIC_SHIFT": "after production traffic",
}
"""How the plan names each lifecycle stage (API DeploymentLifecycleHook.lifecycleStages)."""


def normalize_deployment(config: Mapping[str, Any] | None, known: Mapping[str, Any]) -> dict[str, Any]:
    """``deploymentConfiguration`` in comparable form: AWS's defaults filled in (``reconciler.kinds.defaults``),
    percentages as floats, each hook's stages sorted (a set) and its timeout's defaults filled in."""
    deployment = fill("service.deploymentConfiguration", config, known)
    breaker = deployment["deploymentCircuitBreaker"]
    deployment["deploymentCircuitBreaker"] = fill("service.deploymentCircuitBreaker", breaker)
    strategy = deployment.get("strategy")
    for field, percent in PERCENT_FIELDS.items():
        section = fill(f"service.{field}", deployment.get(field), {"strategy": strategy})
        if isinstance(section.get(percent), int | float) and not isinstance(section.get(percent), bool):
            section[percent] = float(section[percent])
        if section:
            deployment[field] = section
    if deployment.get("lifecycleHooks"):
        deployment["lifecycleHooks"] = [_hook(h) for h in deployment["lifecycleHooks"]]
    if "earlySuccessCriteria" in deployment:
        deployment["earlySuccessCriteria"] = fill("service.earlySuccessCriteria", deployment["earlySuccessCriteria"])
    return deployment


def _hook(hook: Any) -> Any:
    if not isinstance(hook, Mapping):
        return hook
    out = fill("service.lifecycleHook", hook)
    if isinstance(out.get("lifecycleStages"), list):
        out["lifecycleStages"] = sorted(out["lifecycleStages"], key=str)
    out["timeoutConfiguration"] = fill("service.lifecycleHookTimeout", out.get("timeoutConfiguration"))
    return out


def _minutes(value: Any) -> str:
    minutes = int(value)
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _percent(value: Any) -> str:
    return f"{float(value):g}%"


def _pauses(config: Mapping[str, Any]) -> list[str]:
    """``pauses before production traffic, expires after 24 h (then rolls back)`` for each PAUSE hook."""
    out = []
    for hook in config.get("lifecycleHooks") or []:
        hook = _hook(hook)
        if not isinstance(hook, Mapping):
            continue
        stages = [STAGE_WORDS.get(str(s), str(s)) for s in hook.get("lifecycleStages") or []]
        timeout = hook["timeoutConfiguration"]
        then = "continues" if timeout.get("action") == "CONTINUE" else "rolls back"
        where = " and ".join(stages) or "at no stage"
        if hook.get("targetType") == "PAUSE":
            out.append(f"pauses {where}, expires after {_minutes(timeout['timeoutInMinutes'])} (then {then})")
        else:
            out.append(f"runs Lambda hook {hook.get('hookTargetArn', '?')} {where}")
    return out


def _steps(config: Mapping[str, Any], strategy: str) -> list[str]:
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        percent, bake = canary.get("canaryPercent", 5.0), canary.get("canaryBakeTimeInMinutes", 10)
        return [f"canary {_percent(percent)} for {_minutes(bake)}, then 100%"]
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        step, bake = float(linear.get("stepPercent", 10.0)), linear.get("stepBakeTimeInMinutes", 6)
        count = math.ceil(round(100 / step, 6))
        return [f"{_percent(step)} every {_minutes(bake)} ({count} steps) to 100%"]
    if strategy == "BLUE_GREEN":
        return ["green at 100% of production traffic at once"]
    maximum = config.get("maximumPercent", 200)
    minimum = config.get("minimumHealthyPercent", 100)
    return [f"tasks replaced with {minimum}% to {maximum}% of desiredCount running"]


def timeline(spec: Mapping[str, Any]) -> Timeline | None:
    """How a deployment of this service will roll out (None: its deployment controller is not ECS)."""
    if controller_of(spec) != "ECS":
        return None
    strategy = strategy_of(spec)
    config = spec.get("deploymentConfiguration") or {}
    steps = _steps(config, strategy)
    if strategy in TRAFFIC_SHIFTING and "bakeTimeInMinutes" in config:
        steps.append(f"bake {_minutes(config['bakeTimeInMinutes'])}")
    steps += _pauses(config)
    alarms = config.get("alarms") or {}
    if alarms.get("enable") and alarms.get("alarmNames"):
        then = "rolls back" if alarms.get("rollback") else "fails"
        steps.append(f"{then} on alarm {', '.join(str(a) for a in alarms['alarmNames'])}")
    breaker = config.get("deploymentCircuitBreaker") or {}
    if breaker.get("enable"):
        steps.append("circuit breaker " + ("rolls back" if breaker.get("rollback") else "fails the deployment"))
    return Timeline(strategy, tuple(steps))
