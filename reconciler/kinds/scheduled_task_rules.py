"""EventBridge Scheduler's CreateSchedule rules beyond botocore's model, for a ScheduledTask spec (see
``reconciler.core.aws_rules`` for the form of a rule): the expression, its time zone, the window, the dates, and the
ECS target's network configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import (
    Problem,
    as_list,
    as_map,
    as_timestamp,
    network_mode,
    non_finite,
    schedule_problem,
    time_zone_problem,
)

MAX_SUBNETS = 16
"""EventBridge Scheduler API reference, AwsVpcConfiguration.Subnets: "You can specify as many as 16 subnets"."""
MAX_SECURITY_GROUPS = 5
"""EventBridge Scheduler API reference, AwsVpcConfiguration.SecurityGroups: "as many as five security groups"."""
_ECS = "target.ecsParameters"
_VPC = f"{_ECS}.networkConfiguration.awsvpcConfiguration"


def schedule_rules(spec: Mapping[str, Any], task_definition: Mapping[str, Any] | None) -> list[Problem]:
    """CreateSchedule's rules; ``task_definition``: the declared task definition the target runs (None when the
    manifests do not declare it: the rules that need it are skipped)."""
    problems: list[Problem] = list(non_finite(spec, ""))
    expression = spec.get("scheduleExpression")
    # EventBridge Scheduler API reference, CreateSchedule ScheduleExpression: at(), rate() or a 6-field cron().
    if isinstance(expression, str) and (why := schedule_problem(expression)):
        problems.append(("scheduleExpression", why))
    # EventBridge Scheduler User Guide, "Schedule types": the time zone is an IANA name.
    if why := time_zone_problem(spec.get("scheduleExpressionTimezone")):
        problems.append(("scheduleExpressionTimezone", why))
    problems += _window_rules(as_map(spec.get("flexibleTimeWindow")))
    # EventBridge Scheduler API reference, CreateSchedule StartDate / EndDate: invocations start after StartDate
    # and stop before EndDate, so StartDate comes first.
    start, end = as_timestamp(spec.get("startDate")), as_timestamp(spec.get("endDate"))
    if start is not None and end is not None and start >= end:
        problems.append(("endDate", "endDate must be after startDate"))
    problems += _target_rules(as_map(as_map(spec.get("target")).get("ecsParameters")), task_definition)
    return problems


def _window_rules(window: Mapping[str, Any]) -> list[Problem]:
    """EventBridge Scheduler API reference, FlexibleTimeWindow, and its user guide's "Configuring flexible time
    windows": FLEXIBLE needs MaximumWindowInMinutes; OFF takes none."""
    mode, most = window.get("mode"), window.get("maximumWindowInMinutes")
    if mode == "FLEXIBLE" and most is None:
        return [("flexibleTimeWindow.maximumWindowInMinutes", "a FLEXIBLE window needs its length: add 1-1440")]
    if mode == "OFF" and most is not None:
        return [("flexibleTimeWindow.maximumWindowInMinutes", "mode OFF has no window: remove it or use FLEXIBLE")]
    return []


def _target_rules(ecs: Mapping[str, Any], task_definition: Mapping[str, Any] | None) -> list[Problem]:
    problems: list[Problem] = []
    vpc = as_map(as_map(ecs.get("networkConfiguration")).get("awsvpcConfiguration"))
    # EventBridge Scheduler API reference, EcsParameters CapacityProviderStrategy / LaunchType (as RunTask): one or
    # the other.
    if "launchType" in ecs and "capacityProviderStrategy" in ecs:
        problems.append((f"{_ECS}.capacityProviderStrategy", "set either launchType or capacityProviderStrategy"))
    # EventBridge Scheduler API reference, AwsVpcConfiguration.AssignPublicIp: "You can specify ENABLED only when
    # LaunchType in EcsParameters is set to FARGATE."
    if vpc.get("assignPublicIp") == "ENABLED" and ecs.get("launchType") != "FARGATE":
        problems.append(
            (f"{_VPC}.assignPublicIp", "a public IP is only for launchType FARGATE: set launchType or remove it")
        )
    for field, most in (("subnets", MAX_SUBNETS), ("securityGroups", MAX_SECURITY_GROUPS)):
        count = len(as_list(vpc.get(field)))
        if count > most:
            problems.append((f"{_VPC}.{field}", f"{count} {field}: a task takes at most {most}"))
    if task_definition is None:
        return problems
    # ECS API reference, RunTask networkConfiguration (what Scheduler's EcsParameters passes on): required for
    # task definitions that use the awsvpc network mode, not supported for other network modes.
    mode = network_mode(task_definition)
    if mode == "awsvpc" and not vpc:
        problems.append(
            (f"{_ECS}.networkConfiguration", "the task definition uses awsvpc: give awsvpcConfiguration with subnets")
        )
    if mode != "awsvpc" and "networkConfiguration" in ecs:
        problems.append(
            (f"{_ECS}.networkConfiguration", f"networkMode {mode} takes no networkConfiguration: remove it")
        )
    return problems
