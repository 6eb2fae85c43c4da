"""The lifecycle stages a service deployment goes through, by strategy: pure data from deploymentConfiguration.

Sources (Amazon ECS Developer Guide): "Amazon ECS blue/green service deployments workflow" and "Lifecycle hooks for
Amazon ECS service deployments" for the stages and their order (the order of botocore's
ServiceDeploymentLifecycleStage enum); "Amazon ECS canary deployments" and "Amazon ECS linear deployments" for the
traffic shift steps; ECS API Reference, CanaryConfiguration and LinearConfiguration for their defaults
(canaryPercent 5.0, canaryBakeTimeInMinutes 10; stepPercent 10.0, stepBakeTimeInMinutes 6, no bake after the step
that reaches 100 %); DeploymentLifecycleHook and DeploymentLifecycleHookTimeoutConfiguration for hooks (targetType
AWS_LAMBDA by default; a PAUSE hook times out after 1440 minutes with the action ROLLBACK unless told otherwise).

ROLLING deployments have no lifecycle stages (AWS's published DescribeServiceDeployments answer for one shows no
lifecycleStage). PRE_PRODUCTION_TRAFFIC_SHIFT is a hook stage that "is invoked before every traffic shift step"; it
is reported as the deployment's stage only while a hook configured for it runs, so answers without such hooks keep
to the values of botocore's ServiceDeploymentLifecycleStage enum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLLING = "ROLLING"
PRE_PRODUCTION_TRAFFIC_SHIFT = "PRE_PRODUCTION_TRAFFIC_SHIFT"
PAUSE_FORBIDDEN = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
"""ECS API Reference, DeploymentLifecycleHook.lifecycleStages: "PAUSE hooks cannot be configured at
TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages. These stages are only valid for AWS_LAMBDA hooks.\""""
HOOK_TIMEOUT_MINUTES = 1440
HOOK_TIMEOUT_ACTION = "ROLLBACK"
CANARY_DEFAULTS = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}
LINEAR_DEFAULTS = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}


@dataclass(frozen=True)
class Stage:
    """One lifecycle stage of a deployment's plan."""

    name: str
    """The lifecycleStage reported while the deployment is in it."""
    seconds: float
    """Emulator seconds the stage's own work takes (hooks may hold it longer)."""
    shift_seconds: float = 0.0
    """Seconds into the stage at which its traffic weights are reached."""
    production: float = 0.0
    """Percent of production traffic on the target revision once shifted."""
    test: float = 0.0
    """Percent of test traffic on the target revision once shifted."""
    step: int | None = None
    """The production traffic shift step (1-based) this stage belongs to."""


def strategy_of(configuration: dict[str, Any]) -> str:
    """The deployment strategy (ECS API Reference, DeploymentConfiguration.strategy: ROLLING when not given)."""
    return str(configuration.get("strategy") or ROLLING)


def traffic_steps(configuration: dict[str, Any]) -> list[tuple[float, float]]:
    """(percent of production traffic on the target after the step, bake minutes after it), step by step."""
    strategy = strategy_of(configuration)
    if strategy == "CANARY":
        canary = {**CANARY_DEFAULTS, **(configuration.get("canaryConfiguration") or {})}
        percent = float(canary["canaryPercent"])
        return [(100.0, 0.0)] if percent >= 100 else [(percent, float(canary["canaryBakeTimeInMinutes"])), (100.0, 0)]
    if strategy == "LINEAR":
        linear = {**LINEAR_DEFAULTS, **(configuration.get("linearConfiguration") or {})}
        step, bake = float(linear["stepPercent"]), float(linear["stepBakeTimeInMinutes"])
        steps, reached = [], 0.0
        while reached < 100:
            reached = min(100.0, round(reached + step, 1))
            steps.append((reached, bake if reached < 100 else 0.0))
        return steps
    return [(100.0, 0.0)]


def hook_stages(configuration: dict[str, Any]) -> set[str]:
    """Every lifecycle stage some configured hook runs at."""
    return {stage for hook in configuration.get("lifecycleHooks") or [] for stage in hook.get("lifecycleStages") or []}


def plan_stages(
    configuration: dict[str, Any], *, reconcile: bool, step_seconds: float, minute: float
) -> tuple[Stage, ...]:
    """The stages of a BLUE_GREEN, LINEAR or CANARY deployment in order. ``reconcile``: another service revision is
    still ACTIVE (a deployment was in progress), so RECONCILE_SERVICE comes first. ``step_seconds``: what a stage
    with no time of its own takes (a traffic shift is done half way through it, then bakes); ``minute``: emulator
    seconds per AWS minute."""
    stages = [Stage("RECONCILE_SERVICE", step_seconds)] if reconcile else []
    stages += [
        Stage("PRE_SCALE_UP", step_seconds),
        Stage("SCALE_UP", step_seconds),
        Stage("POST_SCALE_UP", step_seconds),
        Stage("TEST_TRAFFIC_SHIFT", step_seconds, step_seconds / 2, test=100.0),
        Stage("POST_TEST_TRAFFIC_SHIFT", step_seconds, production=0.0, test=100.0),
    ]
    before_each_step = PRE_PRODUCTION_TRAFFIC_SHIFT in hook_stages(configuration)
    shifted = 0.0
    for number, (percent, bake) in enumerate(traffic_steps(configuration), start=1):
        if before_each_step:
            stages.append(Stage(PRE_PRODUCTION_TRAFFIC_SHIFT, 0.0, production=shifted, test=100.0, step=number))
        stages.append(
            Stage(
                "PRODUCTION_TRAFFIC_SHIFT",
                step_seconds + bake * minute,
                step_seconds / 2,
                production=percent,
                test=100.0,
                step=number,
            )
        )
        shifted = percent
    bake_minutes = float(configuration.get("bakeTimeInMinutes") or 0)
    stages += [
        Stage("POST_PRODUCTION_TRAFFIC_SHIFT", step_seconds, production=100.0, test=100.0),
        Stage("BAKE_TIME", bake_minutes * minute, production=100.0, test=100.0),
        Stage("CLEAN_UP", step_seconds, production=100.0, test=100.0),
    ]
    return tuple(stages)


def hooks_at(configuration: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    """The lifecycle hooks configured for ``stage``, with AWS's defaults filled in (targetType AWS_LAMBDA; a
    timeout of 1440 minutes with the action ROLLBACK)."""
    hooks = []
    for hook in configuration.get("lifecycleHooks") or []:
        if stage in (hook.get("lifecycleStages") or []):
            timeout = hook.get("timeoutConfiguration") or {}
            hooks.append(
                {
                    "targetType": hook.get("targetType") or "AWS_LAMBDA",
                    "targetArn": hook.get("hookTargetArn"),
                    "timeoutInMinutes": int(timeout.get("timeoutInMinutes") or HOOK_TIMEOUT_MINUTES),
                    "timeoutAction": timeout.get("action") or HOOK_TIMEOUT_ACTION,
                }
            )
    return hooks


def misplaced_pause_hooks(configuration: dict[str, Any]) -> list[str]:
    """The stages a PAUSE hook names where AWS allows only Lambda hooks."""
    return [
        stage
        for hook in configuration.get("lifecycleHooks") or []
        if hook.get("targetType") == "PAUSE"
        for stage in hook.get("lifecycleStages") or []
        if stage in PAUSE_FORBIDDEN
    ]
