"""Cost delta: the monthly cost of each service a plan touches, before and after, and the total change.

Pure: ``estimate`` reads the plan, the desired resources, live state and the price tables (``reconciler.core.prices``).
A service costs desiredCount tasks, split over its capacity provider strategy as ECS places them (``base`` first, the
rest by ``weight``): a task on FARGATE or FARGATE_SPOT costs (vCPU x price per vCPU-hour + GB x price per GB-hour) x
hours per month, ARM64 priced separately; a task on an ECS Managed Instances provider that names one instance type
costs its share of that instance (the larger of its vCPU and memory shares) x (On-Demand price + management fee) an
hour; each task's EBS volumes (``volumeConfigurations``) add their monthly price. With a ScalingPolicy the cost is a
range from minCapacity to maxCapacity tasks: "after" from the manifests' policy, "before" from the live scalable
target when the plan read it (it does for every service the manifests give a ScalingPolicy). A change to a service's
ScalingPolicy alone is a cost change of that service too. EC2 capacity is "not estimated"; a price missing from a
table is "no price"; the report's notes say which tables beyond Fargate's were used and what they leave out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.core.aws_rules import FARGATE_PROVIDERS, as_size
from reconciler.core.kind import Claims, Cost, Costs, Registry
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Delete, Plan, claims_of
from reconciler.core.prices import Prices, fargate_hour, instance_hour, volumes_month


@dataclass(frozen=True)
class Estimate:
    """A monthly cost in USD (a range when a ScalingPolicy bounds the task count), or why there is none."""

    low: float | None = None
    high: float | None = None
    reason: str | None = None
    """Set when there is no figure: 'not estimated: ...' or 'no price: ...'."""
    uses: frozenset[str] = frozenset()
    """The price tables beyond Fargate's the figure reads (or would read): ``EBS``, ``MANAGED_INSTANCES``."""


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
    notes: tuple[str, ...] = ()
    """What the figures from the tables beyond Fargate's rest on and leave out, one line each."""

    @property
    def priced(self) -> tuple[ServiceCost, ...]:
        """The services with a figure on both sides (the ones the delta adds up)."""
        return tuple(s for s in self.services if s.delta is not None)

    @property
    def delta(self) -> tuple[float, float]:
        """Total monthly change (low, high) over the priced services."""
        deltas = [s.delta for s in self.services if s.delta is not None]
        return sum(d[0] for d in deltas), sum(d[1] for d in deltas)


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


EBS, MANAGED_INSTANCES = "EBS", "MANAGED_INSTANCES"


def _uses(shape: Cost) -> frozenset[str]:
    return frozenset([EBS] * bool(shape.volumes) + [MANAGED_INSTANCES] * bool(shape.instances))


def _monthly(shape: Cost | None, prices: Prices, region: str) -> Estimate:
    if shape is None:
        return Estimate(reason="not estimated")
    uses = _uses(shape)
    reason, hourly = _task_hours(shape, prices, region)
    volumes = volumes_month(shape.volumes, prices.ebs, region) if reason is None else 0.0
    if reason is not None or isinstance(volumes, str):
        return Estimate(reason=reason or str(volumes), uses=uses)

    def cost(count: int) -> float | str:
        total = count * float(volumes)
        for provider, tasks in split_tasks(count, shape.strategy or []).items():
            if not tasks:
                continue
            rate = hourly[provider]
            if isinstance(rate, str):
                return rate
            total += tasks * rate * prices.hours_per_month
        return total

    low, high = cost(shape.count_low), cost(shape.count_high)
    if isinstance(low, str) or isinstance(high, str):
        return Estimate(reason=str(low if isinstance(low, str) else high), uses=uses)
    return Estimate(low, high, uses=uses)


