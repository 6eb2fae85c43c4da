"""Rollback on ECS's terms, as a Plan: a service whose deployment is in progress is rolled back by ECS itself (a
``StopDeployment``: StopServiceDeployment ROLLBACK); any other goes back to its previous successful service revision
(``deployments.history.last_completed``) by an Update that points it at that revision's task definition, sets what
else the revision records that UpdateService takes (``RETURNED``: load balancers, network, capacity provider
strategy, platform version, service registries, Service Connect, volumes, VPC Lattice, ...) where it differs from the
revision the service is on now, and tags it with the git revision that task definition came from (a service already
on that task definition whose revision differs otherwise is updated in the rest alone). The executor runs it like
any plan (fenced, ordered, reported through outcomes); `rollback` and the daemon's ``--rollback-on-failure`` build it
here, each from the service revision it returns to (``deployments.history.last_completed``).

Ownership is checked as plan and apply check it: a service another instance manages, or one no instance manages, is
refused with a blocking note and nothing is written to it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.diff import ABSENT, FieldChange, tag_map
from reconciler.core.kind import Note
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Action, Plan, Reason, StopDeployment, Update
from reconciler.core.shapes import input_members, named_node
from reconciler.core.tags import REVISION_TAG_KEY, not_ours
from reconciler.rollout import task_definition_of

RETURNED = tuple(
    sorted(
        (frozenset(named_node("ecs", "ServiceRevision").members) & input_members("ecs", "UpdateService"))
        - {"taskDefinition"}
    )
)
"""What a ServiceRevision records that UpdateService also takes, besides the task definition (botocore's
ServiceRevision and UpdateService shapes). The revision's launchType is not among them: UpdateService cannot set it,
but an empty capacityProviderStrategy returns a service to its launch type."""
REMOVED_BY: dict[str, list[Any]] = {"capacityProviderStrategy": [], "loadBalancers": [], "serviceRegistries": []}
"""What UpdateService takes to remove a field the previous revision did not have (API reference, UpdateService: "Pass
an empty list in the capacityProviderStrategy parameter" to go back to the launch type; "You can remove existing
loadBalancers / serviceRegistries by passing an empty list"). It documents no removal of the others: they are left
as they are, and the plan says so."""


@dataclass(frozen=True)
class Return:
    """Where one service is to go back to."""

    task_definition: str | None
    """``family:revision`` (None: there is none to return to)."""
    revision: str | None = None
    """The git revision that task definition was registered from, when known."""
    stop: str | None = None
    """A deployment in progress ECS is to roll back itself (a ``StopDeployment``) instead of an Update."""
    service_revision: Mapping[str, Any] | None = None
    """The ServiceRevision returned to (None: the task definition only)."""
    now_on: Mapping[str, Any] | None = None
    """The ServiceRevision the service is on now (what ``service_revision`` is compared with)."""


def configuration_back(back: Mapping[str, Any], now_on: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What UpdateService is to set to return from the service revision ``now_on`` to ``back`` (``RETURNED`` fields
    that differ), and the fields ``back`` lacks that cannot be removed (left as they are)."""
    values: dict[str, Any] = {}
    kept: list[str] = []
    for name in RETURNED:
        was, then = now_on.get(name), back.get(name)
        if was == then or (not was and not then):
            continue
        if not then:
            if name not in REMOVED_BY:
                kept.append(name)
                continue
            then = REMOVED_BY[name]
        values[name] = then
    return values, kept


def rollback_update(live: Live, back: Return) -> Update | None:
    """The Update that returns a live service to ``back``: its task definition, the rest of its service revision
    where that differs from the one the service is on, and its revision tag (None: the service runs all of it
    already)."""
    task_definition = str(back.task_definition)
    current = task_definition_of(live.body)
    changes = [] if task_definition == current else [FieldChange("taskDefinition", current, task_definition)]
    values: dict[str, Any] = {}
    if back.service_revision is not None and back.now_on is not None:
        values, _kept = configuration_back(back.service_revision, back.now_on)
        now_on = back.now_on
        changes += [FieldChange(name, now_on.get(name, ABSENT), value) for name, value in values.items()]
    if not changes:
        return None
    tagged = tag_map(live.body.get("tags")).get(REVISION_TAG_KEY)
    if back.revision and tagged != back.revision:
        changes.append(FieldChange(f"tags.{REVISION_TAG_KEY}", tagged, back.revision))
    desired = Resource(live.address, {"taskDefinition": task_definition, **values})
    return Update(live.address, desired, live, tuple(changes), Reason.ROLLBACK, revision=back.revision)


def returned_fields(update: Update) -> list[str]:
    """What of the service revision besides the task definition a rollback's Update returns (for its report)."""
    return [c.path for c in update.changes if c.path in RETURNED]


def rollback_plan(
    services: Mapping[Address, Live | None],
    returns: Mapping[Address, Return],
    *,
    instance: str,
    former: Collection[str] = (),
    named: str = "",
) -> Plan:
    """Updates for the services that can go back (ECS's rollback for a deployment in progress); a note for each that
    cannot (absent, not this instance's: these block, nothing is written to them) or need not (no earlier task
    definition, already on all of its service revision). ``former``: the managed-by values ``instance`` takes over
    (as plan does); ``named``: what each note starts with (the target, when there are several)."""
    actions: list[Action] = []
    notes: list[Note] = []
    for address, live in sorted(services.items()):
        if live is None:
            notes.append(Note(f"{named}{address}: not found; left alone", address))
            continue
        whose = not_ours(live.owner, managed=live.managed, instance=instance, former=former)
        if whose is not None:
            notes.append(Note(f"{named}{address}: {whose}; not rolled back", address, blocking=True))
            continue
        back = returns.get(address, Return(None))
        current = task_definition_of(live.body)
        if back.stop is not None:
            actions.append(StopDeployment(address, back.stop))
        elif back.task_definition is None:
            notes.append(Note(f"{named}{address}: runs {current}; no earlier revision to return to", address))
        elif (update := rollback_update(live, back)) is None:
            notes.append(Note(f"{named}{address}: already runs {current}", address))
        else:
            actions.append(update)
            notes += [Note(f"{named}{address}: {line}", address) for line in _left_as_is(back)]
    return Plan(tuple(actions), tuple(notes))


def _left_as_is(back: Return) -> list[str]:
    if back.service_revision is None or back.now_on is None:
        return []
    _values, kept = configuration_back(back.service_revision, back.now_on)
    return [f"{name} kept: the previous service revision has none, and UpdateService cannot remove it" for name in kept]
