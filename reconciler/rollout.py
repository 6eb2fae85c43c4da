"""Rollout waiting: after an apply, until each changed service or daemon has rolled out, has failed, or the timeout
has passed. When ECS names the resource's current deployment (a service's ServiceDeployment, a daemon's
DaemonDeployment), where that deployment stands decides (``reconciler.deployments.stages.standing``: its stage,
traffic, bake, a PAUSE hook awaiting approval, its alarms, ECS's rollback); otherwise a service's PRIMARY deployment
does (COMPLETED with runningCount == desiredCount, or FAILED by the deployment circuit breaker).

``assess`` is pure (one described resource and its deployment in, a Progress out); ``wait_for`` polls, several at
once, each resource read by its kind's reader (``reconciler.deployments.readers``). A rollout that failed, timed out,
or has not moved for ``STALL_AFTER`` seconds is explained once by its kind's live half when it declares ``Rollouts``
(a service's unhealthy load balancer targets, with ELB's reasons): ``explain``. The service reads that rollback and
the daemon share live here too (``describe``, ``current_deployment``, ``previous_task_definition``,
``revision_of_task_definition``).
"""

from __future__ import annotations

import datetime
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal, TextIO

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import ReconcilerError
from reconciler.core.model import Address
from reconciler.core.names import name_of
from reconciler.core.plan import Action, Create, Replace, Update
from reconciler.core.tags import REVISION_TAG_KEY
from reconciler.deployments import read, readers
from reconciler.deployments.stages import Deployment, standing
from reconciler.kinds.live import LIVE
from reconciler.kinds.live_base import Rollouts

log = structlog.get_logger("reconciler.rollout")

State = Literal["waiting", "paused", "completed", "failed", "timed out"]
FIRST_POLL = 0.25
"""Seconds before the second check; the pause doubles up to ApplySettings.wait_poll."""
EVENTS_SHOWN = 5
STALL_AFTER = 60.0
"""Seconds a waiting rollout's state may stay the same before it is explained (once per such stretch)."""


@dataclass(frozen=True)
class Progress:
    """Where one service's or daemon's rollout stands."""

    address: Address
    state: State
    detail: str
    """e.g. ``IN_PROGRESS: 1/2 running, 1 pending``."""
    events: tuple[str, ...] = ()
    """The service's most recent events, newest first."""
    trouble: tuple[str, ...] = ()
    """Why it may be stuck, beyond its events (``explain``): its unhealthy load balancer targets and their reasons."""
    deployment: Deployment | None = None
    """The ServiceDeployment or DaemonDeployment this was read from (None: ECS names none; for a service, the
    PRIMARY deployment was read)."""

    @property
    def finished(self) -> bool:
        """Nothing more to wait for in ``apply``: done, failed, timed out, or paused awaiting an approval."""
        return self.state != "waiting"

    @property
    def settled(self) -> bool:
        """The deployment's outcome is known (a paused one may still go either way)."""
        return self.state not in ("waiting", "paused")


def explain(aws: Aws, progress: Progress, body: Mapping[str, Any] | None) -> Progress:
    """``progress`` with what the resource's live kind can say about why the rollout is stuck (for a service: the
    targets Elastic Load Balancing does not find healthy, with its reasons), added to ``trouble`` and the detail.
    Asked only for a rollout that failed, timed out or stalls; a read that fails leaves the progress as it was."""
    live = LIVE.get(progress.address.kind)
    if not isinstance(live, Rollouts) or body is None:
        return progress
    try:
        trouble = tuple(live.rollout_trouble(aws, body))
    except ReconcilerError as exc:
        log.warning("could not explain a stuck rollout", service=str(progress.address), error=str(exc))
        return progress
    return with_trouble(progress, trouble)


def with_trouble(progress: Progress, trouble: tuple[str, ...]) -> Progress:
    """``progress`` carrying ``trouble``, named in its detail too (what apply prints and alerts say)."""
    if not trouble:
        return progress
    detail = f"{progress.detail}; unhealthy targets: {'; '.join(trouble)}"
    return replace(progress, detail=detail, trouble=trouble)


