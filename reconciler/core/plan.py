"""The Plan is data: ordered actions with field-level diffs, computed by a pure function of (desired, observed).

``make_plan`` reads no files and calls no AWS, and names no kind: it walks the registry in dependency order and asks
each kind to prepare, diff and decide. Renderers and the executor read the same Plan object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.errors import PlanError
from reconciler.core.kind import ACTION_TYPES, ActionType, Claims, Keeps, Note, PlanContext, Registry, Timeline
from reconciler.core.model import Address, Live, Observed, Resource
from reconciler.core.redact import redact_at
from reconciler.core.settings import MANAGED_TAG_KEY, ApplySettings
from reconciler.core.tags import LEGACY_OWNER, Ownership, ownership

__all__ = [
    "ACTION_TYPES",
    "IGNORE_ANNOTATION",
    "SUSPEND_ANNOTATION",
    "Action",
    "ActionType",
    "Note",
    "Plan",
    "ignored_paths",
    "make_plan",
    "referenced",
]

SUSPEND_ANNOTATION = "ecs-reconciler/suspend"
"""``metadata.annotations`` key on any resource: its value (the reason) suspends healing. The resource is still
planned; its action is held (``Plan.held``) instead of applied."""
IGNORE_ANNOTATION = "ecs-reconciler/ignore"
"""``metadata.annotations`` key on any resource: comma-separated plan field paths (``desiredCount``,
``containerDefinitions.app.image``) that are neither diffed nor alerted; a path also covers what lies below it."""


@dataclass(frozen=True)
class Action:
    """One change to one resource."""

    action: ActionType
    address: Address
    changes: tuple[FieldChange, ...]
    reason: str
    resource: Resource | None = None
    """The desired resource as planned (None for a delete)."""
    live: Live | None = None
    """The live resource (None for a create)."""
    produces: str | None = None
    """A reference that exists once this action has run (``family:(new revision)``), for later actions."""
    rollout: Timeline | None = None
    """How the deployment this action starts will roll out (a service's strategy and its steps)."""


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    notes: tuple[Note, ...] = ()
    held: tuple[Action, ...] = ()
    """Actions on suspended resources (``ecs-reconciler/suspend``): reported, never applied."""

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
    return tuple(FieldChange(c.path, _masked(c.path, c.before), _masked(c.path, c.after)) for c in changes)


def _masked(path: str, value: object) -> object:
    """A value safe to show; an absent side stays absent, so an added or removed secret reads as ``+`` or ``-``."""
    return value if value is ABSENT else redact_at(path, value)


def _owner_change(before: object, instance: str) -> FieldChange:
    return FieldChange(f"tags.{MANAGED_TAG_KEY}", before, instance)


def _owner(live: Live, options: ApplySettings) -> Ownership:
    former = options.former_owners | {LEGACY_OWNER}
    return ownership(live.owner, managed=live.managed, instance=options.instance, former=former)


def claims_of(desired: Iterable[Resource], kinds: Registry) -> dict[Address, dict[str, object]]:
    """Fields each resource owns of another (``Claims.claims``), merged by the address claimed."""
    out: dict[Address, dict[str, object]] = {}
    for resource in desired:
        claimer = kinds.facet(resource.address, Claims)
        for address, fields in (claimer.claims(resource) if claimer else {}).items():
            out.setdefault(address, {}).update(fields)
    return out


def ignored_paths(resource: Resource) -> tuple[str, ...]:
    """The field paths a resource's ``ecs-reconciler/ignore`` annotation names (blanks dropped)."""
    text = resource.annotations.get(IGNORE_ANNOTATION, "")
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _is_ignored(path: str, ignored: tuple[str, ...]) -> bool:
    """``path`` is an ignored path or lies below one (``a.b`` covers ``a.b``, ``a.b.c`` and ``a.b[0]``)."""
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in ignored)


def without_ignored(changes: Iterable[FieldChange], resource: Resource) -> list[FieldChange]:
    """The changes a resource's ignore annotation leaves to be planned."""
    ignored = ignored_paths(resource)
    return [c for c in changes if not _is_ignored(c.path, ignored)]


def _hold_suspended(actions: list[Action]) -> tuple[list[Action], list[Action], list[Note]]:
    """Split actions on suspended resources off: (to apply, held, a note for each held one)."""
    run, held, notes = [], [], []
    for action in actions:
        reason = action.resource.annotations.get(SUSPEND_ANNOTATION) if action.resource is not None else None
        if reason is None:
            run.append(action)
            continue
        held.append(action)
        count = len(action.changes)
        notes.append(
            Note(
                f"{action.address} is suspended ({reason or 'no reason given'}): {action.action} with {count} "
                f"field change{'s' if count != 1 else ''} not applied",
                action.address,
            )
        )
    return run, held, notes