def _task_hours(shape: Cost, prices: Prices, region: str) -> tuple[str | None, dict[str, float | str]]:
    """Why the tasks cannot be priced, or what one task costs an hour on each provider of the strategy (a reason in
    place of a price the tables lack: it counts only for a provider that gets tasks)."""
    if shape.strategy is None:
        return "not estimated: EC2 launch type", {}
    if shape.task is None:
        return "not estimated: its task definition is not known", {}
    providers = [str(s["capacityProvider"]) for s in shape.strategy]
    other = [p for p in providers if p not in FARGATE_PROVIDERS and p not in shape.instances]
    if other:
        return f"not estimated: EC2 capacity provider {other[0]}", {}
    platform = shape.task.get("runtimePlatform") or {}
    if str(platform.get("operatingSystemFamily", "LINUX")).startswith("WINDOWS"):
        return "not estimated: Windows tasks", {}
    cpu, memory = as_size(shape.task.get("cpu")), as_size(shape.task.get("memory"))
    if cpu is None or memory is None:
        return "not estimated: the task definition has no task-level cpu and memory", {}
    arch = "arm64" if platform.get("cpuArchitecture") == "ARM64" else "x86_64"
    size, named = (float(cpu), float(memory)), "/".join(providers)
    hourly: dict[str, float | str] = {}
    for provider in providers:
        if provider in FARGATE_PROVIDERS:
            hourly[provider] = fargate_hour(provider, arch, size, prices, region, strategy=named)
        else:
            hourly[provider] = instance_hour(provider, shape.instances[provider], size, prices.instances, region)
    return None, hourly


def report_notes(uses: frozenset[str], prices: Prices) -> tuple[str, ...]:
    """One line for each table beyond Fargate's that some figure reads: its source, date and what it leaves out."""
    tables = ((EBS, "EBS volumes", prices.ebs), (MANAGED_INSTANCES, "Managed Instances", prices.instances))
    return tuple(
        f"{label}: prices as of {t.date} from {t.source}; left out: {t.left_out}"
        for key, label, t in tables
        if key in uses
    )


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
        at = _Pricing(kind, addr, prices, region)
        before = ABSENT
        if current is not None:
            refs = kinds.live_references(current, region=region)
            before = at.estimate(current.body, refs, [live], live_claims.get(addr, {}))
        if addr in deleted:
            after = ABSENT
        elif addr in by_address:
            resource = by_address[addr]
            doc = dict(resource.spec)
            if "desiredCount" not in doc and current is not None:
                doc["desiredCount"] = current.body.get("desiredCount", 0)
            refs = [r.address for r in kinds.references(resource, region=region)]
            after = at.estimate(doc, refs, [by_address, live], wanted_claims.get(addr, {}))
        elif current is not None:  # a resource the manifests do not declare, whose cost another declared one sets
            refs = kinds.live_references(current, region=region)
            after = at.estimate(current.body, refs, [live], wanted_claims.get(addr, {}))
        else:
            after = ABSENT
        lines.append(ServiceCost(addr, before, after))
    uses = frozenset().union(*(e.uses for line in lines for e in (line.before, line.after)))
    return CostReport(region, prices.date, tuple(lines), partial, report_notes(uses, prices))


@dataclass(frozen=True)
class _Pricing:
    """One resource's kind and address, priced in one region."""

    kind: Costs
    address: Address
    prices: Prices
    region: str

    def estimate(
        self, doc: Mapping[str, Any], refs: list[Address], sources: Sequence[Mapping[Address, Any]], claims: Any
    ) -> Estimate:
        """``doc`` (a spec or a live body) priced with the documents it references and reads, from ``sources``."""
        related = _related(refs, *sources)
        related |= _related(self.kind.cost_inputs(doc, self.address, related), *sources)
        return _monthly(self.kind.cost(doc, self.address, related, claims), self.prices, self.region)


def _cost_subject(address: Address, kinds: Registry) -> Address | None:
    """The resource whose cost an action on ``address`` changes: itself when it costs, else what it claims."""
    if kinds.facet(address, Costs):
        return address
    claimer = kinds.facet(address, Claims)
    return claimer.claimed(address) if claimer else None
