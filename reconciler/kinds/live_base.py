"""The AWS half of every kind: the ``LiveKind`` protocol, what the executor hands each write, and the registry.

Each ``<kind>_live.py`` implements ``LiveKind`` for the pure kind beside it, and the facets it declares (``Rollouts``);
``reconciler.kinds.live.LIVE`` lists them in the same dependency order as ``reconciler.kinds.KINDS``. What several
halves share lives here too: ``BaseLive``'s defaults, ``EcsTaggedLive``'s retag of an ECS resource by its ARN, and
``names_by_scope``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from reconciler.aws import Aws
from reconciler.core.diff import FieldChange
from reconciler.core.errors import ManifestError, PlanError
from reconciler.core.kind import Kind, facet_problems
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import family_of
from reconciler.core.settings import ApplySettings
from reconciler.core.tags import Stamp
from reconciler.kinds.tagging import ECS, sync_spec_tags
from reconciler.kinds.task_definition import KIND as TASK_DEFINITION
from reconciler.kinds.task_definition import NEW_REVISION


class Found(dict[Address, Live]):
    """Live state read so far in one pass, by address, and every address looked up (the absent ones too).

    ``kept``: what kinds keep of immutable live state, by kind name: between passes for the daemon, for one plan
    otherwise. A kind keeps only what cannot change (a task definition revision, by ARN) and checks it against what
    the pass reads first, so every pass still compares all of desired against live."""

    def __init__(self, kept: dict[str, Any] | None = None, *, keep_for: float = 0.0) -> None:
        super().__init__()
        self.looked_up: set[Address] = set()
        self.kept: dict[str, Any] = kept if kept is not None else {}
        self.keep_for = keep_for
        """Seconds what is kept may be used before it is read again (its mutable parts: tags)."""
        self.lookups: dict[str, Any] = {}
        """Answers kinds share within the pass, asked once (Cloud Map namespaces)."""


@dataclass
class ApplyContext:
    """What one apply knows beyond the action in hand."""

    settings: ApplySettings
    revision: str | None = None
    """The git revision being applied, tagged onto what changes."""
    in_use: set[str] = field(default_factory=set)
    """``family:revision`` of every task definition a live service runs or deploys (never deregistered)."""
    outputs: dict[Address, str] = field(default_factory=dict)
    """Address -> what an earlier action of this apply produced (the ARN of a newly registered revision)."""
    epoch: int | None = None
    """The lease epoch (fencing token) of the daemon applying, tagged onto what changes; None without a lease."""
    lookups: dict[str, Any] = field(default_factory=dict)
    """Answers the apply's actions share, asked once (Cloud Map's services, to send a registry's ARN)."""
    replacing: Live | None = None
    """During a replace's create: the live resource it replaces (a create's idempotency token differs from the one
    that created the old resource of the same name)."""
    held: str | None = None
    """The hold marker a Retag writes (``Retag.held``)."""

    @property
    def stamp(self) -> Stamp:
        """The tool's own tags for this apply: the instance, the revision, the lease epoch (and a hold marker)."""
        return Stamp(self.settings.instance, self.revision, self.epoch, self.held)

    def output(self, address: Address) -> str:
        if address not in self.outputs:
            raise PlanError(f"{address} was to be produced earlier in this apply but was not")
        return self.outputs[address]

    def task_definition(self, ref: str) -> str:
        """A planned task definition reference, ``family:(new revision)`` resolved to what this apply registered."""
        if ref.endswith(f":{NEW_REVISION}"):
            return self.output(Address(TASK_DEFINITION.name, family_of(ref)))
        return ref


class LiveKind(Protocol):
    """One kind's reads and writes."""

    @property
    def kind(self) -> Kind:
        """The pure half."""

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        """Live state at these addresses (absent ones left out), batched; ``found``: what earlier kinds read."""

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        """Every live resource of the kind that carries the managed-by tag (for prune)."""

    def check_live(
        self, aws: Aws, resources: Sequence[Resource], declared: Mapping[Address, Resource]
    ) -> list[ManifestError]:
        """Plan-time rules only live state can answer (roles exist and trust ECS), before any write; ``declared``:
        every resource the manifests declare (a service's load balancers are checked against its declared task
        definition, else the live one)."""

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        """Create the resource, tagged as the tool's; returns what later actions may need (an ARN) or None."""

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        """Change the live resource in place so the ``changes`` are made, tags included; returns what later actions
        may need (an ARN) or None."""

    def retag(self, aws: Aws, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        """Bring only the tags in line (``reconciler.kinds.tagging.sync_tags``); returns what later actions may
        need or None."""

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        """Delete the live resource (a delete whose resource is already gone is done)."""

    def await_gone(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        """After ``delete``, before a create of the same name (a replace): wait until the name is free."""


class BaseLive:
    """Defaults for the optional parts of ``LiveKind``: no plan-time live checks, a name free once deleted."""

    def await_gone(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        return None

    def check_live(
        self, aws: Aws, resources: Sequence[Resource], declared: Mapping[Address, Resource]
    ) -> list[ManifestError]:
        return []


class EcsTaggedLive(BaseLive):
    """``BaseLive`` for an ECS resource tagged through TagResource on its ARN (the describe answer's ``arn_field``),
    its spec holding its tags."""

    arn_field: ClassVar[str]

    def retag(self, aws: Aws, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        arn = str(live.body[self.arn_field])
        sync_spec_tags(aws, ECS, arn, desired.spec, live.body.get("tags"), stamp=ctx.stamp)
        return None


def names_by_scope(addresses: Iterable[Address], *, default: str = "") -> dict[str, list[str]]:
    """The addresses' names grouped by their scope (their cluster), ``default`` for those that name none."""
    grouped: dict[str, list[str]] = {}
    for address in addresses:
        grouped.setdefault(address.scope or default, []).append(address.name)
    return grouped


# --- facets: what some kinds' live halves do, declared by inheriting the facet (as ``reconciler.core.kind``'s) -----


class Rollouts:
    """Facet: the kind's resources roll out (a service's deployments), and AWS can say why one is stuck."""

    def rollout_trouble(self, aws: Aws, body: Mapping[str, Any]) -> list[str]:
        """Why a rollout that failed or stalls may be stuck, as AWS explains it beyond the resource's own describe
        answer ``body`` (a service's unhealthy load balancer targets); asked only then, never on every poll."""
        raise NotImplementedError


LIVE_FACETS: tuple[type[Any], ...] = (Rollouts,)
"""Every facet a kind's live half may declare."""


def live_registry(halves: Sequence[LiveKind]) -> dict[str, LiveKind]:
    """The live halves by kind name; refuses one whose facets are declared but not defined, or defined but not
    declared."""
    if problems := [p for h in halves for p in facet_problems(h, h.kind.name, LIVE_FACETS)]:
        raise TypeError("; ".join(problems))
    return {h.kind.name: h for h in halves}