def _desired_actions(
    desired: list[Resource], observed: Observed, options: ApplySettings, kinds: Registry
) -> tuple[list[Action], list[Note]]:
    actions: list[Action] = []
    notes: list[Note] = []
    ctx = PlanContext({r.address: r for r in desired}, observed, claims_of(desired, kinds))
    for resource in sorted(desired, key=lambda r: kinds.order(r.address)):
        kind, addr = kinds.of(resource.address), resource.address
        live = observed.get(addr)
        resource, prepared = kind.prepare(resource, live, ctx)
        notes += prepared
        if live is None:
            decision = kind.decide(resource, None, [])
            changes = _redacted(kind.creation(resource))
            reason = f"{addr} does not exist"
            actions.append(Action("create", addr, changes, reason, resource, None, decision.produces, decision.rollout))
            if decision.produces and SUSPEND_ANNOTATION not in resource.annotations:
                ctx.produced[addr] = decision.produces
            continue
        found = without_ignored(kind.diff(resource, live, ctx), resource)
        owner = _owner(live, options)
        if owner == "other":
            # Another instance's: never changed, and --adopt does not take it (it would be a silent theft).
            state = "differs from its manifest" if found else "matches its manifest"
            message = (
                f"{addr} exists but is managed by another ecs-reconciler instance ({live.owner!r}, this one is "
                f"{options.instance!r}; {state}); left alone (if {live.owner!r} is a name this tree had before, "
                "list it in its Instance document's spec.formerNames)"
            )
            notes.append(Note(message, addr, blocking=bool(found)))
            continue
        if owner == "legacy":
            found.append(_owner_change(live.owner, options.instance))  # migrated by a tag update, never a delete
        if not live.managed and not options.adopt:
            # An unmanaged resource that already matches its manifest is converged: nothing stands in the way
            # (this is where `export` leaves existing services). One that differs cannot converge without --adopt.
            state = "differs from its manifest" if found else "matches its manifest"
            message = (
                f"{addr} exists but is not managed by ecs-reconciler ({state}); left alone "
                "(apply --adopt takes ownership)"
            )
            notes.append(Note(message, addr, blocking=bool(found)))
            continue
        if not live.managed:
            found.append(_owner_change(ABSENT, options.instance))
        if not found:
            continue
        decision = kind.decide(resource, live, found)
        if not live.managed and decision.action == "update" and decision.produces is None:
            decision = replace(decision, reason="adopt: take ownership")
        actions.append(
            Action(
                decision.action,
                addr,
                _redacted(found),
                decision.reason,
                resource,
                live,
                decision.produces,
                decision.rollout,
            )
        )
        # A suspended resource's action is held, so what it would produce (a new revision) never exists.
        if decision.produces and SUSPEND_ANNOTATION not in resource.annotations:
            ctx.produced[addr] = decision.produces
    return actions, notes


def referenced(desired: list[Resource], live: Mapping[Address, Live], kinds: Registry) -> set[Address]:
    """What declared resources depend on: what they reference and, for what they reference that is only live, what
    that live resource uses in turn (the log groups of the revision a service runs)."""
    refs = {ref.address for r in desired for ref in kinds.references(r, region=None)}
    declared = {r.address for r in desired}
    frontier = [a for a in refs if a not in declared and a in live]
    while frontier:
        address = frontier.pop()
        for used in kinds.live_references(live[address], region=None):
            if used not in refs:
                refs.add(used)
                if used not in declared and used in live:
                    frontier.append(used)
    return refs


def _prune_actions(
    desired: list[Resource], observed: Observed, candidates: Observed, options: ApplySettings, kinds: Registry
) -> tuple[list[Action], list[Note]]:
    wanted = {r.address for r in desired}
    actions, notes = [], []
    keep = referenced(desired, {**candidates, **observed}, kinds)
    for addr in sorted(set(candidates) & keep - wanted):
        notes.append(Note(f"{addr} is not in the manifests but a declared resource uses it; kept", addr))
    doomed = []
    for addr, live in sorted(candidates.items()):
        owner = _owner(live, options)
        if addr in wanted | keep or owner in ("other", "unmanaged"):
            continue
        if owner == "legacy":
            # Two instances upgraded from a version without instance names both read the old value as their own:
            # deleting on that reading is how one instance pruned another's fleet. Declared ones are retagged.
            notes.append(
                Note(
                    f"{addr} carries a managed-by value this instance had before ({live.owner!r}) and is not in the "
                    "manifests; kept (delete it by hand, or declare it once to migrate its tag)",
                    addr,
                )
            )
            continue
        doomed.append(live)
    users = Counter(u for live in doomed for u in kinds.live_references(live, region=None))
    deleting = {live.address for live in doomed}
    for live in doomed:
        addr = live.address
        keeper = kinds.facet(addr, Keeps)
        if keeper and (refused := keeper.delete_refused(live, deleting, users.get(addr, 0))):
            notes.append(Note(f"{addr} is not in the manifests but {refused}; kept", addr))
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
    kinds: Registry,
    *,
    prune_candidates: Observed | None = None,
) -> Plan:
    """What to do so live state matches ``desired``: creates and updates in dependency order, then deletes in
    reverse. ``prune_candidates`` is every managed resource found live (only read with --prune)."""
    actions, notes = _desired_actions(desired, observed, options, kinds)
    if options.prune:
        if not desired:
            notes.append(Note("prune skipped: the manifest set is empty"))
        else:
            deletes, prune_notes = _prune_actions(desired, observed, prune_candidates or {}, options, kinds)
            actions += sorted(deletes, key=lambda a: (-kinds.rank(a.address), a.address))
            notes += prune_notes
    actions, held, suspended = _hold_suspended(actions)
    notes += suspended
    for action in actions:
        if action.action == "replace" and not options.allow_replace:
            notes.append(Note(f"{action.address}: {action.reason}; apply needs --allow-replace", action.address))
    return Plan(tuple(actions), tuple(notes), tuple(held))
