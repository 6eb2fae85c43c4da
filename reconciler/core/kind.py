"""The Kind protocol: what every manifest kind tells the pure core, and the ordered registry the core loops over.

A kind's pure half (``reconciler/kinds/<kind>.py``) implements ``Kind`` and the facets it declares; its AWS half
(``reconciler/kinds/<kind>_live.py``) implements ``reconciler.kinds.live_base.LiveKind``. Nothing in the core names a
kind: facts that cross kinds travel as data — references between addresses, ``claims`` one resource makes on
another's fields, and the ``PlanContext`` the planner fills in dependency order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reconciler.core.actions import Order, Reason, RunTask
from reconciler.core.actions import Timeline as Timeline  # the kinds build it here
from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.schema import ShapeProblem


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


def only_tags(changes: Sequence[FieldChange]) -> bool:
    """Every change is to ``tags`` or one tag (``tags.<key>``)."""
    return bool(changes) and all(c.path == "tags" or c.path.startswith("tags.") for c in changes)


@dataclass(frozen=True)
class InPlace:
    """Update in place (or, for a create, what it produces)."""

    reason: Reason = Reason.DIFFERS
    produces: str | None = None
    """A reference that exists only once this action has run (``family:(new revision)``)."""
    rollout: Timeline | None = None
    """How the deployment this action starts will roll out (None: it starts none)."""
    first: tuple[RunTask, ...] = ()
    """Tasks that must run and exit 0 before the update (pre-rollout hooks)."""


@dataclass(frozen=True)
class Recreate:
    """The changes cannot be made in place: replace, in ``order``."""

    forced_by: tuple[str, ...]
    """The field paths that cannot change in place."""
    reason: Reason = Reason.IMMUTABLE
    order: Order = Order.DELETE_THEN_CREATE
    rollout: Timeline | None = None


@dataclass(frozen=True)
class TagsOnly:
    """Only tags differ: retag, nothing else is written."""


Decision = InPlace | Recreate | TagsOnly
"""What a kind makes of a diff: update in place, replace, or retag; why, and what later actions may refer to."""


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
    instances: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The ECS Managed Instances providers the strategy names: provider name -> its ``managedInstancesProvider``."""
    volumes: Sequence[Mapping[str, Any]] = ()
    """The volumes ECS creates for each task (``volumeConfigurations``: a ``managedEBSVolume`` each)."""


class Kind(Protocol):
    """One manifest kind's core: what every kind tells the pure core (``BaseKind`` gives the defaults most keep).

    Identity (``name``, ``name_field``, ``check_name``, ``address``), shape (``check_shape``, ``spec_schema``,
    ``check``), normalise and diff (``prepare``, ``diff``, ``creation``) and ``decide``. What only some kinds do is a
    facet they declare by inheriting it (``Refers``, ``Pins``, ``Keeps``, ``Claims``, ``Exports``, ``Findings``,
    ``Costs``); the ``Registry`` checks each declaration and answers which kinds have a facet.
    """

    @property
    def name(self) -> str:
        """The manifest's ``kind``."""

    @property
    def name_field(self) -> str | None:
        """The API member ``metadata.name`` fills (None: the name is a label only)."""

    def check_name(self, name: object) -> str | None:
        """Why ``name`` is not a valid name for the kind, or None."""

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        """The resource's identity."""

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        """The spec checked against botocore's model(s): (coerced spec, problems)."""

    def spec_schema(self) -> dict[str, Any]:
        """The spec as a JSON Schema object built from the same botocore shapes (``reconciler.core.json_schema``)."""

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        """Rules AWS enforces that its model does not encode; ``declared`` is the whole manifest set."""

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        """The resource as it should be planned, given what earlier kinds decided (claims, produced references)."""

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        """Field-level changes that turn live into desired (both normalised)."""

    def creation(self, resource: Resource) -> list[FieldChange]:
        """The fields a create shows."""

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        """Update, replace or retag, why, and what the action produces (``live`` None: a create)."""


class BaseKind:
    """Defaults for the core members most kinds keep: no extra rules, planned as written, a create shows every
    field, a difference is an update in place."""

    name: str = ""
    name_field: str | None = None

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        return []

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        return resource, []

    def creation(self, resource: Resource) -> list[FieldChange]:
        return [FieldChange(k, ABSENT, v) for k, v in sorted(resource.spec.items())]

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        """Retag when only tags differ, else update in place."""
        return TagsOnly() if live is not None and only_tags(changes) else InPlace()


# --- facets: what some kinds do, declared by inheriting the facet (every member must then be defined) -------------


class Refers:
    """Facet: the kind's resources name others (a service its cluster and family, a task definition its log
    groups)."""

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        """What the resource names and needs."""
        raise NotImplementedError

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        """What a live resource uses (a live revision's log groups): kept by prune, followed by export."""
        raise NotImplementedError


