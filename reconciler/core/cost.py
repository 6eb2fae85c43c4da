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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.aws_rules import FARGATE_PROVIDERS, as_size
from reconciler.core.kind import Claims, Cost, Costs, Registry
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Delete, Plan, claims_of


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
        """Monthly change of each end of the range (low to low, high to high); None without a figure on both sides.
        A service whose range is unchanged changes by nothing, whatever the range's width."""
        if self.before.low is None or self.before.high is None or self.after.low is None or self.after.high is None:
            return None
        ends = self.after.low - self.before.low, self.after.high - self.before.high
        return min(ends), max(ends)


@dataclass(frozen=True)
class CostReport:
    region: str
    prices_date: str
    services: tuple[ServiceCost, ...]
    partial: bool = False
    """The plan covers only some resources (``--target``): so does the cost."""

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


def split_tasks(count: int, strategy: Sequence[Mapping[str, Any]]) -> dict[str, float]:
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


def _monthly(shape: Cost | None, prices: Prices, region: str) -> Estimate:
    if shape is None:
        return Estimate(reason="not estimated")
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
    cpu = as_size(shape.task.get("cpu"))
    memory = as_size(shape.task.get("memory"))
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


def _related(refs: list[Address], *sources: Mapping[Address, Any]) -> dict[Address, Mapping[str, Any]]:
    """The documents ``refs`` name, from the first source that has each."""
    out: dict[Address, Mapping[str, Any]] = {}
    for ref in refs:
        for source in sources:
            if ref in source:
                item = source[ref]
                out[ref] = item.spec if isinstance(item, Resource) else item.body
                break
    return out


def estimate(
    plan: Plan,
    desired: list[Resource],
    live: Mapping[Address, Live],
    kinds: Registry,
    *,
    prices: Prices,
    region: str,
    partial: bool = False,
) -> CostReport:
    """Before and after for every resource with a cost (``Costs.cost``) that the plan creates, changes or deletes,
    or whose cost an action on another resource changes (a service's ScalingPolicy: ``Claims.claimed``)."""
    by_address = {r.address: r for r in desired}
    deleted = {a.address for a in plan.actions if isinstance(a, Delete)}
    touched = dict.fromkeys(s for a in plan.actions if (s := _cost_subject(a.address, kinds)) is not None)
    wanted_claims = claims_of(desired, kinds)
    live_claims: dict[Address, dict[str, Any]] = {}
    for item in live.values():
        claimer = kinds.facet(item.address, Claims)
        for address, fields in (claimer.live_claims(item) if claimer else {}).items():
            live_claims.setdefault(address, {}).update(fields)
    lines = []
    for addr in touched:
        kind, current = kinds.facet(addr, Costs), live.get(addr)
        if kind is None:
            continue
        before = ABSENT
        if current is not None:
            refs = kinds.live_references(current, region=region)
            shape = kind.cost(current.body, addr, _related(refs, live), live_claims.get(addr, {}))
            before = _monthly(shape, prices, region)
        if addr in deleted:
            after = ABSENT
        elif addr in by_address:
            resource = by_address[addr]
            doc = dict(resource.spec)
            if "desiredCount" not in doc and current is not None:
                doc["desiredCount"] = current.body.get("desiredCount", 0)
            refs = [r.address for r in kinds.references(resource, region=region)]
            related = _related(refs, by_address, live)
            after = _monthly(kind.cost(doc, addr, related, wanted_claims.get(addr, {})), prices, region)
        elif current is not None:  # a resource the manifests do not declare, whose cost another declared one sets
            refs = kinds.live_references(current, region=region)
            shape = kind.cost(current.body, addr, _related(refs, live), wanted_claims.get(addr, {}))
            after = _monthly(shape, prices, region)
        else:
            after = ABSENT
        lines.append(ServiceCost(addr, before, after))
    return CostReport(region, prices.date, tuple(lines), partial)


def _cost_subject(address: Address, kinds: Registry) -> Address | None:
    """The resource whose cost an action on ``address`` changes: itself when it costs, else what it claims."""
    if kinds.facet(address, Costs):
        return address
    claimer = kinds.facet(address, Claims)
    return claimer.claimed(address) if claimer else None
