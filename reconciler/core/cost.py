"""Cost delta: the monthly Fargate cost of each service a plan touches, before and after, and the total change.

Pure: ``estimate`` reads the plan, the desired resources, live state and a price table (bundled data, read by
``load_prices``). A task costs (vCPU x price per vCPU-hour + GB x price per GB-hour) x hours per month; a service
costs desiredCount tasks, split between FARGATE and FARGATE_SPOT as its capacity provider strategy places them
(``base`` first, the rest by ``weight``), ARM64 priced separately. With a ScalingPolicy the cost is a range from
minCapacity to maxCapacity tasks: "after" from the manifests' policy, "before" from the live scalable target when the
plan read it (it does for every service the manifests give a ScalingPolicy). A change to a service's ScalingPolicy
alone is a cost change of that service too. EC2 capacity is "not estimated"; a price missing from the table is
"no price".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Plan
from reconciler.kinds import cluster, scaling, service, task_definition

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


@dataclass(frozen=True)
class Prices:
    """A price table: region -> capacity provider -> architecture -> {vcpuHour, gbHour} in USD."""

    date: str
    source: str
    hours_per_month: int
    regions: Mapping[str, Any]


@dataclass(frozen=True)
class Estimate:
    """A monthly cost in USD (a range when a ScalingPolicy bounds the task count), or why there is none."""

    low: float | None = None
    high: float | None = None
    reason: str | None = None
    """Set when there is no figure: 'not estimated: ...' or 'no price: ...'."""


ABSENT = Estimate(0.0, 0.0)
"""A service that does not exist costs nothing."""


@dataclass(frozen=True)
class ServiceCost:
    address: Address
    before: Estimate
    after: Estimate

    @property
    def delta(self) -> tuple[float, float] | None:
        """Monthly change (low, high); None without a figure on both sides."""
        if self.before.low is None or self.before.high is None or self.after.low is None or self.after.high is None:
            return None
        return self.after.low - self.before.high, self.after.high - self.before.low


@dataclass(frozen=True)
class CostReport:
    region: str
    prices_date: str
    services: tuple[ServiceCost, ...]

    @property
    def priced(self) -> tuple[ServiceCost, ...]:
        """The services with a figure on both sides (the ones the delta adds up)."""
        return tuple(s for s in self.services if s.delta is not None)

    @property
    def delta(self) -> tuple[float, float]:
        """Total monthly change (low, high) over the priced services."""
        deltas = [s.delta for s in self.services if s.delta is not None]
        return sum(d[0] for d in deltas), sum(d[1] for d in deltas)


def load_prices() -> Prices:
    """The bundled price table (reconciler/data/fargate-prices.json)."""
    data = json.loads((Path(__file__).parent / "data" / "fargate-prices.json").read_text("utf-8"))
    return Prices(data["date"], data["source"], int(data["hoursPerMonth"]), data["regions"])


def split_tasks(count: int, strategy: list[Mapping[str, Any]]) -> dict[str, float]:
    """How ECS places ``count`` tasks over a capacity provider strategy: each ``base`` first, the rest by weight."""
    placed: dict[str, float] = {}
    left = float(count)
    for item in strategy:
        take = min(left, float(item.get("base", 0) or 0))
        placed[item["capacityProvider"]] = placed.get(item["capacityProvider"], 0.0) + take
        left -= take
    total_weight = sum(float(item.get("weight", 0) or 0) for item in strategy)
    for item in strategy:
        share = left * float(item.get("weight", 0) or 0) / total_weight if total_weight else 0.0
        placed[item["capacityProvider"]] = placed.get(item["capacityProvider"], 0.0) + share
    return placed


@dataclass(frozen=True)
class _Shape:
    """What a service's cost depends on."""

    count_low: int
    count_high: int
    strategy: list[Mapping[str, Any]] | None
    """Capacity providers the tasks run on; None for the EC2 (or EXTERNAL) launch type."""
    task: Mapping[str, Any] | None
    """The task definition (API input or describe output)."""


def _monthly(shape: _Shape, prices: Prices, region: str) -> Estimate:
    if shape.strategy is None:
        return Estimate(reason="not estimated: EC2 launch type")
    if shape.task is None:
        return Estimate(reason="not estimated: its task definition is not known")
    non_fargate = [s["capacityProvider"] for s in shape.strategy if s["capacityProvider"] not in FARGATE_PROVIDERS]
    if non_fargate:
        return Estimate(reason=f"not estimated: EC2 capacity provider {non_fargate[0]}")
    platform = shape.task.get("runtimePlatform") or {}
    if str(platform.get("operatingSystemFamily", "LINUX")).startswith("WINDOWS"):
        return Estimate(reason="not estimated: Windows tasks")
    cpu = task_definition.task_size(shape.task.get("cpu"))
    memory = task_definition.task_size(shape.task.get("memory"))
    if cpu is None or memory is None:
        return Estimate(reason="not estimated: the task definition has no task-level cpu and memory")
    arch = "arm64" if platform.get("cpuArchitecture") == "ARM64" else "x86_64"
    table = prices.regions.get(region)
    if table is None:
        return Estimate(reason=f"no price: region {region} is not in the price table")

    def cost(count: int) -> float | None:
        total = 0.0
        for provider, tasks in split_tasks(count, shape.strategy or []).items():
            if not tasks:
                continue
            rate = (table.get(provider) or {}).get(arch)
            if rate is None:
                return None
            per_hour = cpu / 1024 * float(rate["vcpuHour"]) + memory / 1024 * float(rate["gbHour"])
            total += tasks * per_hour * prices.hours_per_month
        return total

    low, high = cost(shape.count_low), cost(shape.count_high)
    if low is None or high is None:
        providers = "/".join(s["capacityProvider"] for s in shape.strategy)
        return Estimate(reason=f"no price: {providers} {arch} in {region} is not in the price table")
    return Estimate(low, high)


