"""The Plan is data: ordered actions with field-level diffs, computed by a pure function of (desired, observed).

``make_plan`` reads no files and calls no AWS, and names no kind: it walks the registry in dependency order and asks
each kind to prepare, diff and decide. Renderers and the executor read the same Plan object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from reconciler.core.actions import (
    VERBS,
    Action,
    Changing,
    ContinueDeployment,
    Create,
    Delete,
    Order,
    Reason,
    Replace,
    Retag,
    RunTask,
    StopDeployment,
    Update,
    Verb,
)
from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.errors import PlanError
from reconciler.core.kind import Claims, InPlace, Keeps, Note, PlanContext, Recreate, Registry
from reconciler.core.model import Address, Live, Observed, Resource
from reconciler.core.redact import Masker, redact_at
from reconciler.core.settings import MANAGED_TAG_KEY, ApplySettings
from reconciler.core.tags import LEGACY_OWNER, Ownership, ownership

__all__ = [
    "IGNORE_ANNOTATION",
    "SUSPEND_ANNOTATION",
    "VERBS",
    "Action",
    "Changing",
    "ContinueDeployment",
    "Create",
    "Delete",
    "Note",
    "Order",
    "Reason",
    "Replace",
    "Retag",
    "RunTask",
    "StopDeployment",
    "Update",
    "Verb",
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
class Plan:
    actions: tuple[Action, ...] = ()
    notes: tuple[Note, ...] = ()
    held: tuple[Action, ...] = ()
    """Actions on suspended resources (``ecs-reconciler/suspend``): reported, never applied."""

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(a.verb for a in self.actions)
        return {verb: counts.get(verb, 0) for verb in VERBS}

    @property
    def pending(self) -> bool:
        """Something stands between live state and the manifests (Terraform's exit code 2)."""
        return bool(self.actions) or any(n.blocking for n in self.notes)


def masked(plan: Plan, masker: Masker) -> Plan:
    """``plan`` with the sensitive variables' values masked in what it shows (field changes, notes); the resources
    its actions apply keep their values (a one-off task's command is masked where it is shown)."""
    if not masker:
        return plan

    def shown(action: Action) -> Action:
        if isinstance(action, RunTask | ContinueDeployment | StopDeployment):
            return action
        return replace(action, changes=masker.value(action.changes))

    return replace(
        plan,
        actions=tuple(shown(a) for a in plan.actions),
        held=tuple(shown(a) for a in plan.held),
        notes=masker.value(plan.notes),
    )


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
    """Split actions on suspended resources off (with the tasks their updates would run first): (to apply, held, a
    note for each held resource)."""
    suspended = {
        a.address: a.resource.annotations[SUSPEND_ANNOTATION]
        for a in actions
        if isinstance(a, Changing) and SUSPEND_ANNOTATION in a.resource.annotations
    }
    run: list[Action] = []
    held: list[Action] = []
    notes: list[Note] = []
    for action in actions:
        reason = suspended.get(action.address)
        if reason is None:
            run.append(action)
            continue
        held.append(action)
        if isinstance(action, RunTask):
            continue
        count = len(action.changes)
        notes.append(
            Note(
                f"{action.address} is suspended ({reason or 'no reason given'}): {action.verb} with {count} "
                f"field change{'s' if count != 1 else ''} not applied",
                action.address,
            )
        )
    return run, held, notes


def _changed(
    resource: Resource, live: Live, found: list[FieldChange], decision: InPlace | Recreate | None, reason: Reason
) -> list[Action]:
    """The action (after the tasks it must run first) a kind's decision makes of a diff; ``decision`` None: retag."""
    changes = _redacted(found)
    address = resource.address
    if decision is None:
        return [Retag(address, resource, live, changes, reason)]
    if isinstance(decision, Recreate):
        forced, order, why = decision.forced_by, decision.order, decision.reason
        return [Replace(address, resource, live, changes, forced, order, why, rollout=decision.rollout)]
    update = Update(address, resource, live, changes, reason, decision.produces, decision.rollout)
    return [*decision.first, update]


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
            produces = decision.produces if isinstance(decision, InPlace) else None
            rollout = decision.rollout if isinstance(decision, InPlace) else None
            actions.append(Create(addr, resource, _redacted(kind.creation(resource)), produces, rollout=rollout))
            if produces and SUSPEND_ANNOTATION not in resource.annotations:
                ctx.produced[addr] = produces
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
        taking: Reason | None = None
        if owner == "legacy":
            found.append(_owner_change(live.owner, options.instance))  # migrated by a tag update, never a delete
            taking = Reason.OWNER_MIGRATION
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
            taking = Reason.ADOPT
        if not found:
            continue
        decision = kind.decide(resource, live, found)
        if isinstance(decision, InPlace):
            reason = taking if taking is not None and decision.produces is None else decision.reason
            actions += _changed(resource, live, found, decision, reason)
            # A suspended resource's action is held, so what it would produce (a new revision) never exists.
            if decision.produces and SUSPEND_ANNOTATION not in resource.annotations:
                ctx.produced[addr] = decision.produces
        elif isinstance(decision, Recreate):
            actions += _changed(resource, live, found, decision, decision.reason)
        else:
            actions += _changed(resource, live, found, None, taking or Reason.TAGS)
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
    actions: list[Action] = []
    notes: list[Note] = []
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
        actions.append(Delete(addr, live))
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
        if isinstance(action, Replace) and not options.allow_replace:
            order = action.order.value.replace("-then-", ", then ")
            forced = f"forced by {', '.join(action.forced_by)}; {order}"
            message = f"{action.address}: a replace ({forced}); apply needs --allow-replace"
            notes.append(Note(message, action.address))
    return Plan(tuple(actions), tuple(notes), tuple(held))
