"""The Plan is data: ordered actions with field-level diffs, computed by a pure function of (desired, observed).

``make_plan`` reads no files and calls no AWS. Renderers and the executor read the same Plan object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.errors import PlanError
from reconciler.core.model import Address, Live, Observed, Resource
from reconciler.core.redact import redact_at
from reconciler.core.settings import MANAGED_TAG_KEY, MANAGED_TAG_VALUE, ApplySettings
from reconciler.kinds import KINDS, cluster, scaling, service, task_definition

ActionType = Literal["create", "update", "replace", "delete"]
ACTION_TYPES: tuple[ActionType, ...] = ("create", "update", "replace", "delete")
NEW_REVISION = "(new revision)"
"""Stands for the revision an earlier action of the same plan registers: ``family:(new revision)``."""


@dataclass(frozen=True)
class Action:
    """One change to one resource."""

    action: ActionType
    address: Address
    changes: tuple[FieldChange, ...]
    reason: str
    resource: Resource | None = None
    """The desired resource (None for a delete)."""
    live: Live | None = None
    """The live resource (None for a create)."""
    task_definition: str | None = None
    """Services: the ``family:revision`` to run, or ``family:(new revision)``."""


@dataclass(frozen=True)
class Note:
    """Something the plan reader must know that is not an action (an unmanaged resource left alone, a skip)."""

    message: str
    address: Address | None = None
    blocking: bool = False
    """The live state cannot converge while this stands (apply exits 1)."""


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(a.action for a in self.actions)
        return {name: counts.get(name, 0) for name in ACTION_TYPES}

    @property
    def pending(self) -> bool:
        """Something stands between live state and the manifests (Terraform's exit code 2)."""
        return bool(self.actions) or any(n.blocking for n in self.notes)


def _redacted(changes: Iterable[FieldChange]) -> tuple[FieldChange, ...]:
    """Changes safe to show: sensitive environment values masked (a Plan never holds a secret value)."""
    return tuple(FieldChange(c.path, redact_at(c.path, c.before), redact_at(c.path, c.after)) for c in changes)


def _creation(resource: Resource, ref: str | None) -> tuple[FieldChange, ...]:
    """A create shows every field the manifest sets."""
    spec = dict(resource.spec)
    spec.pop("cluster", None)
    if ref is not None:
        spec["taskDefinition"] = ref
    return _redacted(FieldChange(k, ABSENT, v) for k, v in sorted(spec.items()))


def _adopt_change() -> FieldChange:
    return FieldChange(f"tags.{MANAGED_TAG_KEY}", ABSENT, MANAGED_TAG_VALUE)


def _diff(resource: Resource, live: Live, revision: str | None) -> list[FieldChange]:
    if resource.address.kind == service.KIND:
        return service.diff(resource, live, task_definition=revision)
    diff: list[FieldChange] = KINDS[resource.address.kind].diff(resource, live)
    return diff


def _scaled_services(desired: list[Resource]) -> dict[Address, tuple[int, int]]:
    """Service address -> the [min, max] desiredCount range its ScalingPolicy owns."""
    return {scaling.service_address(r.address): scaling.bounds(r) for r in desired if r.address.kind == scaling.KIND}


def _owned_desired_count(
    resource: Resource, live: Live | None, scaled: Mapping[Address, tuple[int, int]]
) -> tuple[Resource, Note | None]:
    """While a ScalingPolicy targets the service, desiredCount is the autoscaler's: the manifest's value is used at
    create (clamped to [min, max]); a live value inside [min, max] stands, one outside goes to the nearest bound."""
    if resource.address not in scaled:
        return resource, None
    low, high = scaled[resource.address]
    wanted = int(resource.spec.get("desiredCount", low))
    note = None
    if live is None:
        count = min(max(wanted, low), high)
    else:
        current = int(live.body.get("desiredCount", 0))
        count = min(max(current, low), high)
        if count == current and current != wanted:
            note = Note(
                f"{resource.address}: desiredCount {current} is set by its ScalingPolicy (within [{low}, {high}]); "
                "not drift",
                resource.address,
            )
    return replace(resource, spec={**resource.spec, "desiredCount": count}), note


def _task_definition_ref(resource: Resource, observed: Observed, registering: set[str]) -> str | None:
    ref = str(resource.spec.get("taskDefinition", ""))
    if not ref:
        return None
    if ":" in ref.rsplit("/", 1)[-1]:
        return task_definition.revision_of(ref)
    if ref in registering:
        return f"{ref}:{NEW_REVISION}"
    live = observed.get(Address(task_definition.KIND, ref))
    return task_definition.revision_of(str(live.body["taskDefinitionArn"])) if live else f"{ref}:{NEW_REVISION}"


def _desired_actions(
    desired: list[Resource], observed: Observed, options: ApplySettings
) -> tuple[list[Action], list[Note]]:
    actions: list[Action] = []
    notes: list[Note] = []
    registering: set[str] = set()
    scaled = _scaled_services(desired)
    for resource in sorted(desired, key=lambda r: (r.address.rank, r.address)):
        addr = resource.address
        live = observed.get(addr)
        ref = None
        if addr.kind == service.KIND:
            ref = _task_definition_ref(resource, observed, registering)
            resource, note = _owned_desired_count(resource, live, scaled)
            notes += [note] if note else []
        if live is None:
            actions.append(
                Action("create", addr, _creation(resource, ref), f"{addr} does not exist", resource, None, ref)
            )
            if addr.kind == task_definition.KIND:
                registering.add(addr.name)
            continue
        changes = _diff(resource, live, ref)
        if not live.managed and not options.adopt:
            # An unmanaged resource that already matches its manifest is converged: nothing stands in the way
            # (this is where `export` leaves existing services). One that differs cannot converge without --adopt.
            state = "differs from its manifest" if changes else "matches its manifest"
            notes.append(
                Note(
                    f"{addr} exists but is not managed by ecs-reconciler ({state}); left alone "
                    "(apply --adopt takes ownership)",
                    addr,
                    blocking=bool(changes),
                )
            )
            continue
        if not live.managed:
            changes.append(_adopt_change())
        if not changes:
            continue
        reason = "adopt: take ownership" if not live.managed else "live state differs from the manifest"
        kind: Literal["update", "replace"] = "update"
        if addr.kind == service.KIND and (why := service.replace_reasons(changes, resource, live)):
            kind, reason = "replace", "; ".join(why)
        if addr.kind == task_definition.KIND and not task_definition.only_tags_changed(changes):
            reason = "content differs from the latest ACTIVE revision: register a new revision"
            registering.add(addr.name)
        actions.append(Action(kind, addr, _redacted(changes), reason, resource, live, ref))
    return actions, notes


def _referenced(desired: list[Resource], live: Observed) -> set[Address]:
    """What declared resources depend on: the clusters and families declared services live in or run, and the log
    groups their task definitions (declared, or the live revision of a family a service runs) write to."""
    refs = set()
    documents = []
    for r in desired:
        if r.address.kind == task_definition.KIND:
            documents.append(r.spec)
        if r.address.kind == service.KIND:
            refs.add(Address(cluster.KIND, str(r.address.cluster)))
            if r.spec.get("taskDefinition"):
                family = Address(task_definition.KIND, service.family_of(str(r.spec["taskDefinition"])))
                refs.add(family)
                if family in live:
                    documents.append(live[family].body)
    refs |= {Address("LogGroup", group) for doc in documents for group in task_definition.log_groups(doc)}
    return refs


def _prune_actions(
    desired: list[Resource], observed: Observed, candidates: Observed, options: ApplySettings
) -> tuple[list[Action], list[Note]]:
    wanted = {r.address for r in desired}
    actions, notes = [], []
    referenced = _referenced(desired, {**candidates, **observed})
    for addr in sorted(set(candidates) & referenced - wanted):
        notes.append(Note(f"{addr} is not in the manifests but a declared resource uses it; kept", addr))
    doomed = [live for addr, live in sorted(candidates.items()) if live.managed and addr not in wanted | referenced]
    services_going = Counter(live.address.cluster for live in doomed if live.address.kind == service.KIND)
    for live in doomed:
        addr = live.address
        if addr.kind == cluster.KIND:
            active = int(live.body.get("activeServicesCount", 0) or 0)
            if active > services_going.get(addr.name, 0):
                notes.append(
                    Note(f"{addr} is not in the manifests but still has services it does not manage; kept", addr)
                )
                continue
        actions.append(Action("delete", addr, (), "managed, and no longer in the manifests (--prune)", None, live))
    if len(actions) > options.max_deletions:
        raise PlanError(
            f"prune would delete {len(actions)} resources, more than the limit of {options.max_deletions} "
            "(--max-deletions); nothing was changed"
        )
    return actions, notes


def make_plan(
    desired: list[Resource],
    observed: Observed,
    options: ApplySettings,
    *,
    prune_candidates: Observed | None = None,
) -> Plan:
    """What to do so live state matches ``desired``: creates and updates in dependency order, then deletes in
    reverse. ``prune_candidates`` is every managed resource found live (only read with --prune)."""
    actions, notes = _desired_actions(desired, observed, options)
    if options.prune:
        if not desired:
            notes.append(Note("prune skipped: the manifest set is empty"))
        else:
            deletes, prune_notes = _prune_actions(desired, observed, prune_candidates or {}, options)
            actions += sorted(deletes, key=lambda a: (-a.address.rank, a.address))
            notes += prune_notes
    for action in actions:
        if action.action == "replace" and not options.allow_replace:
            notes.append(Note(f"{action.address}: {action.reason}; apply needs --allow-replace", action.address))
    return Plan(tuple(actions), tuple(notes))


def service_revisions_in_use(observed: Iterable[Live]) -> set[str]:
    """``family:revision`` of every task definition a live service runs or is deploying."""
    used = set()
    for live in observed:
        if live.address.kind != service.KIND:
            continue
        refs = [live.body.get("taskDefinition")] + [d.get("taskDefinition") for d in live.body.get("deployments", [])]
        used |= {task_definition.revision_of(str(r)) for r in refs if r}
    return used
