"""Rollback on ECS's terms, as a Plan: a service whose deployment is in progress is rolled back by ECS itself
(StopServiceDeployment ROLLBACK: a note here, sent by the executor's ``stop_deployments``); any other goes back to its
previous successful service revision (``deployments.history.last_completed``) by an Update that points it at that
revision's task definition and tags it with the git revision that task definition came from. The executor runs it
like any plan (fenced, ordered, reported through outcomes); `rollback` and the daemon's ``--rollback-on-failure``
build it here.

Ownership is checked as plan and apply check it: a service another instance manages, or one no instance manages, is
refused with a blocking note and nothing is written to it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from reconciler.core.diff import FieldChange, tag_map
from reconciler.core.kind import Note
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Action, Plan, Reason, Update
from reconciler.core.tags import REVISION_TAG_KEY, not_ours
from reconciler.rollout import task_definition_of


@dataclass(frozen=True)
class Return:
    """Where one service is to go back to."""

    task_definition: str | None
    """``family:revision`` (None: there is none to return to)."""
    revision: str | None = None
    """The git revision that task definition was registered from, when known."""
    stop: str | None = None
    """A deployment in progress ECS is to roll back itself (StopServiceDeployment ROLLBACK, run by the executor's
    ``stop_deployments``) instead of an Update."""


def rollback_update(live: Live, task_definition: str, revision: str | None) -> Update:
    """The Update that returns a live service to ``task_definition``, and its revision tag to ``revision``."""
    changes = [FieldChange("taskDefinition", task_definition_of(live.body), task_definition)]
    tagged = tag_map(live.body.get("tags")).get(REVISION_TAG_KEY)
    if revision and tagged != revision:
        changes.append(FieldChange(f"tags.{REVISION_TAG_KEY}", tagged, revision))
    desired = Resource(live.address, {"taskDefinition": task_definition})
    return Update(live.address, desired, live, tuple(changes), Reason.ROLLBACK, revision=revision)


def rollback_plan(
    services: Mapping[Address, Live | None],
    returns: Mapping[Address, Return],
    *,
    instance: str,
    former: Collection[str] = (),
    named: str = "",
) -> Plan:
    """Updates for the services that can go back; a note for each that cannot (absent, not this instance's: these
    block, nothing is written to them) or need not (no earlier task definition, already on it). ``former``: the
    managed-by values ``instance`` takes over (as plan does); ``named``: what each note starts with (the target,
    when there are several)."""
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
            where = back.stop.rsplit("/", 1)[-1]
            notes.append(Note(f"{named}{address}: deployment {where} in progress: ECS rolls it back", address))
        elif back.task_definition is None:
            notes.append(Note(f"{named}{address}: runs {current}; no earlier revision to return to", address))
        elif back.task_definition == current:
            notes.append(Note(f"{named}{address}: already runs {current}", address))
        else:
            actions.append(rollback_update(live, back.task_definition, back.revision))
    return Plan(tuple(actions), tuple(notes))
