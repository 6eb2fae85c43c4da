"""AWS's rules that more than one kind obeys, and the readers every kind's rules use (``<kind>_rules`` modules and
the kinds' own ``check`` hold the rules of one kind).

A rule takes a manifest spec (camelCase, as the Kind holds it) and returns ``(field path, message)`` pairs, the path
relative to the spec in the error form ``containerDefinitions[0].image``; ``[]`` when AWS would accept it. Each rule
names in a comment the AWS documentation it comes from; each message says what to do. Rules are pure: they read no
file and call no AWS, and they never raise on a spec of the wrong shape (schema.py reports that).
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

Problem = tuple[str, str]
"""(field path relative to the spec, what is wrong and what to do)."""

FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
"""The capacity providers AWS gives every cluster (ECS developer guide, "AWS Fargate capacity providers"): never
declared, never referenced, and the only ones that run Fargate tasks."""

_TAG_PUNCTUATION = frozenset(" _.:/=+-@")
_SCHEDULE_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)\Z")
_SCHEDULE_RATE = re.compile(r"rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)\Z")
_SCHEDULE_CRON = re.compile(r"cron\(([^()]*)\)\Z")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$", re.I)


def on_fargate(spec: Mapping[str, Any]) -> bool:
    """Whether a service or task's tasks run on Fargate: launchType FARGATE, or a Fargate provider in its
    capacityProviderStrategy (a CreateService input, a DescribeServices entry or a RunTask input)."""
    return spec.get("launchType") == "FARGATE" or any(
        p in FARGATE_PROVIDERS for p in providers_of(spec.get("capacityProviderStrategy"))
    )


def fargate_compatible(task_definition: Mapping[str, Any]) -> bool:
    """Whether a task definition is registered for Fargate (FARGATE in requiresCompatibilities)."""
    return "FARGATE" in as_list(task_definition.get("requiresCompatibilities"))


# --- small readers that never raise ------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else ``[]``."""
    return value if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else ``{}``."""
    return value if isinstance(value, Mapping) else {}


def mappings(spec: Mapping[str, Any], field: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(index, item) for each mapping in the list ``spec[field]``."""
    return ((i, item) for i, item in enumerate(as_list(spec.get(field))) if isinstance(item, Mapping))


def as_int(value: Any) -> int | None:
    """An integer written as a number or digits; None otherwise (booleans too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def as_size(value: Any) -> int | None:
    """CPU units or MiB from ``1024``, ``"1024"``, ``"1 vCPU"`` or ``"2 GB"``; None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    match = _SIZE.match(str(value))
    if not match:
        return None
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    return int(number * 1024) if unit in ("vcpu", "gb") else int(number)


def as_timestamp(value: Any) -> datetime.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string (UTC when it names no offset); None otherwise."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def network_mode(spec: Mapping[str, Any]) -> str:
    """A task definition's network mode; AWS's default is bridge (Linux EC2)."""
    mode = spec.get("networkMode")
    return mode if isinstance(mode, str) else "bridge"


