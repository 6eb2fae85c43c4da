"""Following the deployments a pass started, across passes, without blocking the loop.

After a pass changes services or daemons, the loop hands them here; between passes (and at the start of each)
``check`` reads those still rolling out, in batches, each kind by its reader (``reconciler.deployments.readers``:
DescribeServices, then DescribeServiceDeployments for the deployment each names; a daemon's reading, then
DescribeDaemonDeployments), and assesses each as CLI ``apply`` does (``rollout.assess``, over
``reconciler.deployments.stages``: status, lifecycle stage, traffic shifted, bake left, a PAUSE hook awaiting an
approval, the alarms that fired, ECS's own rollback). A pause is alerted once (``deployment_paused``: hook, stage,
expiry) and followed on; each outcome is alerted once (``rollout_completed`` / ``rollout_failed``, naming the alarms
that fired and ECS's rollback), counted and logged. A failed or stuck rollout's alert, and the status of one that has
not moved for ``stall_after`` seconds, name its unhealthy load balancer targets with ELB's reasons (``rollout.explain``,
asked only then). The timeout counts only time spent rolling out: a deployment paused at a hook or baking ends when
ECS says (the hook's expiry, the bake time). A git revision with a failed or stuck service is held: the loop does not
apply it again until the manifests change. With ``rollback_on_failure``, the first failure of a revision returns every
service that revision changed to the service revision it ran under the last revision that rolled out completely (or,
for a service no completed revision of this process changed, the one it ran before the failing revision): its task
definition and the rest of that ServiceRevision UpdateService sets (network, load balancers, capacity provider
strategy, platform version, ...), in one step and one alert: one rollback plan (``reconciler.rollback``) run through
the executor, ownership checked as every plan's (a daemon is left to ECS, whose circuit breaker rolls a failed daemon
deployment back itself).

What it must know after a restart is read back from AWS by the first full pass (``recall``,
``reconciler.daemon.recall``): ECS's deployments in flight are followed on, a held revision stays held (the hold
marker written on a failed service, through the executor), a failure is alerted once in all, and the last revision
that rolled out completely is ECS's newest successful deployment. What it keeps of each rollout is in
``reconciler.daemon.following``.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from reconciler import rollout
from reconciler.aws import Aws
from reconciler.core.errors import ReconcilerError
from reconciler.core.model import Address, Live
from reconciler.core.plan import Plan, StopDeployment, Update
from reconciler.core.settings import ApplySettings
from reconciler.core.tags import is_managed, owner_of
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.following import Following, Held, RevisionRollout, baking, started_after, stoppable
from reconciler.daemon.metrics import TargetMetrics
from reconciler.daemon.recall import hold_marker, read_back
from reconciler.daemon.rollout_alerts import outcome_alert, paused_alert
from reconciler.deployments import history, readers
from reconciler.deployments.stages import Deployment, status_entry
from reconciler.executor import Outcome
from reconciler.kinds.service import KIND as SERVICE
from reconciler.rollback import Return, returned_fields, rollback_plan

log = structlog.get_logger("reconciler.rollout")


def _current_arn(address: Address, body: Mapping[str, Any] | None) -> str | None:
    reader = readers.reader_of(address)
    return reader.current_arn(body) if reader is not None else None


def _began(following: Following) -> datetime.datetime:
    """When the revision's deployment of the service began: ECS's start of the deployment followed, when known, else
    the pass's change (less the grace ECS's clock may lag by)."""
    deployment = following.progress.deployment if following.progress is not None else None
    if deployment is not None and deployment.arn == following.deployment and deployment.started_at is not None:
        return deployment.started_at
    return following.since - rollout.STALE_GRACE


@dataclass
class Deployments:
    """The rollouts in flight, the revisions held, and the last task definitions that rolled out completely."""

    aws: Aws
    alerter: Alerter
    metrics: TargetMetrics
    timeout: float
    poll: float
    rollback: bool = False
    run: Callable[[Plan], list[Outcome]] | None = None
    """Runs a rollback plan through the executor (the loop's pipeline); needed with ``rollback``."""
    options: ApplySettings = field(default_factory=ApplySettings)
    """The apply options of the revision last loaded: the instance whose services a rollback may change."""
    clock: Callable[[], float] = time.monotonic
    stall_after: float = rollout.STALL_AFTER
    """Seconds a rollout's state may stay the same before its unhealthy targets are looked up (once a stretch)."""
    in_flight: list[RevisionRollout] = field(default_factory=list)
    held: Held | None = None
    last_good: dict[Address, tuple[str, str | None]] = field(default_factory=dict)
    """Service -> (``family:revision``, git revision) of the last revision of it that rolled out completely."""
    states: dict[Address, dict[str, Any]] = field(default_factory=dict)
    """Service -> its last rollout, as /status shows it."""
    recalled: bool = False
    """What AWS remembers was read back (``recall``, once, by the first full pass)."""

    # ------------------------------------------------------------------ what the loop asks

    def is_held(self, fingerprint: str) -> bool:
        return self.held is not None and self.held.fingerprint == fingerprint

    def release_unless(self, fingerprint: str) -> None:
        """A new git revision arrived: whatever was held is released."""
        if self.held is not None and self.held.fingerprint != fingerprint:
            log.info("held revision released", held=self.held.revision, revision=fingerprint[:12])
            self.held = None
            self.metrics.held.set(0)

    def recall(self, fingerprint: str, revision: str | None, observed: Mapping[Address, Live]) -> None:
        """Start-up: read back what AWS remembers of the managed services' deployments (``reconciler.daemon.recall``)
        before the first pass applies anything. A service whose hold marker names these manifests keeps the revision
        held; the last revision of each service that rolled out completely is known; a deployment in flight is
        followed on, and a failure never alerted is alerted, recorded and held now. ``observed``: the pass's live
        state."""
        found = read_back(self.aws, fingerprint, revision, observed, now=self.clock())
        if found.held is not None:
            self.held = found.held
            self.metrics.held.set(1)
        self.last_good.update(found.last_good)
        self.states.update(found.states)
        self.in_flight.extend(found.in_flight)
        self.recalled = True
        if found.in_flight:
            self.check(due_only=False)  # a failure found now is held before the pass decides what to apply

    def following(self, services: list[Address]) -> bool:
        """One of these services has a deployment in flight (a pass about to change it looks at it first: ECS may
        have rolled it back a moment ago, which is a failed rollout, not drift)."""
        wanted = set(services)
        return any(
            a in wanted and (f.progress is None or not f.progress.settled)
            for group in self.in_flight
            for a, f in group.services.items()
        )

    def next_check_in(self) -> float | None:
        """Seconds until the next rollout check is due (None: nothing to follow)."""
        if not self.in_flight:
            return None
        return max(0.0, min(r.next_check for r in self.in_flight) - self.clock())

    def follow(
        self,
        fingerprint: str,
        revision: str | None,
        services: list[Address],
        previous: dict[Address, str | None],
        *,
        since: datetime.datetime | None = None,
    ) -> None:
        """A pass over ``revision`` changed these services: follow their deployments from now on. ``since``: when
        the pass began applying (default now). A deployment ECS started after it is the change's, even when it
        completed long before the pass ended (a pass that registers many revisions waits for AWS's buckets)."""
        if not services:
            return
        now = self.clock()
        since = since or datetime.datetime.now(datetime.UTC)
        # A service changed again supersedes its earlier deployment.
        for earlier in self.in_flight:
            for address in services:
                earlier.services.pop(address, None)
        self.in_flight = [r for r in self.in_flight if r.services]
        following = {a: Following(a, previous.get(a), now, since=since) for a in services}
        try:
            bodies = self._describe(services)
        except ReconcilerError as exc:  # the first check reads them instead
            log.warning("could not read the changed services", services=len(services), error=str(exc))
            bodies = {}
        for address, item in following.items():
            item.live = bodies.get(address)
            item.task_definition = rollout.task_definition_of(item.live.body if item.live else None)
        for address in services:
            self.states[address] = {"state": "waiting", "detail": "deployment started", "revision": revision}
        self.in_flight.append(RevisionRollout(fingerprint, revision, following, now))

    def check(self, *, due_only: bool = True) -> None:
        """Look at every rollout in flight once (those due, unless ``due_only`` is False); alert what finished."""
        now = self.clock()
        for group in list(self.in_flight):
            if due_only and group.next_check > now:
                continue
            self._check_group(group)
            group.next_check = self.clock() + group.pause
            group.pause = min(group.pause * 2, self.poll)
            if group.finished or group not in self.in_flight:
                self._finish(group)

    # ------------------------------------------------------------------ one revision's services

    def _describe(self, services: list[Address]) -> dict[Address, Live]:
        """The services as DescribeServices answers, 10 a call, and the daemons as the Daemon kind reads them (one
        not found is left out)."""
        return readers.lives(self.aws, services)

    def _check_group(self, group: RevisionRollout) -> None:
        pending = [f for f in group.services.values() if f.progress is None or not f.progress.settled]
        lives = self._describe([f.address for f in pending])
        bodies = {a: live.body for a, live in lives.items()}
        arns = {f.address: f.deployment or _current_arn(f.address, bodies.get(f.address)) for f in pending}
        found = readers.deployments(self.aws, {a: arn for a, arn in arns.items() if arn})
        # Every service is assessed before any outcome: a failure's rollback returns each of them to the deployment
        # before its own, which only an assessed service knows.
        assessed = []
        for following in pending:
            following.live = lives.get(following.address, following.live)
            progress = self._assess(following, bodies.get(following.address), found.get(following.address))
            following.progress = progress
            self.states[following.address] = self._state(group, following, progress)
            assessed.append((following, progress))
        for following, progress in assessed:
            if progress.state == "paused":
                self._paused(group, following, progress)
            if progress.settled and progress.state != "completed" and progress.deployment is not None:
                progress = following.progress = self._with_events_now(following, progress)
            if progress.settled:
                self._outcome(group, following, progress)
                if progress.state != "completed" and group in self.in_flight:
                    self._fail(group, following, progress)
                    return

    def _with_events_now(self, following: Following, progress: rollout.Progress) -> rollout.Progress:
        """A failure read from its deployment, with the service's events described again: the deployment is read after
        the service, and may have failed in between (its events would not tell why)."""
        try:
            live = self._describe([following.address]).get(following.address)
        except ReconcilerError as exc:
            log.warning("could not read the failed service's events", service=str(following.address), error=str(exc))
            return progress
        return progress if live is None else replace(progress, events=rollout.events_of(live.body))

    def _assess(
        self, following: Following, body: Mapping[str, Any] | None, deployment: Deployment | None
    ) -> rollout.Progress:
        """Where the service's deployment stands now: ECS's word when it names a deployment; otherwise the PRIMARY
        deployment, failed when the service no longer runs what was rolled out (the circuit breaker moved it back);
        timed out after ``timeout`` seconds of rolling out."""
        address = following.address
        progress = rollout.assess(address, body, deployment, since=following.since)
        if following.deployment is None and deployment is not None and started_after(deployment, following.since):
            following.deployment = deployment.arn
        now_on = rollout.task_definition_of(body)
        if following.task_definition is None:
            following.task_definition = now_on
        elif deployment is None and now_on != following.task_definition and body is not None:
            progress = rollout.Progress(
                address,
                "failed",
                f"the service runs {now_on} instead (rolled back by the deployment circuit breaker, or changed "
                f"by someone else); {progress.detail}",
                progress.events,
            )
        following.timed(progress, self.clock())
        rolling = progress.state == "waiting" and not baking(progress.deployment)
        if rolling and following.rolling > self.timeout:
            progress = rollout.Progress(
                address,
                "timed out",
                f"{progress.detail} after {self.timeout:g}s",
                progress.events,
                deployment=progress.deployment,
            )
        return self._explained(following, progress, body)

    def _state(self, group: RevisionRollout, following: Following, progress: rollout.Progress) -> dict[str, Any]:
        """The service's rollout as /status shows it, with its deployment when ECS names one."""
        deployment = progress.deployment
        return {
            "state": progress.state,
            "detail": progress.detail,
            "revision": group.revision,
            "task_definition": following.task_definition,
            **({"unhealthy_targets": list(progress.trouble)} if progress.trouble else {}),
            "deployment": None if deployment is None else status_entry(deployment, progress.state, progress.detail),
        }

    def _paused(self, group: RevisionRollout, following: Following, progress: rollout.Progress) -> None:
        """A deployment waits at a PAUSE hook: alerted once per pause, with the hook, the stage and the expiry."""
        deployment = progress.deployment
        hook = deployment.paused if deployment is not None else None
        if deployment is None or hook is None:
            return
        pause = (deployment.arn, hook.hook_id, deployment.stage or "")
        if following.paused == pause:
            return
        following.paused = pause
        self.alerter.send(paused_alert(following.address, group.revision, following.task_definition, progress, hook))

    def _explained(
        self, following: Following, progress: rollout.Progress, body: Mapping[str, Any] | None
    ) -> rollout.Progress:
        """A failed or stuck rollout, or one unchanged for ``stall_after`` seconds, with its unhealthy targets."""
        explained, asked = following.stall.explain(self.aws, progress, body, self.clock(), after=self.stall_after)
        if asked and not progress.finished and explained.trouble:
            log.warning("rollout not progressing", service=str(following.address), unhealthy=explained.trouble)
        return explained

    def _outcome(self, group: RevisionRollout, following: Following, progress: rollout.Progress) -> None:
        outcome = "completed" if progress.state == "completed" else "failed"
        self.metrics.rollouts.labels(outcome if progress.state != "timed out" else "stuck").inc()
        self.alerter.send(outcome_alert(following.address, group.revision, following.task_definition, progress))

    def _fail(self, group: RevisionRollout, following: Following, progress: rollout.Progress) -> None:
        """Hold the revision and record that on the service; with rollback, return every service it changed, at
        once. A deployment of a revision other than the manifests' (found at start-up) holds nothing."""
        if group.fingerprint:
            self.held = Held(
                group.fingerprint,
                group.revision,
                str(following.address),
                progress.detail,
                services=tuple(group.services),
            )
            self.metrics.held.set(1)
        self._mark(following, group.fingerprint)
        if self.rollback:
            self._roll_back(group, following)
        self.in_flight.remove(group)

    def _mark(self, following: Following, fingerprint: str) -> None:
        """The hold marker on the service, through the executor (``reconciler.daemon.recall``)."""
        if self.run is None or following.live is None:
            return
        for outcome in self.run(hold_marker(following.live, fingerprint, following.deployment)):
            if outcome.status != "done":
                log.warning(
                    "could not record the hold on the service", service=str(outcome.address), error=outcome.message
                )

    def _rollback_plan(self, group: RevisionRollout, failing: Following) -> tuple[Plan, list[str]]:
        """The rollback of every service the revision changed, and why some cannot be rolled back: the failing
        deployment, when still in progress (it timed out), is ECS's to roll back (a ``StopDeployment``); every other
        service returns to the service revision of its last revision that rolled out completely (``_return_of``; an
        UpdateService supersedes a deployment of it still in progress)."""
        errors: list[str] = []
        lives: dict[Address, Live | None] = {}
        returns: dict[Address, Return] = {}
        for address, following in sorted(group.services.items()):
            if address.kind != SERVICE.name:
                errors.append(f"{address}: not rolled back here (ECS rolls a failed daemon deployment back itself)")
                continue
            task_definition, revision = self.last_good.get(address, (following.previous, None))
            if following is failing and stoppable(following) and following.live is not None:
                deployment = following.progress.deployment if following.progress is not None else None
                assert deployment is not None
                lives[address] = following.live
                returns[address] = Return(task_definition, revision, stop=deployment.arn)
                continue
            if task_definition is None:
                errors.append(f"{address}: created by this revision, no earlier task definition to return to")
                continue
            try:
                body = rollout.describe(self.aws, address)
                back = self._return_of(following, body, task_definition, revision)
            except ReconcilerError as exc:
                errors.append(f"{address}: rollback failed: {exc}")
                continue
            if back.task_definition is not None and back.service_revision is None and body is not None:
                errors.append(
                    f"{address}: ECS lists no completed deployment of {task_definition}: returned to "
                    "that task definition, the rest of the service as it is"
                )
            tags = body.get("tags") if body is not None else None
            lives[address] = None if body is None else Live(address, body, is_managed(tags), owner_of(tags))
            returns[address] = back
        plan = rollback_plan(lives, returns, instance=self.options.instance, former=self.options.former_owners)
        return plan, errors + [n.message for n in plan.notes if n.blocking]

    def _return_of(
        self, following: Following, body: Mapping[str, Any] | None, task_definition: str, revision: str | None
    ) -> Return:
        """Where a service the revision changed goes back to: the service revision of its newest deployment that
        completed, started before this revision's (``_began``) and ran ``task_definition`` (ECS's history: the whole
        revision, its network, load balancers, capacity and the rest, not the task definition alone); a service ECS
        names no deployment for (CODE_DEPLOY, EXTERNAL), or whose completed deployment ECS no longer lists, returns
        to the task definition only."""
        current = rollout.current_deployment(self.aws, body)
        if body is None or current is None:
            return Return(task_definition, revision)
        found = history.last_completed(
            self.aws,
            following.address,
            running=task_definition,
            before=_began(following),
            now_on=history.revision_now(current),
        )
        if found is None or found.now_on is None:
            return Return(task_definition, revision)
        return Return(
            task_definition,
            revision or found.git_revision,
            service_revision=found.service_revision,
            now_on=found.now_on,
        )

    def _roll_back(self, group: RevisionRollout, failing: Following) -> None:
        plan, errors = self._rollback_plan(group, failing)
        done: list[str] = []
        outcomes = self.run(plan) if self.run is not None and plan.actions else []
        for outcome in outcomes:
            address, action = outcome.address, outcome.action
            if outcome.status != "done":
                errors.append(f"{address}: rollback failed: {outcome.message}")
                continue
            if isinstance(action, StopDeployment):
                done.append(f"{address}: deployment in progress rolled back by ECS")
                continue
            back = action.resource.spec["taskDefinition"] if isinstance(action, Update) else None
            following = group.services[address]
            returned = returned_fields(action) if isinstance(action, Update) else []
            with_rest = f" with its {', '.join(returned)}" if returned else ""
            done.append(f"{address}: {following.task_definition or '?'} -> {back}{with_rest}")
            revision = self.last_good.get(address, (None, None))[1]
            self.states[address] = {"state": "rolled back", "detail": f"back on {back}", "revision": revision}
        if self.held is not None:
            self.held.rolled_back = tuple(done)
        self.metrics.rollbacks.inc()
        self.alerter.send(
            Alert(
                "rollback",
                f"rollback of revision {group.revision or group.fingerprint[:12]}: {failing.address} failed to roll "
                f"out; {len(done)} service{'s' if len(done) != 1 else ''} returned to the last revision that rolled "
                "out completely",
                group.revision,
                resource=str(failing.address),
                task_definition=failing.task_definition,
                errors=tuple(done + errors),
            )
        )

    def _finish(self, group: RevisionRollout) -> None:
        if group in self.in_flight:
            self.in_flight.remove(group)
        progresses = [f.progress for f in group.services.values()]
        if all(p is not None and p.state == "completed" for p in progresses):
            for address, following in group.services.items():
                if following.task_definition:
                    self.last_good[address] = (following.task_definition, group.revision)
            log.info("revision rolled out", services=len(group.services), revision=group.revision)