def _strategy(doc: Mapping[str, Any], cluster_doc: Mapping[str, Any] | None) -> list[Mapping[str, Any]] | None:
    if doc.get("launchType"):
        return [{"capacityProvider": "FARGATE", "weight": 1}] if doc["launchType"] == "FARGATE" else None
    strategy = doc.get("capacityProviderStrategy") or (cluster_doc or {}).get("defaultCapacityProviderStrategy")
    return list(strategy) if strategy else None


def _task_range(count: int, bounds: Mapping[str, Any] | None) -> tuple[int, int]:
    """[minCapacity, maxCapacity] of a ScalingPolicy spec or a live scalable target; without one, the fixed count."""
    if bounds is None:
        return count, count
    return int(bounds.get("minCapacity", count)), int(bounds.get("maxCapacity", count))


def _live_shape(live: Live, state: Mapping[Address, Live], bounds: Mapping[str, Any] | None) -> _Shape:
    body = live.body
    low, high = _task_range(int(body.get("desiredCount", 0) or 0), bounds)
    td = state.get(Address(task_definition.KIND, service.family_of(str(body.get("taskDefinition", "")))))
    runs = task_definition.revision_of(str(body.get("taskDefinition", "")))
    task = td.body if td and task_definition.revision_of(str(td.body.get("taskDefinitionArn"))) == runs else None
    home = state.get(Address(cluster.KIND, str(live.address.cluster)))
    return _Shape(low, high, _strategy(body, home.body if home else None), task)


def _desired_shape(
    resource: Resource,
    live: Live | None,
    bounds: Mapping[str, Any] | None,
    desired: Mapping[Address, Resource],
    state: Mapping[Address, Live],
) -> _Shape:
    spec = resource.spec
    count = int(spec.get("desiredCount", (live.body.get("desiredCount", 0) if live else 0)) or 0)
    low, high = _task_range(count, bounds)
    family = service.family_of(str(spec.get("taskDefinition", "")))
    declared_td = desired.get(Address(task_definition.KIND, family))
    live_td = state.get(Address(task_definition.KIND, family))
    task = declared_td.spec if declared_td else (live_td.body if live_td else None)
    home_addr = Address(cluster.KIND, str(resource.address.cluster))
    declared_home, live_home = desired.get(home_addr), state.get(home_addr)
    home = declared_home.spec if declared_home else (live_home.body if live_home else None)
    return _Shape(low, high, _strategy(spec, home), task)


def _service_of(action_address: Address) -> Address | None:
    """The service whose cost an action on this address changes."""
    if action_address.kind == service.KIND:
        return action_address
    if action_address.kind == scaling.KIND:
        return scaling.service_address(action_address)
    return None


def estimate(
    plan: Plan, desired: list[Resource], live: Mapping[Address, Live], *, prices: Prices, region: str
) -> CostReport:
    """Before and after for every service the plan creates, changes or deletes, or whose ScalingPolicy it does."""
    by_address = {r.address: r for r in desired}
    deleted = {a.address for a in plan.actions if a.action == "delete"}
    touched = dict.fromkeys(addr for a in plan.actions if (addr := _service_of(a.address)) is not None)
    lines = []
    for addr in touched:
        policy_addr = Address(scaling.KIND, addr.name, addr.cluster)
        current, live_policy, policy = live.get(addr), live.get(policy_addr), by_address.get(policy_addr)
        live_bounds = live_policy.body["target"] if live_policy else None
        wanted_bounds = policy.spec if policy else None
        before = _monthly(_live_shape(current, live, live_bounds), prices, region) if current else ABSENT
        if addr in deleted:
            after = ABSENT
        elif addr in by_address:
            after = _monthly(_desired_shape(by_address[addr], current, wanted_bounds, by_address, live), prices, region)
        elif current:  # a service the manifests do not declare, whose ScalingPolicy they do
            after = _monthly(_live_shape(current, live, wanted_bounds), prices, region)
        else:
            after = ABSENT
        lines.append(ServiceCost(addr, before, after))
    return CostReport(region, prices.date, tuple(lines))
