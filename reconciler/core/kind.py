"""The Kind protocol: what every manifest kind tells the pure core, and the ordered registry the core loops over.

A kind's pure half (``reconciler/kinds/<kind>.py``) implements ``Kind``; its AWS half
(``reconciler/kinds/<kind>_live.py``) implements ``reconciler.kinds.live.LiveKind``. Nothing in the core names a
kind: facts that cross kinds travel as data — references between addresses, ``claims`` one resource makes on
another's fields, and the ``PlanContext`` the planner fills in dependency order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.schema import ShapeProblem

ActionType = Literal["create", "update", "replace", "delete"]
ACTION_TYPES: tuple[ActionType, ...] = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class Reference:
    """One resource naming another: ``path`` is the field that names it (for error messages)."""

    address: Address
    path: str
    required: bool = True
    """Plan fails when the target is neither declared nor live."""
    missing: str = ""
    """What plan says when a required target is neither declared nor live."""


@dataclass(frozen=True)
class Note:
    """Something the plan reader must know that is not an action (an unmanaged resource left alone, a skip)."""

    message: str
    address: Address | None = None
    blocking: bool = False
    """The live state cannot converge while this stands (apply exits 1)."""


@dataclass(frozen=True)
class Timeline:
    """How a change will roll out once applied: the deployment strategy and its steps in order, in words
    (``canary 10% for 5 min, then 100%``, ``bake 15 min``, ``pauses before production traffic, ...``)."""

    strategy: str
    steps: tuple[str, ...]

    def __str__(self) -> str:
        return "; ".join(self.steps)


@dataclass(frozen=True)
class Decision:
    """What a kind makes of a diff: update in place or replace, why, and what later actions may refer to."""

    action: Literal["update", "replace"] = "update"
    reason: str = "live state differs from the manifest"
    produces: str | None = None
    """A reference that exists only once this action has run (``family:(new revision)``)."""
    rollout: Timeline | None = None
    """How the deployment this action starts will roll out (None: it starts none)."""


@dataclass
class PlanContext:
    """What the planner knows while it walks the desired resources in dependency order."""

    desired: Mapping[Address, Resource]
    observed: Mapping[Address, Live]
    claims: Mapping[Address, Mapping[str, Any]] = field(default_factory=dict)
    """Fields of one resource that another owns: Service address -> {"desiredCount": (min, max)}."""
    produced: dict[Address, str] = field(default_factory=dict)
    """Address -> the reference an earlier action of this plan produces (a task definition's new revision)."""


@dataclass(frozen=True)
class Cost:
    """What a resource's monthly cost depends on (priced by ``reconciler.core.cost``)."""

    count_low: int
    count_high: int
    strategy: Sequence[Mapping[str, Any]] | None
    """Capacity providers the tasks run on; None for the EC2 (or EXTERNAL) launch type."""
    task: Mapping[str, Any] | None
    """The task definition (API input or describe output) of one task."""


class Kind(Protocol):
    """One manifest kind's pure operations. ``BaseKind`` gives the defaults most kinds keep."""

    @property
    def name(self) -> str:
        """The manifest's ``kind``."""

    @property
    def name_field(self) -> str | None:
        """The API member ``metadata.name`` fills (None: the name is a label only)."""

    def check_name(self, name: object) -> str | None:
        """Why ``name`` is not a valid name for the kind, or None."""

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        """The spec checked against botocore's model(s): (coerced spec, problems)."""

    def spec_schema(self) -> dict[str, Any]:
        """The spec as a JSON Schema object built from the same botocore shapes (``reconciler.core.json_schema``)."""

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        """The resource's identity."""

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        """Rules AWS enforces that its model does not encode; ``declared`` is the whole manifest set."""

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        """What the resource names and needs (a service's cluster and family, a task's log groups)."""

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        """What a live resource uses (a live revision's log groups): kept by prune, followed by export."""

    def in_use(self, live: Live) -> set[str]:
        """Immutable versions of other resources this live resource runs (``family:revision``): never deleted."""

    def delete_refused(self, live: Live, deleting: set[Address], users: int) -> str | None:
        """Why prune must keep this managed live resource (what still uses it, other than ``deleting``), or None;
        ``users``: how many of the resources this prune deletes use it (name it among their live references)."""

    def referrers_of(self, address: Address) -> list[Address]:
        """Addresses of this kind that may refer to ``address`` (a service's ScalingPolicy): followed by export."""

    def claims(self, resource: Resource) -> Mapping[Address, Mapping[str, Any]]:
        """Fields of other resources this one owns (a ScalingPolicy owns its service's desiredCount range)."""

    def live_claims(self, live: Live) -> Mapping[Address, Mapping[str, Any]]:
        """The same, as the live resource holds them (the live scalable target's range)."""

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        """The resource as it should be planned, given what earlier kinds decided (claims, produced references)."""

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        """Field-level changes that turn live into desired (both normalised)."""

    def creation(self, resource: Resource) -> list[FieldChange]:
        """The fields a create shows."""

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        """Update or replace, why, and what the action produces (``live`` None: a create)."""

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        """A live resource as the spec a manifest would declare, server defaults dropped; ``found``: what else was
        read (a service names its family alone when it runs the latest revision)."""

    def findings(self, resource: Resource, declared: Mapping[Address, Resource]) -> Iterator[tuple[str, str, str]]:
        """Security findings: (rule id, field path, message)."""

    def cost_subject(self, address: Address) -> Address | None:
        """The resource whose cost an action on ``address`` changes (None: costs nothing by itself)."""

    def cost(
        self,
        doc: Mapping[str, Any],
        address: Address,
        related: Mapping[Address, Mapping[str, Any]],
        claims: Mapping[str, Any],
    ) -> Cost | None:
        """What a desired spec or live body costs; ``related``: the documents it references, by address; ``claims``:
        what other resources own of it (a desiredCount range)."""


class BaseKind:
    """Defaults for the optional parts of ``Kind``: no references, claims, findings, cost or export."""

    name: str = ""
    name_field: str | None = None

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        return []

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        return []

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        return []

    def in_use(self, live: Live) -> set[str]:
        return set()

    def delete_refused(self, live: Live, deleting: set[Address], users: int) -> str | None:
        return None

    def referrers_of(self, address: Address) -> list[Address]:
        return []

    def claims(self, resource: Resource) -> Mapping[Address, Mapping[str, Any]]:
        return {}

    def live_claims(self, live: Live) -> Mapping[Address, Mapping[str, Any]]:
        return {}

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        return resource, []

    def creation(self, resource: Resource) -> list[FieldChange]:
        return [FieldChange(k, ABSENT, v) for k, v in sorted(resource.spec.items())]

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        return Decision()

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        return None

    def findings(self, resource: Resource, declared: Mapping[Address, Resource]) -> Iterator[tuple[str, str, str]]:
        return iter(())

    def cost_subject(self, address: Address) -> Address | None:
        return None

    def cost(
        self,
        doc: Mapping[str, Any],
        address: Address,
        related: Mapping[Address, Mapping[str, Any]],
        claims: Mapping[str, Any],
    ) -> Cost | None:
        return None


class Registry:
    """The kinds in dependency order: each may refer to the kinds before it; deletes run in reverse."""

    def __init__(self, kinds: Sequence[Kind]) -> None:
        self._kinds = {k.name: k for k in kinds}
        self.names: tuple[str, ...] = tuple(k.name for k in kinds)

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())

    def __getitem__(self, name: str) -> Kind:
        return self._kinds[name]

    def get(self, name: object) -> Kind | None:
        return self._kinds.get(name) if isinstance(name, str) else None

    def of(self, address: Address) -> Kind:
        return self._kinds[address.kind]

    def rank(self, address: Address) -> int:
        """Position of the address's kind in dependency order."""
        return self.names.index(address.kind) if address.kind in self._kinds else len(self.names)

    def order(self, address: Address) -> tuple[int, Address]:
        """Sort key: dependency order, then address."""
        return self.rank(address), address
