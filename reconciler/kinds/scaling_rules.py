"""Application Auto Scaling's rules beyond botocore's model, for a ScalingPolicy spec (see
``reconciler.core.aws_rules`` for the form of a rule): schedules, scheduled capacities and times, step intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import (
    Problem,
    as_int,
    as_list,
    as_map,
    as_timestamp,
    mappings,
    non_finite,
    prefixed,
    schedule_problem,
    time_zone_problem,
)


def scaling_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """Application Auto Scaling's rules beyond botocore's model, for a ScalingPolicy spec."""
    problems: list[Problem] = list(non_finite(spec, ""))
    for i, action in mappings(spec, "scheduledActions"):
        schedule = action.get("schedule")
        # Application Auto Scaling API reference, PutScheduledAction Schedule, and its user guide's "Schedule
        # recurring scaling actions using cron expressions": at(), rate() or a 6-field cron() with ? in
        # day-of-month or day-of-week.
        if isinstance(schedule, str) and (why := schedule_problem(schedule)):
            problems.append((f"scheduledActions[{i}].schedule", why))
        # Application Auto Scaling API reference, PutScheduledAction Timezone: "the canonical names of the IANA time
        # zones".
        if why := time_zone_problem(action.get("timezone")):
            problems.append((f"scheduledActions[{i}].timezone", why))
        # Application Auto Scaling API reference, ScalableTargetAction: MinCapacity must not exceed MaxCapacity.
        target = as_map(action.get("scalableTargetAction"))
        low, high = as_int(target.get("minCapacity")), as_int(target.get("maxCapacity"))
        if low is not None and high is not None and low > high:
            problems.append(
                (
                    f"scheduledActions[{i}].scalableTargetAction.minCapacity",
                    f"minCapacity {low} is greater than maxCapacity {high}: swap or fix them",
                )
            )
        # Application Auto Scaling API reference, PutScheduledAction StartTime/EndTime: start before end.
        start, end = as_timestamp(action.get("startTime")), as_timestamp(action.get("endTime"))
        if start is not None and end is not None and start >= end:
            problems.append((f"scheduledActions[{i}].endTime", "endTime must be after startTime"))
    for i, policy in mappings(spec, "policies"):
        step = as_map(policy.get("stepScalingPolicyConfiguration"))
        problems += prefixed(f"policies[{i}].stepScalingPolicyConfiguration", _step_rules(step))
        predictive = as_map(policy.get("predictiveScalingPolicyConfiguration"))
        problems += prefixed(f"policies[{i}].predictiveScalingPolicyConfiguration", _predictive_rules(predictive))
    return problems


def _predictive_rules(config: Mapping[str, Any]) -> list[Problem]:
    """Application Auto Scaling API reference, PredictiveScalingPolicyConfiguration and
    PredictiveScalingMetricSpecification."""
    if not config:
        return []
    problems: list[Problem] = []
    specifications = as_list(config.get("metricSpecifications"))
    # PredictiveScalingPolicyConfiguration.MetricSpecifications: "we currently only support a single metric
    # specification".
    if len(specifications) != 1:
        problems.append(("metricSpecifications", f"{len(specifications)} metric specifications: give exactly one"))
    for j, metric in mappings(config, "metricSpecifications"):
        # PredictiveScalingMetricSpecification: "You must specify either a metric pair, or a load metric and a
        # scaling metric individually."
        pair = "predefinedMetricPairSpecification" in metric
        load = {"predefinedLoadMetricSpecification", "customizedLoadMetricSpecification"} & set(metric)
        scaling = {"predefinedScalingMetricSpecification", "customizedScalingMetricSpecification"} & set(metric)
        if pair == bool(load or scaling) or (not pair and not (load and scaling)):
            problems.append(
                (
                    f"metricSpecifications[{j}]",
                    "give either predefinedMetricPairSpecification, or a load metric and a scaling metric "
                    "(predefined or customized), not both",
                )
            )
    behaviour = config.get("maxCapacityBreachBehavior", "HonorMaxCapacity")
    # PredictiveScalingPolicyConfiguration.MaxCapacityBuffer: "Required if the MaxCapacityBreachBehavior property
    # is set to IncreaseMaxCapacity, and cannot be used otherwise."
    if behaviour == "IncreaseMaxCapacity" and "maxCapacityBuffer" not in config:
        problems.append(("maxCapacityBuffer", "IncreaseMaxCapacity needs maxCapacityBuffer (a percentage): add it"))
    if behaviour != "IncreaseMaxCapacity" and "maxCapacityBuffer" in config:
        problems.append(
            ("maxCapacityBuffer", "only maxCapacityBreachBehavior IncreaseMaxCapacity takes a buffer: remove it")
        )
    # PredictiveScalingPolicyConfiguration.SchedulingBufferTime: "must be less than the forecast interval duration
    # of 3600 seconds".
    buffer = as_int(config.get("schedulingBufferTime"))
    if buffer is not None and buffer >= 3600:
        problems.append(("schedulingBufferTime", f"{buffer} seconds: use less than 3600 (the forecast interval)"))
    return problems


def _step_rules(step: Mapping[str, Any]) -> list[Problem]:
    """Application Auto Scaling API reference, StepAdjustment: intervals may not overlap or leave a gap, and at
    most one has no lower bound and one no upper bound."""
    adjustments = [(i, a) for i, a in mappings(step, "stepAdjustments")]
    if len(adjustments) < 2:
        return []
    problems: list[Problem] = []
    lows = [a.get("metricIntervalLowerBound") for _, a in adjustments]
    highs = [a.get("metricIntervalUpperBound") for _, a in adjustments]
    if lows.count(None) > 1 or highs.count(None) > 1:
        problems.append(("stepAdjustments", "only one step may leave out its lower bound, and one its upper bound"))
        return problems
    try:
        ranked = sorted(
            zip(lows, highs, strict=True), key=lambda bounds: -math.inf if bounds[0] is None else float(bounds[0])
        )
    except (TypeError, ValueError):
        return problems
    for (_, high), (low, _) in zip(ranked, ranked[1:], strict=False):
        if high is None or low is None or float(high) != float(low):
            problems.append(
                ("stepAdjustments", "step intervals must meet end to end (each upper bound the next lower bound)")
            )
            break
    return problems
