"""The follower's side of a restart: what the first full pass reads back from AWS, and the hold marker it writes.

``read_back`` turns the managed services' DescribeServices entries (already read by the pass) and their current
ServiceDeployments (``reconciler.deployments.read``) into what the follower resumes with (``reconciler.daemon.memory``
decides, service by service): the revision held when a service's marker names the manifests being read, the last
revision of each service and daemon that rolled out completely (its current deployment, or the newest SUCCESSFUL
one ECS lists: ListServiceDeployments, ListDaemonDeployments), and the deployments to follow on, in flight or failed
unseen (a failed one named by the task definition of its target revision, DescribeServiceRevisions or
DescribeDaemonRevisions: ECS's rollback may already run the one before), grouped by the git revision that started
them.
``hold_marker`` is the Retag that records a failure on its service, run through the executor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from reconciler import rollout
from reconciler.aws import Aws
from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Plan, Reason, Retag
from reconciler.core.tags import HELD_TAG_KEY
from reconciler.daemon.following import Following, Held, RevisionRollout
from reconciler.daemon.memory import NONE, Marker, Recalled, deployment_id, marker_of, recall
from reconciler.deployments import daemons, history, read, readers
from reconciler.kinds.daemon import KIND as DAEMON
from reconciler.kinds.service import KIND as SERVICE

log = structlog.get_logger("reconciler.rollout")


@dataclass
class Remembered:
    """What AWS remembers, as the follower keeps it."""

    held: Held | None = None
    last_good: dict[Address, tuple[str, str | None]] = field(default_factory=dict)
    """Service -> (``family:revision``, git revision) of its last revision that rolled out completely."""
    in_flight: list[RevisionRollout] = field(default_factory=list)
    states: dict[Address, dict[str, Any]] = field(default_factory=dict)
    """Service -> its rollout as /status shows it, for those followed on."""


def read_back(
    aws: Aws, fingerprint: str, revision: str | None, observed: Mapping[Address, Live], *, now: float
) -> Remembered:
    """Read back the managed services' deployments (``observed``: the pass's live state); ``revision`` is the git
    revision of the manifests with ``fingerprint``, the only one that can be held."""
    lives = {a: live for a, live in observed.items() if rollout.has_rollouts(a) and live.managed}
    bodies = {a: live.body for a, live in lives.items()}
    found = _failed_as_deployed(aws, recall(fingerprint, bodies, readers.current(aws, bodies)))
    out = Remembered()
    held = [r.address for r in found if r.held]
    if held:
        reason = f"its rollout failed before this daemon started ({HELD_TAG_KEY} on the service)"
        out.held = Held(fingerprint, revision, str(held[0]), reason, services=tuple(held))
        log.info("revision held since before the start", revision=revision, services=[str(a) for a in held])
    for r in found:
        if r.found == "completed":
            if r.task_definition:
                out.last_good[r.address] = (r.task_definition, r.revision)
        elif r.deployment is None:
            continue
        elif r.address.kind == DAEMON.name:  # shown in /status; it serves no rollback: ECS rolls a daemon back
            if (good := history.daemon_last_completed(aws, bodies[r.address])) is not None:
                out.last_good[r.address] = (good.task_definition, good.git_revision)
        elif r.address.kind == SERVICE.name and (good := history.last_completed(aws, r.address)) is not None:
            out.last_good[r.address] = (good.task_definition, good.git_revision)
    resumed = [r for r in found if r.found in ("follow", "failed")]
    _resume(out, resumed, fingerprint, revision, lives, now=now)
    return out


def _failed_as_deployed(aws: Aws, found: list[Recalled]) -> list[Recalled]:
    """Each failed deployment with the task definition it rolled out (its target revision's), not the one its
    service or daemon runs now: ECS's rollback may have moved it back before this daemon started."""
    targets = {
        r.address: str(r.deployment.target_revision)
        for r in found
        if r.found == "failed" and r.deployment is not None and r.deployment.target_revision
    }
    of_daemons = {arn for a, arn in targets.items() if a.kind == DAEMON.name}
    of_services = set(targets.values()) - of_daemons
    revisions = {
        **(read.revisions(aws, of_services) if of_services else {}),
        **(daemons.revisions(aws, of_daemons) if of_daemons else {}),
    }
    return [
        replace(r, task_definition=rollout.task_definition_of(revisions.get(targets[r.address])) or r.task_definition)
        if r.address in targets
        else r
        for r in found
    ]


def _resume(
    out: Remembered,
    found: list[Recalled],
    fingerprint: str,
    revision: str | None,
    lives: Mapping[Address, Live],
    *,
    now: float,
) -> None:
    """Follow on the deployments found at start-up, grouped by the git revision that started them."""
    groups: dict[str | None, dict[Address, Following]] = {}
    for r in found:
        deployment = r.deployment
        following = Following(r.address, None, now, r.task_definition, live=lives.get(r.address))
        if deployment is not None:
            following.deployment = deployment.arn
            following.since = deployment.started_at or following.since
        groups.setdefault(r.revision, {})[r.address] = following
        out.states[r.address] = {"state": "waiting", "detail": "deployment found at start-up", "revision": r.revision}
    for started_by, services in groups.items():
        own = fingerprint if started_by == revision else ""
        out.in_flight.append(RevisionRollout(own, started_by, services, now))
        log.info("following deployments found at start-up", revision=started_by, services=len(services))


def hold_marker(live: Live, fingerprint: str, deployment: str | None) -> Plan:
    """The Retag that puts the hold marker on a failed service: a restarted daemon keeps the revision with
    ``fingerprint`` held (none when empty) and does not alert the failure of ``deployment`` again."""
    marker = Marker(fingerprint or NONE, deployment_id(deployment))
    before = marker_of(live.body.get("tags"))
    change = FieldChange(f"tags.{HELD_TAG_KEY}", before.value if before else ABSENT, marker.value)
    return Plan((Retag(live.address, Resource(live.address, {}), live, (change,), Reason.HOLD, held=marker.value),))
