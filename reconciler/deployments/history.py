"""A service's or a daemon's deployment history as ECS keeps it. A service's: each ServiceDeployment
(ListServiceDeployments, then DescribeServiceDeployments ``read.BATCH`` a call), the task definition its target
ServiceRevision runs (DescribeServiceRevisions, batched) and the git revision that task definition was registered from
(its revision tag, one DescribeTaskDefinition per distinct task definition). A daemon's the same way: each
DaemonDeployment (ListDaemonDeployments, every page, then DescribeDaemonDeployments in batches), the daemon task
definition its target DaemonRevision runs (DescribeDaemonRevisions) and that definition's revision tag
(ListTagsForResource). Reads only, each call paced in its bucket by the AWS boundary. `history` prints it; the
console's service page shows the same entries (``as_json``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import rollout
from reconciler.aws import Aws
from reconciler.core.diff import tag_map
from reconciler.core.model import Address, Live
from reconciler.core.names import revision_of
from reconciler.core.tags import REVISION_TAG_KEY
from reconciler.deployments import daemons, read
from reconciler.deployments.stages import Deployment, standing
from reconciler.kinds.daemon import KIND as DAEMON


@dataclass(frozen=True)
class Entry:
    """One deployment of a service: when, what it rolled out, how and how it ended."""

    deployment: Deployment
    task_definition: str | None
    """``family:revision`` the target service revision runs (None: ECS no longer describes that revision)."""
    git_revision: str | None
    """The git revision that task definition was registered from (its revision tag), when it has one."""
    outcome: str
    """``completed``, ``failed``, ``paused`` or ``waiting`` (``stages.standing``)."""
    detail: str


def entries_of(
    deployments: list[Deployment],
    revisions: Mapping[str, Mapping[str, Any]],
    origins: Mapping[str, str | None],
    *,
    now: datetime.datetime,
) -> list[Entry]:
    """Deployments (newest first), the ServiceRevisions by ARN and the git revision of each task definition ARN, as
    history entries, oldest first. Pure."""
    out: list[Entry] = []
    for deployment in sorted(deployments, key=_started):
        revision = revisions.get(deployment.target_revision or "") or {}
        arn = str(revision.get("taskDefinition") or "")
        where = standing(deployment, now)
        out.append(Entry(deployment, revision_of(arn) if arn else None, origins.get(arn), where.state, where.detail))
    return out


def _started(deployment: Deployment) -> float:
    return deployment.started_at.timestamp() if deployment.started_at else 0.0


def service_history(aws: Aws, address: Address, *, now: datetime.datetime) -> list[Entry]:
    """The service's deployments ECS still lists, oldest first, each with its task definition and git revision."""
    deployments = read.history(aws, address)
    revisions = read.revisions(aws, [d.target_revision for d in deployments if d.target_revision])
    arns = sorted({str(r["taskDefinition"]) for r in revisions.values() if r.get("taskDefinition")})
    origins = dict(zip(arns, aws.map(lambda arn: rollout.revision_of_task_definition(aws, arn), arns), strict=True))
    return entries_of(deployments, revisions, origins, now=now)


def daemon_history(aws: Aws, body: Mapping[str, Any], *, now: datetime.datetime) -> list[Entry]:
    """The read daemon's deployments ECS still lists, oldest first, each with its daemon task definition and the git
    revision that definition was registered from."""
    deployments = daemons.history(aws, body)
    found = daemons.revisions(aws, [d.target_revision for d in deployments if d.target_revision])
    revisions = {arn: {"taskDefinition": r.get("daemonTaskDefinitionArn")} for arn, r in found.items()}
    arns = sorted({str(r["taskDefinition"]) for r in revisions.values() if r.get("taskDefinition")})
    origins = dict(zip(arns, aws.map(lambda arn: _origin_of_daemon_definition(aws, arn), arns), strict=True))
    return entries_of(deployments, revisions, origins, now=now)


