"""Application Auto Scaling's rules beyond botocore's model, for a ScalingPolicy spec (see
``reconciler.core.aws_rules`` for the form of a rule): schedules, scheduled capacities and times, step intervals."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, as_map, mappings, non_finite, prefixed

_SCHEDULE_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)\Z")
_SCHEDULE_RATE = re.compile(r"rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)\Z")
_SCHEDULE_CRON = re.compile(r"cron\(([^()]*)\)\Z")


def scaling_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """Application Auto Scaling's rules beyond botocore's model, for a ScalingPolicy spec."""
    problems: list[Problem] = list(non_finite(spec, ""))
    for i, action in mappings(spec, "scheduledActions"):
        schedule = action.get("schedule")
        # Application Auto Scaling API reference, PutScheduledAction Schedule, and its user guide's "Schedule
        # recurring scaling actions using cron expressions": at(), rate() or a 6-field cron() with ? in
        # day-of-month or day-of-week.
        if isinstance(schedule, str) and (why := _schedule_problem(schedule)):
            problems.append((f"scheduledActions[{i}].schedule", why))
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
        start, end = _timestamp(action.get("startTime")), _timestamp(action.get("endTime"))
        if start is not None and end is not None and start >= end:
            problems.append((f"scheduledActions[{i}].endTime", "endTime must be after startTime"))
    for i, policy in mappings(spec, "policies"):
        step = as_map(policy.get("stepScalingPolicyConfiguration"))
        problems += prefixed(f"policies[{i}].stepScalingPolicyConfiguration", _step_rules(step))
    return problems


def _schedule_problem(schedule: str) -> str | None:
    usage = "use at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours day month weekday year)"
    if match := _SCHEDULE_AT.match(schedule):
        try:
            datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return f"{match.group(1)} is not a date and time: {usage}"
        return None
    if _SCHEDULE_RATE.match(schedule):
        return None
    if match := _SCHEDULE_CRON.match(schedule):
        fields = match.group(1).split()
        if len(fields) != 6:
            return f"a cron expression has 6 fields, this one {len(fields)}: {usage}"
        if "?" not in (fields[2], fields[4]):
            return "cron needs ? in day-of-month or day-of-week (one of them, e.g. cron(0 22 * * ? *))"
        return None
    return f"{schedule!r} is not a schedule: {usage}"


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


def _timestamp(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