@dataclass
class Stall:
    """When a waiting rollout last changed, and whether this stretch without change was explained."""

    since: float
    detail: str | None = None
    explained: bool = False
    trouble: tuple[str, ...] = ()
    """What explaining this stretch found, shown with each poll until the state changes."""

    def due(self, progress: Progress, now: float, *, after: float) -> bool:
        """Record ``progress``; True once per stretch in which it has not changed for ``after`` seconds."""
        if progress.detail != self.detail:
            self.since, self.detail, self.explained, self.trouble = now, progress.detail, False, ()
        if progress.finished or self.explained or now - self.since < after:
            return False
        self.explained = True
        return True

    def explain(
        self, aws: Aws, progress: Progress, body: Mapping[str, Any] | None, now: float, *, after: float
    ) -> tuple[Progress, bool]:
        """``progress`` explained (``explain``) when it failed or timed out, or once per stretch in which it has not
        changed for ``after`` seconds; otherwise carrying what explaining this stretch found. True when it was
        explained just now."""
        if progress.state in ("failed", "timed out") or self.due(progress, now, after=after):
            explained = explain(aws, progress, body)
            self.trouble = explained.trouble
            return explained, True
        return with_trouble(progress, self.trouble), False


STALE_GRACE = datetime.timedelta(seconds=5)
"""A current deployment that started this long before the wait began is an earlier one: the change made just now
has not been turned into a deployment yet (clocks of the machine and of AWS may differ a little)."""


def events_of(body: Mapping[str, Any] | None) -> tuple[str, ...]:
    """A described service's ``EVENTS_SHOWN`` most recent events, newest first."""
    return tuple(str(e.get("message", "")) for e in ((body or {}).get("events") or [])[:EVENTS_SHOWN])


def assess(
    address: Address,
    body: Mapping[str, Any] | None,
    deployment: Deployment | None = None,
    *,
    now: datetime.datetime | None = None,
    since: datetime.datetime | None = None,
) -> Progress:
    """The rollout state of one service from its DescribeServices entry (None: the service is gone), or of a daemon
    from its reading, and, when ECS names one, its current ServiceDeployment or DaemonDeployment
    (``reconciler.deployments.stages.standing``: stage, traffic, bake left, a PAUSE hook awaiting approval, alarms,
    ECS's rollback). ``since``: when the change being waited for was made (a
    deployment completed before it is an earlier one)."""
    status = (body or {}).get("status")
    if isinstance(status, Mapping):  # an Express service's own reading: {statusCode, statusReason}
        status = status.get("statusCode")
    if body is None or status != "ACTIVE":
        return Progress(address, "failed", f"the {address.kind.lower()} is not ACTIVE")
    events = events_of(body)
    if deployment is not None:
        now = now or datetime.datetime.now(datetime.UTC)
        found = standing(deployment, now)
        earlier = (
            since is not None and deployment.started_at is not None and deployment.started_at < since - STALE_GRACE
        )
        if found.state == "completed" and earlier:
            return Progress(
                address, "waiting", "ECS has not started the new deployment yet", events, deployment=deployment
            )
        return Progress(address, found.state, found.detail, events, deployment=deployment)
    primary = next((d for d in body.get("deployments") or [] if d.get("status") == "PRIMARY"), None)
    if primary is None:  # CODE_DEPLOY / EXTERNAL controllers: ECS reports no PRIMARY deployment to follow
        return Progress(address, "completed", "no ECS deployment to follow", events)
    state = str(primary.get("rolloutState", "COMPLETED"))
    running, desired = int(primary.get("runningCount", 0)), int(primary.get("desiredCount", 0))
    detail = f"{state}: {running}/{desired} running, {int(primary.get('pendingCount', 0))} pending"
    if primary.get("failedTasks"):
        detail += f", {primary['failedTasks']} failed"
    if state == "FAILED":
        return Progress(address, "failed", f"{detail} ({primary.get('rolloutStateReason', 'rollout failed')})", events)
    if state == "COMPLETED" and running == desired:
        return Progress(address, "completed", detail, events)
    return Progress(address, "waiting", detail, events)


def rolled_out_by(actions: list[Action]) -> list[Address]:
    """The services, Express services and daemons whose deployments these applied actions start (created, updated or
    replaced)."""
    return [a.address for a in actions if has_rollouts(a.address) and isinstance(a, Create | Update | Replace)]


def task_definition_of(body: Mapping[str, Any] | None) -> str | None:
    """``family:revision`` a described service is set to run (its PRIMARY deployment's), or a read daemon's daemon
    task definition."""
    arn = (body.get("daemonTaskDefinitionArn") or body.get("taskDefinition")) if body else None
    return name_of(arn) if isinstance(arn, str) and arn else None


def has_rollouts(address: Address) -> bool:
    """The resource is a service, an Express service or a daemon: it has deployments to follow."""
    return readers.reader_of(address) is not None