def _origin_of_daemon_definition(aws: Aws, arn: str) -> str | None:
    """The git revision a daemon task definition was registered from (its revision tag), when it has one."""
    tags = aws.call("ecs", "ListTagsForResource", arn, resourceArn=arn).get("tags")
    return tag_map(tags).get(REVISION_TAG_KEY)


def history_of(aws: Aws, live: Live, *, now: datetime.datetime) -> list[Entry]:
    """The deployments of a live service, Express service (the ECS service behind it) or daemon, oldest first."""
    if live.address.kind == DAEMON.name:
        return daemon_history(aws, live.body, now=now)
    return service_history(aws, live.address, now=now)


def as_json(entry: Entry) -> dict[str, Any]:
    """An entry as `history --format json` prints it and the console shows it."""
    deployment = entry.deployment
    hook = deployment.paused
    return {
        "deployment": deployment.arn,
        "startedAt": deployment.started_at.isoformat() if deployment.started_at else None,
        "strategy": deployment.strategy,
        "status": deployment.status,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "serviceRevision": deployment.target_revision,
        "taskDefinition": entry.task_definition,
        "gitRevision": entry.git_revision,
        "stage": deployment.stage,
        "awaitingApproval": None if hook is None else hook.as_json(),
        "rollback": deployment.rollback,
    }


@dataclass(frozen=True)
class Completed:
    """A service's previous successful service revision: what a rollback returns it to."""

    task_definition: str
    """``family:revision`` it runs."""
    git_revision: str | None
    """The git revision that task definition was registered from, when it has one."""
    service_revision: Mapping[str, Any]
    """The ServiceRevision itself (load balancers, network, capacity, Service Connect, volumes, ...)."""
    now_on: Mapping[str, Any] | None = None
    """The ServiceRevision the service is on now, when asked for and ECS still describes it."""


def revision_now(current: Deployment | None) -> str | None:
    """The ARN of the ServiceRevision a service is on, by its current deployment: where ECS's rollback took it,
    else the deployment's target (None: ECS names no deployment)."""
    if current is None:
        return None
    return current.rollback_revision or current.target_revision


def last_completed(
    aws: Aws,
    address: Address,
    *,
    other_than: str | None = None,
    running: str | None = None,
    before: datetime.datetime | None = None,
    now_on: str | None = None,
) -> Completed | None:
    """The service's newest SUCCESSFUL deployment ECS still lists (its target ServiceRevision, that revision's task
    definition and the task definition's revision tag), skipping those that run ``other_than`` (the one it runs now:
    the rollback's previous successful revision), those that do not run ``running`` (``family:revision``: the
    revision that ran a task definition) and those started at or after ``before``; ``now_on``: the ARN of the
    ServiceRevision the service is on now, read in the same calls. None: ECS lists none."""
    done = [
        d
        for d in read.history(aws, address, statuses=["SUCCESSFUL"])
        if d.target_revision and (before is None or (d.started_at is not None and d.started_at < before))
    ]
    found = read.revisions(aws, [str(d.target_revision) for d in done] + ([now_on] if now_on else []))
    for deployment in done:
        revision = found.get(str(deployment.target_revision)) or {}
        arn = str(revision.get("taskDefinition") or "")
        if arn and revision_of(arn) != other_than and running in (None, revision_of(arn)):
            origin = rollout.revision_of_task_definition(aws, arn)
            return Completed(revision_of(arn), origin, revision, found.get(now_on) if now_on else None)
    return None


def daemon_last_completed(aws: Aws, body: Mapping[str, Any]) -> Completed | None:
    """The read daemon's newest SUCCESSFUL deployment ECS still lists (ListDaemonDeployments filtered by status): its
    DaemonRevision, that revision's daemon task definition and the definition's revision tag. None: ECS lists none."""
    done = [d for d in daemons.history(aws, body, statuses=["SUCCESSFUL"]) if d.target_revision]
    if not done:
        return None
    revision = daemons.revisions(aws, [str(done[0].target_revision)]).get(str(done[0].target_revision)) or {}
    arn = str(revision.get("daemonTaskDefinitionArn") or "")
    return Completed(revision_of(arn), _origin_of_daemon_definition(aws, arn), revision) if arn else None