class Pins:
    """Facet: a live resource runs immutable versions of others (a service its task definition revisions)."""

    def in_use(self, live: Live) -> set[str]:
        """The versions (``family:revision``) this live resource runs: never deleted."""
        raise NotImplementedError


class Keeps:
    """Facet: prune may have to keep a managed live resource of the kind (a cluster or provider still used)."""

    def delete_refused(self, live: Live, deleting: set[Address], users: int) -> str | None:
        """Why prune must keep this managed live resource (what still uses it, other than ``deleting``), or None;
        ``users``: how many of the resources this prune deletes use it (name it among their live references)."""
        raise NotImplementedError


class Claims:
    """Facet: the kind's resources own fields of another resource (a ScalingPolicy its service's desiredCount)."""

    def claimed(self, address: Address) -> Address:
        """The resource whose fields a resource of this kind at ``address`` owns (its cost changes with them)."""
        raise NotImplementedError

    def referrers_of(self, address: Address) -> list[Address]:
        """Addresses of this kind that may own fields of ``address``: followed by export."""
        raise NotImplementedError

    def claims(self, resource: Resource) -> Mapping[Address, Mapping[str, Any]]:
        """The fields of other resources this one owns, by their address."""
        raise NotImplementedError

    def live_claims(self, live: Live) -> Mapping[Address, Mapping[str, Any]]:
        """The same, as the live resource holds them (the live scalable target's range)."""
        raise NotImplementedError


class Exports:
    """Facet: ``export`` writes manifests for the kind's live resources."""

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        """A live resource as the spec a manifest would declare, server defaults dropped; ``found``: what else was
        read (a service names its family alone when it runs the latest revision)."""
        raise NotImplementedError


class Findings:
    """Facet: the kind's resources have security findings (``reconciler.core.security``)."""

    def findings(self, resource: Resource, declared: Mapping[Address, Resource]) -> Iterator[tuple[str, str, str]]:
        """Security findings: (rule id, field path, message)."""
        raise NotImplementedError


class Costs:
    """Facet: the kind's resources cost money by themselves (priced by ``reconciler.core.cost``)."""

    def cost(
        self,
        doc: Mapping[str, Any],
        address: Address,
        related: Mapping[Address, Mapping[str, Any]],
        claims: Mapping[str, Any],
    ) -> Cost | None:
        """What a desired spec or live body costs; ``related``: the documents it references and those
        ``cost_inputs`` names, by address; ``claims``: what other resources own of it (a desiredCount range)."""
        raise NotImplementedError

    def cost_inputs(
        self, doc: Mapping[str, Any], address: Address, related: Mapping[Address, Mapping[str, Any]]
    ) -> list[Address]:
        """Resources beyond its references whose documents its cost reads (the Managed Instances providers a
        service's strategy, or its cluster's default strategy in ``related``, names)."""
        raise NotImplementedError


FACETS: tuple[type[Any], ...] = (Refers, Pins, Keeps, Claims, Exports, Findings, Costs)
"""Every facet a kind may declare."""
F = TypeVar("F")


def facet_problems(holder: object, name: str, facets: Sequence[type[Any]]) -> list[str]:
    """What is wrong with the facets ``holder`` (kind ``name``'s pure or live half) declares among ``facets``: a
    member left undefined, or defined without its facet."""
    problems = []
    for facet in facets:
        members = [n for n, v in vars(facet).items() if callable(v) and not n.startswith("_")]
        for member in members:
            defined = getattr(type(holder), member, None)
            if isinstance(holder, facet) and defined is vars(facet)[member]:
                problems.append(f"{name} declares {facet.__name__} but does not define {member}")
            elif not isinstance(holder, facet) and defined is not None:
                problems.append(f"{name} defines {member} but does not declare {facet.__name__}")
    return problems


class Registry:
    """The kinds in dependency order: each may refer to the kinds before it; deletes run in reverse. Refuses a kind
    whose facets are declared but not defined, or defined but not declared."""

    def __init__(self, kinds: Sequence[Kind]) -> None:
        if problems := [p for k in kinds for p in facet_problems(k, k.name, FACETS)]:
            raise TypeError("; ".join(problems))
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

    def having(self, facet: type[F]) -> list[F]:
        """The kinds that declare ``facet``, in dependency order."""
        return [k for k in self._kinds.values() if isinstance(k, facet)]

    def facet(self, address: Address, facet: type[F]) -> F | None:
        """The address's kind as ``facet``, or None when the kind does not declare it."""
        kind = self._kinds.get(address.kind)
        return kind if isinstance(kind, facet) else None

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        """What the resource names (``Refers.references``; none for a kind that refers to nothing)."""
        kind = self.facet(resource.address, Refers)
        return kind.references(resource, region=region) if kind else []

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        """What the live resource uses (``Refers.live_references``; none for a kind that refers to nothing)."""
        kind = self.facet(live.address, Refers)
        return kind.live_references(live, region=region) if kind else []