def previous_task_definition(aws: Aws, body: Mapping[str, Any]) -> str | None:
    """The ``family:revision`` a service ran before its current one. The rule: while ECS still lists an older
    deployment (a rollout in flight or failed), that deployment's task definition; otherwise the highest ACTIVE
    revision of the same family below the current one (None: there is none)."""
    current = task_definition_of(body)
    if current is None:
        return None
    for deployment in body.get("deployments") or []:
        older = name_of(str(deployment.get("taskDefinition", "")))
        if deployment.get("status") != "PRIMARY" and older and older != current:
            return older
    family, _, number = current.rpartition(":")
    arns = aws.pages(
        "ecs", "ListTaskDefinitions", "taskDefinitionArns", family, familyPrefix=family, status="ACTIVE", sort="DESC"
    )
    earlier = [int(n) for f, _, n in (name_of(str(a)).rpartition(":") for a in arns) if f == family]
    below = [n for n in earlier if n < int(number)]
    return f"{family}:{max(below)}" if below else None


def revision_of_task_definition(aws: Aws, task_definition: str) -> str | None:
    """The git revision a task definition was registered from (its revision tag), when it has one."""
    answer = aws.call(
        "ecs", "DescribeTaskDefinition", task_definition, taskDefinition=task_definition, include=["TAGS"]
    )
    return next((t.get("value") for t in answer.get("tags") or [] if t.get("key") == REVISION_TAG_KEY), None)


def describe(aws: Aws, address: Address) -> Mapping[str, Any] | None:
    """One service's DescribeServices entry, tags included (None: not found)."""
    return read.service(aws, address, tags=True)


def current_deployment(aws: Aws, body: Mapping[str, Any] | None) -> Deployment | None:
    """The ServiceDeployment a described service is on (None: ECS names none)."""
    arn = read.current_arn(body)
    return read.describe(aws, [arn]).get(arn) if arn else None


def wait_for(
    aws: Aws,
    services: list[Address],
    *,
    timeout: float,
    poll: float,
    report: Callable[[Progress], None],
    stall_after: float = STALL_AFTER,
    since: datetime.datetime | None = None,
) -> list[Progress]:
    """Poll every service or daemon until its rollout finishes or ``timeout`` seconds have passed (one deadline for
    all); ``report`` sees each new state. A rollout that fails, times out, or waits ``stall_after`` seconds without
    change is explained (``explain``). Returns the final Progress of each, in order."""
    deadline = time.monotonic() + timeout

    def follow(address: Address) -> Progress:
        pause = FIRST_POLL
        stall = Stall(time.monotonic())
        reader = readers.reader_of(address)
        assert reader is not None, f"{address} has no deployments to follow"
        while True:
            body, deployment = reader.poll(aws, address)
            state = assess(address, body, deployment, since=since)
            progress, _ = stall.explain(aws, state, body, time.monotonic(), after=stall_after)
            report(progress)
            if progress.finished:
                return progress
            left = deadline - time.monotonic()
            if left <= 0:
                final = replace(state, state="timed out", detail=f"{state.detail} after {timeout:g}s")
                final = with_trouble(final, stall.trouble) if stall.trouble else explain(aws, final, body)
                report(final)
                return final
            time.sleep(min(pause, left))
            pause = min(pause * 2, poll)

    if len(services) <= 1:
        return [follow(a) for a in services]
    # One thread per resource: waiting is mostly sleeping, so a slow rollout never holds another one's checks up.
    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        return list(pool.map(follow, services))


class Display:
    """Shows rollout progress: one line per service or daemon, redrawn in place on a terminal; otherwise a structlog
    line each time one's state changes."""

    def __init__(self, services: list[Address], *, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._lines = {a: "waiting" for a in services}
        self._lock = threading.Lock()
        self._drawn = 0

    def __call__(self, progress: Progress) -> None:
        text = f"{progress.state}: {progress.detail}" if progress.state != "waiting" else progress.detail
        with self._lock:
            if self._lines.get(progress.address) == text:
                return
            self._lines[progress.address] = text
            if not self._tty:
                log.info("rollout", service=str(progress.address), state=progress.state, detail=progress.detail)
                return
            if self._drawn:
                self._stream.write(f"\x1b[{self._drawn}F")
            for address, line in self._lines.items():
                self._stream.write(f"\x1b[2K  {address}: {line}\n")
            self._drawn = len(self._lines)
            self._stream.flush()