def non_finite(value: Any, path: str) -> Iterator[Problem]:
    """Every ``.inf``/``.nan`` below ``value``."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, "infinity and NaN (.inf, .nan) are not numbers AWS takes: write a finite number"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from non_finite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from non_finite(item, f"{path}[{index}]")


def prefixed(prefix: str, problems: list[Problem]) -> list[Problem]:
    """``problems`` with their paths put under ``prefix``."""
    return [
        (f"{prefix}{'' if path.startswith('[') else '.'}{path}" if path else prefix, message)
        for path, message in problems
    ]


def providers_of(strategy: Any) -> list[str]:
    """The provider names of a capacity provider strategy."""
    return [str(item.get("capacityProvider")) for item in as_list(strategy) if isinstance(item, Mapping)]


def strategy_rules(strategy: Any, path: str) -> list[Problem]:
    """A capacity provider strategy (a cluster's default, a service's): ECS API reference,
    CapacityProviderStrategyItem, and developer guide "Capacity provider strategies"."""
    items = [(i, item) for i, item in enumerate(as_list(strategy)) if isinstance(item, Mapping)]
    if not items:
        return []
    problems: list[Problem] = []
    providers = [str(item.get("capacityProvider")) for _, item in items]
    # A strategy holds either Fargate providers or Auto Scaling group providers, not both.
    if {p in FARGATE_PROVIDERS for p in providers} == {True, False}:
        problems.append(
            (path, "mixes FARGATE/FARGATE_SPOT with Auto Scaling group providers: use one kind or the other")
        )
    # Only one capacity provider in a strategy can have a base defined.
    based = [i for i, item in items if (as_int(item.get("base")) or 0) > 0]
    if len(based) > 1:
        problems.append((f"{path}[{based[1]}].base", "only one capacity provider of a strategy may set a base"))
    # Weights all 0: "any RunTask or CreateService actions using the capacity provider strategy will fail".
    if all((as_int(item.get("weight")) or 0) == 0 for _, item in items):
        problems.append((path, "every weight is 0, so no task can be placed: give at least one provider a weight"))
    return problems


# --- schedules -------------------------------------------------------------------------------------------------


def schedule_problem(schedule: str) -> str | None:
    """Why ``schedule`` is not an at(), rate() or 6-field cron() expression with ? in day-of-month or day-of-week,
    or None: Application Auto Scaling's PutScheduledAction Schedule and EventBridge Scheduler's CreateSchedule
    ScheduleExpression take the same three forms ("Schedule recurring scaling actions using cron expressions";
    Scheduler User Guide, "Schedule types on EventBridge Scheduler")."""
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


def time_zone_problem(zone: Any) -> str | None:
    """Why ``zone`` is not a canonical IANA time zone name (``Europe/Paris``, ``Etc/GMT+9``), or None; None too where
    this machine holds no time zone database to check against."""
    if not isinstance(zone, str):
        return None
    known = _time_zones()
    if not known or zone in known:
        return None
    return f"{zone!r} is not an IANA time zone: use a name such as Europe/Paris, America/New_York or UTC"


@functools.cache
def _time_zones() -> frozenset[str]:
    import zoneinfo  # only when a manifest names a time zone

    return frozenset(zoneinfo.available_timezones())


# --- tags -------------------------------------------------------------------------------------------------------


def tag_rules(tags: Any) -> list[Problem]:
    """ECS API reference, Tag data type / TagResource, and CloudWatch Logs TagLogGroup: the reserved ``aws:``
    prefix and the characters tags may hold. ``tags`` is ECS's ``[{key, value}]`` list or a ``{key: value}`` map;
    paths are relative to it (``[0].key``, ``team``)."""
    pairs: list[tuple[str, Any, Any, str]]
    if isinstance(tags, Mapping):
        pairs = [(str(key), str(key), value, str(key)) for key, value in tags.items()]
    else:
        pairs = [
            (f"[{i}].key", item.get("key"), item.get("value"), f"[{i}].value")
            for i, item in enumerate(as_list(tags))
            if isinstance(item, Mapping)
        ]
    problems: list[Problem] = []
    for key_path, key, value, value_path in pairs:
        if not isinstance(key, str):
            continue
        if key.lower().startswith("aws:"):
            problems.append((key_path, f"tag key {key!r}: the aws: prefix (any case) is reserved for AWS; rename it"))
        if bad := _bad_tag_characters(key):
            problems.append((key_path, f"tag key {key!r} holds {bad}: use letters, digits, spaces and _ . : / = + - @"))
        if isinstance(value, str) and (bad := _bad_tag_characters(value)):
            problems.append((value_path, f"tag value holds {bad}: use letters, digits, spaces and _ . : / = + - @"))
    return problems


def _bad_tag_characters(text: str) -> str | None:
    bad = sorted({c for c in text if not (c.isalnum() or c in _TAG_PUNCTUATION)})
    return " ".join(repr(c) for c in bad) if bad else None
