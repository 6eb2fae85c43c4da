"""The level-triggered loop: events and timers only ask for a pass; each pass recomputes everything from the
manifests and live state. At most one pass runs at a time; requests during a pass coalesce into one more.

Outcomes are per resource: an action that fails skips only what depends on it, and the pass says ``partial`` with
the failed resources. Each failure is remembered by ``reconciler.daemon.failures`` and classified once: a terminal
AWS answer is alerted once (``apply_failed``) and not sent again until the resource's manifest or live state changes
(or a long backoff ends); a retryable one backs off per resource; a bug is logged with its traceback and alerted
once (``error``). A pass that raises (live state could not be read, a bug) is retried with exponential backoff
(tenacity), each wait capped by the resync interval and cut short by a pass request (a new revision is tried at
once); a terminal problem of the whole revision (one that does not load, a plan the safety rules refuse) is
alerted once and waits for the files to change, keeping live state as it is.

Between passes the loop follows the deployments passes started (``reconciler.daemon.deployments``); a git revision
whose rollout failed is held (not applied again) until the manifests change. ``status`` is the /status document.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from reconciler import rollout
from reconciler.aws import known_regions
from reconciler.core.actions import Delete, Reason
from reconciler.core.errors import InvalidManifests, PlanError, SecurityRefused, SourceMissing, classify
from reconciler.core.instance import Instance
from reconciler.core.loader import Limits, ParseCache
from reconciler.core.model import Address
from reconciler.core.plan import SUSPEND_ANNOTATION, Action, Plan
from reconciler.daemon import heap
from reconciler.daemon.alerts import Alert, Alerter, AlertKind, drift_alert
from reconciler.daemon.backoff import until_done
from reconciler.daemon.brake import vanished
from reconciler.daemon.change_first import Documents, changed_documents, documents_of
from reconciler.daemon.deployments import Deployments
from reconciler.daemon.drift import Drift, drifts_in, track
from reconciler.daemon.failures import Failure, Failures, error_key, failure_alert
from reconciler.daemon.lease import Lease
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.report import StatusBook, status_document
from reconciler.daemon.source import Settling, Snapshot, find_link, read_snapshot, resolve, select
from reconciler.executor import Outcome
from reconciler.pipeline import Loaded, Pipeline, Planned

log = structlog.get_logger("reconciler.loop")


def pass_result(plan: Plan, *, drift: bool, enforce: bool, partial: bool = False) -> str:
    """What a pass that went through says of itself: ``in_sync``, ``drift`` (detected, or left held), ``healed``,
    ``applied``, ``partial`` (some actions failed or were held: ``partial``) or ``pending`` (detect mode)."""
    if partial:
        return "partial"
    if not plan.actions:
        return "drift" if drift and plan.held else "in_sync"
    if drift:
        return "healed" if enforce else "drift"
    return "applied" if enforce else "pending"


@dataclass
class LoopState:
    """What passes remember between each other."""

    baseline: str | None = None
    """Fingerprint of the manifests live state was last brought to (enforce) or compared with (detect): a
    difference found while the manifests still have this fingerprint is drift."""
    open_drifts: dict[Address, Drift] = field(default_factory=dict)
    """Drifts alerted and not yet found gone."""
    problem: tuple[str, ...] | None = None
    """The last problem alerted (a broken revision, a refused plan), so it is alerted once."""
    last_success: float | None = None
    """Monotonic time of the last successful pass."""
    documents: Documents | None = None
    """Each document (file, index) of the last snapshot read: what a publish changed (change-first)."""
    parsed: ParseCache = field(default_factory=dict)
    """The last snapshot's files as parsed: a file read again unchanged is not parsed again."""
    fleet: frozenset[Address] = frozenset()
    """The addresses the last successful pass left matching the manifests (the vanished-fleet brake's memory)."""
    notes: frozenset[str] = frozenset()
    """The last plan's notes: a pass logs only those the pass before did not have."""
    errors: set[str] = field(default_factory=set)
    """The errors of whole passes already alerted (a bug's type, message and where it was raised): alerted once."""
    started: float = 0.0
    """Monotonic time the last pass started."""


class Daemon:
    def __init__(
        self,
        path: str,
        pipeline: Pipeline,
        *,
        alerter: Alerter,
        metrics: Metrics,
        lease: Lease | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.target = pipeline.target
        """The target this daemon serves (its part of the tree; the default target when the tree declares none)."""
        name = None if self.target.is_default else self.target.name
        self.alerter = alerter.for_target(name)
        self.metrics = metrics.for_target(self.target.name)
        self.lease = lease
        self.clock = clock
        self.state = LoopState()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._last_folder: str | None = None
        options = self.settings.daemon
        self.deployments = Deployments(
            pipeline.aws,
            self.alerter,
            self.metrics,
            timeout=options.rollout_timeout,
            poll=options.rollout_poll,
            rollback=options.rollback_on_failure,
            run=lambda plan: pipeline.run(plan, self.deployments.options, stop=self.stopping.is_set),
            options=self.settings.apply,
            clock=clock,
        )
        self.book = StatusBook(options.mode)
        self.failures = Failures(options.retry, clock=clock)
        self.settling = Settling(options.watch.prune_settle, clock)
        self._settle_due: float | None = None
        """When the manifests whose deletions wait will have read unchanged long enough (a pass is due then)."""

    # ------------------------------------------------------------------ control, from any thread

    def request_pass(self) -> None:
        self.wake.set()

    def source_changed(self) -> None:
        """A file event. For git-sync's link, a pass is asked for only when the link points somewhere else than the
        last pass read: when the heartbeat saw the swap first, the event that follows would otherwise run one more
        full pass over the same revision (a plain directory's events always ask: its target never moves)."""
        if find_link(self.path) is None or self._target_moved():
            self.request_pass()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def readiness(self) -> tuple[bool, str]:
        """Ready: a successful pass within 3 x the resync interval and, with a lease, a lease decision made."""
        if self.lease is not None and not self.lease.decided:
            return False, "no lease decision yet"
        last = self.state.last_success
        if last is None:
            return False, "no successful pass yet"
        if self.clock() - last > 3 * self.settings.daemon.resync_interval:
            return False, "no successful pass within 3 resync intervals"
        return True, "ready"

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        """Run passes until ``stop``: on request, when the link's target moves, and every resync interval."""
        options = self.settings.daemon
        while not self.stopping.is_set():
            self.wake.clear()
            self._pass_with_backoff()
            next_resync = self.clock() + options.resync_interval
            while not self.stopping.is_set():
                due = min(next_resync, self._settle_due or next_resync) - self.clock()
                timeout = min(options.watch.heartbeat, due, self._retry_due())
                if timeout <= 0 or self.wake.wait(min(timeout, self._rollout_check_in())) or self._target_moved():
                    break
                self._check_rollouts()

    def _retry_due(self) -> float:
        """Seconds until a failed resource's retry is due; one already due when the last pass started did not get
        to apply (a held or refused revision) and waits for the next resync."""
        due = self.failures.next_due(after=self.state.started)
        return float("inf") if due is None else due

    def _target_moved(self) -> bool:
        """The heartbeat's check: the link points somewhere else than the last pass read."""
        target = resolve(self.path)
        return target is not None and target != self._last_folder

    def _pass_with_backoff(self) -> None:
        """Run a pass until it succeeds. A failing daemon retries at least as often as a healthy one resyncs, so it
        converges within one resync interval of an outage's end; a pass request (a publish) ends a wait early."""
        options = self.settings.daemon
        longest = min(options.backoff.max, options.resync_interval)
        until_done(self._timed_pass, backoff=options.backoff, longest=longest, wake=self.wake, stopping=self.stopping)

    def _timed_pass(self) -> None:
        if self.stopping.is_set():
            return
        started = self.state.started = self.clock()
        try:
            result = self.run_pass()
        except Exception as exc:
            self.metrics.passes.labels("error").inc()
            self.book.error(str(exc), self.book.applying)
            self._pass_error(exc)
            raise
        finally:
            self.metrics.pass_duration.observe(self.clock() - started)
        self.metrics.passes.labels(result).inc()
        if result not in ("invalid", "refused", "no_source"):
            self.state.last_success = self.clock()
            self.metrics.last_success.set(time.time())

    def _pass_error(self, exc: Exception) -> None:
        """A pass raised: counted by class; a bug is logged with its traceback; a bug or a terminal error is alerted
        once (a retryable one, an outage, only backs off)."""
        kind = classify(exc)
        self.metrics.errors.labels(kind, "pass").inc()
        if kind == "bug":
            log.exception("pass failed: unexpected error", error=f"{type(exc).__name__}: {exc}")
        if kind == "retryable":
            return
        key = error_key(exc)
        if key in self.state.errors:
            return
        self.state.errors.add(key)
        summary = f"a pass failed: {type(exc).__name__}: {exc}; the loop goes on and tries again with backoff"
        self.alerter.send(Alert("error", summary, self.book.applying, errors=(key,)))

    # ------------------------------------------------------------------ one pass

    def run_pass(self) -> str:
        """One pass; returns its result (a metrics label). Raises on errors worth a retry."""
        try:
            snapshot = self._read()
        except SourceMissing as exc:
            log.warning("no manifests to read; live state kept as it is", error=str(exc))
            return "no_source"
        self._last_folder = snapshot.folder
        mine = select(snapshot, self.target, self.settings.variables, regions=known_regions())
        if mine is None:
            log.warning(
                "the manifests no longer declare this target as it was; nothing planned", target=self.target.name
            )
            return "no_source"
        snapshot = mine
        self._begin_pass(snapshot)
        with structlog.contextvars.bound_contextvars(revision=snapshot.revision, target=self.target.name):
            first = self._apply_changes_first(snapshot)
            self._check_rollouts()  # after a publish's first writes: following rollouts never delays them
            result = self._reconcile(snapshot, first=first)
            if first and result == "in_sync":
                result = "applied"  # this pass did apply the publish: its first step did
            log.info("pass", result=result, fingerprint=snapshot.fingerprint[:12])
            heap.settle()
            return result

    def _read(self) -> Snapshot:
        return read_snapshot(
            self.path,
            retries=self.settings.daemon.watch.vanished_retries,
            cache=self.state.parsed,
            limits=Limits(max_files=self.settings.manifests.max_files),
        )

    def manifests(self) -> Loaded:
        """This target's manifests as the next pass reads them, checked (what the console's actions act on); raises
        SourceMissing or InvalidManifests as a pass would meet them."""
        snapshot = select(self._read(), self.target, self.settings.variables, regions=known_regions())
        if snapshot is None:
            raise SourceMissing(f"the manifests no longer declare target {self.target.name}")
        return self.pipeline.load_documents(snapshot.documents, snapshot.errors, instance=self._instance(snapshot))

    def _instance(self, snapshot: Snapshot) -> Instance:
        """The instance of this revision: its Instance document, else ``--instance``, else the default."""
        return self.pipeline.instance_of(snapshot.instance, self.path)

    def _reconcile(self, snapshot: Snapshot, *, first: Sequence[Action] = ()) -> str:
        """The full, level-triggered pass; ``first``: what the change-first step applied of this revision."""
        planned = self._plan(snapshot)
        if isinstance(planned, str):
            return planned
        the_plan = planned.plan
        enforce = self.settings.daemon.mode == "enforce"
        if enforce and not self.deployments.recalled:
            self.deployments.recall(snapshot.fingerprint, snapshot.revision, planned.state.observed)
        is_drift = snapshot.fingerprint == self.state.baseline
        gone = vanished(the_plan, planned.state.observed, self.state.fleet, limit=self.settings.daemon.max_vanished)
        if enforce and gone and is_drift:  # a new revision is a human's answer: it is applied
            summary = (
                f"every resource this daemon brought up is gone and the pass would re-create {len(gone)}: wrong "
                "account or region, or an emptied endpoint? nothing was created; push a new revision or restart "
                "the daemon to rebuild"
            )
            return self._problem(snapshot, "refused", summary, [f"missing: {a}" for a in gone])
        if enforce and self.deployments.following([a.address for a in the_plan.actions]):
            self._check_rollouts(due_only=False)  # a deployment that failed just now holds its revision first
        if enforce and the_plan.actions and self.deployments.is_held(snapshot.fingerprint):
            return self._held_pass(snapshot, planned)
        outcomes: list[Outcome] = []
        waiting = self._unsettled_deletions(snapshot, the_plan) if enforce else {}
        if enforce and the_plan.actions:
            applied = self._apply_pass(snapshot, planned, waiting)
            if isinstance(applied, str):
                return applied
            outcomes = applied
        return self._conclude(snapshot, planned, outcomes, first=first, waiting=waiting, drift=is_drift)

    def _plan(self, snapshot: Snapshot) -> Planned | str:
        """This revision loaded and planned, or the pass's result when it cannot be (``standby``: another replica
        leads; ``invalid``, ``refused``: a problem alerted once). Notes new since the last pass are logged."""
        leading = self.lease is None or self.lease.is_leader()
        try:
            loaded = self.pipeline.load_documents(
                snapshot.documents, snapshot.errors, instance=self._instance(snapshot)
            )
            self.deployments.options = self.pipeline.options(loaded)  # a rollback writes as this revision's instance
            if not leading:
                return "standby"
            planned = self.pipeline.plan(loaded)
        except InvalidManifests as exc:
            return self._problem(
                snapshot,
                "invalid",
                "the manifests failed to load; live state kept as it is",
                [str(e) for e in exc.errors],
                alert=leading,
            )
        except PlanError as exc:
            return self._problem(snapshot, "refused", "the plan was refused; nothing was changed", [str(exc)])
        notes = frozenset(note.message for note in planned.plan.notes)
        for message in sorted(notes - self.state.notes):  # a note every pass repeats is logged once
            log.warning("plan note", message=message)
        self.state.notes = notes
        return planned

    def _apply_pass(self, snapshot: Snapshot, planned: Planned, waiting: dict[Address, str]) -> list[Outcome] | str:
        """The full pass's writes: their outcomes, or the pass's result when they did not run to the end
        (``standby``, ``refused``, ``interrupted``)."""
        if self.lease is not None and not self.lease.is_leader():
            return "standby"
        applying = datetime.datetime.now(datetime.UTC)
        try:
            outcomes = self._apply(self.pipeline, planned, snapshot, waiting=waiting)
        except SecurityRefused as exc:
            findings = [str(f) for f in exc.findings]
            return self._problem(snapshot, "refused", f"{exc}", findings)
        except PlanError as exc:
            return self._problem(snapshot, "refused", "the plan was refused; nothing was changed", [str(exc)])
        self._follow_rollouts(snapshot, planned, outcomes, since=applying)
        if any(o.status == "skipped" and o.because is None for o in outcomes):
            return "interrupted"
        return outcomes

    def _conclude(
        self,
        snapshot: Snapshot,
        planned: Planned,
        outcomes: list[Outcome],
        *,
        first: Sequence[Action],
        waiting: dict[Address, str],
        drift: bool,
    ) -> str:
        """After the writes: what the pass remembers, alerts (drift, or the revision applied), logs and records;
        returns its result."""
        the_plan = planned.plan
        enforce = self.settings.daemon.mode == "enforce"
        if enforce:
            self.failures.settle(a.address for a in the_plan.actions)
            self.metrics.failing.set(len(self.failures.open))
        troubled = {o.address: o for o in outcomes if o.status != "done" and o.address not in waiting}
        self.state.problem = None
        self.state.baseline = snapshot.fingerprint
        if enforce and (fleet := frozenset(r.address for r in planned.loaded.resources)) != self.state.fleet:
            self.state.fleet = fleet  # kept when unchanged: it outlives the pass
        applied = [o.action for o in outcomes if o.status == "done"] if enforce else list(the_plan.actions)
        if drift:
            found = {a: d for a, d in drifts_in(the_plan).items() if a not in troubled}  # told as failures
            self._alert_drift(found, snapshot.revision, healed=enforce)
        elif applied or first:
            self._announce(snapshot, [*first, *applied], enforce=enforce)
        result = pass_result(the_plan, drift=drift, enforce=enforce, partial=bool(troubled))
        if troubled:
            failed = sorted(str(a) for a, o in troubled.items() if o.status == "failed")
            log.warning(
                "some resources were not applied; the others were",
                failed=failed,
                held=sorted(str(a) for a, o in troubled.items() if o.status == "held"),
                skipped=sorted(str(a) for a, o in troubled.items() if o.status == "skipped"),
            )
        self._record(snapshot, result, planned, outcomes, drift=drift)
        return result

    def _unsettled_deletions(self, snapshot: Snapshot, plan: Plan) -> dict[Address, str]:
        """The prune deletions to hold while these manifests have not read unchanged for the settle interval (and
        when a pass is due for them)."""
        wait = self.settling.read(snapshot.fingerprint)
        pruned = [a.address for a in plan.actions if isinstance(a, Delete) and a.reason is Reason.PRUNE]
        self._settle_due = self.clock() + wait if wait > 0 and pruned else None
        if self._settle_due is None:
            return {}
        log.info("deletions wait for the manifests to settle", deletions=len(pruned), seconds=round(wait, 2))
        return {address: "deleted once the manifests read unchanged after the settle interval" for address in pruned}

    def _apply(
        self, pipeline: Pipeline, planned: Planned, snapshot: Snapshot, *, waiting: dict[Address, str] | None = None
    ) -> list[Outcome]:
        """Apply a plan, holding the resources whose same change failed and is not due again (and ``waiting``:
        deletions held until the manifests settle), and tell about the failures that are new."""
        actions = planned.plan.actions
        declared = {r.address: r for r in planned.loaded.resources}
        hold = {**self.failures.hold(actions, declared), **(waiting or {})}
        outcomes = pipeline.apply(planned, revision=snapshot.revision, stop=self.stopping.is_set, hold=hold)
        for outcome in outcomes:
            if outcome.status == "failed" and outcome.error is not None:
                self.metrics.errors.labels(classify(outcome.error), "apply").inc()
        for failure in self.failures.record(actions, declared, outcomes, revision=snapshot.revision):
            self._tell(failure)
        self.metrics.failing.set(len(self.failures.open))
        return outcomes

    def _tell(self, failure: Failure) -> None:
        """A new failure: a terminal one or a bug is alerted; a retryable one is logged and backed off."""
        alert = failure_alert(failure, terminal_wait=self.settings.daemon.retry.terminal)
        if alert is None:
            log.warning(
                f"{failure.action} {failure.address} failed; retried with backoff",
                error=failure.error,
                code=failure.code,
            )
        else:
            self.alerter.send(alert)

    def _apply_changes_first(self, snapshot: Snapshot) -> list[Action]:
        """Change-first (``reconciler.daemon.change_first``): plan and apply the documents a publish changed before
        the full pass. Returns the actions it completed (their rollouts are followed like the full pass's)."""
        previous, self.state.documents = self.state.documents, documents_of(snapshot)
        options = self.settings.daemon
        if options.mode != "enforce":
            return []
        changed = changed_documents(previous, snapshot, limit=options.change_first_limit)
        if not changed or (self.lease is not None and not self.lease.is_leader()):
            return []
        pipeline = self.pipeline.scoped(prune=False)
        applying = datetime.datetime.now(datetime.UTC)
        try:
            planned = pipeline.plan(pipeline.load_documents(changed, [], instance=self._instance(snapshot)))
            if not planned.plan.actions or self.deployments.is_held(snapshot.fingerprint):
                return []
            outcomes = self._apply(pipeline, planned, snapshot)
        except Exception as exc:  # the full pass that follows meets the same problem and handles it
            log.info("change-first skipped; the full pass follows", reason=str(exc))
            return []
        done = [o.action for o in outcomes if o.status == "done"]
        log.info("changes applied first", documents=len(changed), actions=len(outcomes), done=len(done))
        self._follow_rollouts(snapshot, planned, outcomes, since=applying)
        return done

    def _alert_drift(self, found: dict[Address, Drift], revision: str | None, *, healed: bool) -> None:
        self.state.open_drifts, events = track(self.state.open_drifts, found)
        for event in events:
            self.alerter.send(drift_alert(event, revision=revision, healed=healed))
        left = [d for d in found.values() if d.suspended is not None or not healed]
        self.metrics.drifted.set(len(left))

    def _problem(
        self, snapshot: Snapshot, kind: AlertKind, summary: str, errors: list[str], *, alert: bool = True
    ) -> str:
        key = (kind, snapshot.fingerprint, *errors)
        if alert and key != self.state.problem:
            self.state.problem = key
            self.alerter.send(Alert(kind, summary, snapshot.revision, errors=tuple(errors)))
        elif not alert:
            log.warning(summary, errors=errors)
        self.book.error(f"{summary}: {'; '.join(errors)}" if errors else summary, snapshot.revision)
        return kind

    # ------------------------------------------------------------------ rollouts, holds, status

    def status(self) -> dict[str, object]:
        """The /status document."""
        return status_document(self.book, self.deployments)

    def _begin_pass(self, snapshot: Snapshot) -> None:
        """A pass starts: a new revision releases a held one."""
        self.book.begin(snapshot.revision)
        self.deployments.release_unless(snapshot.fingerprint)

    def _rollout_check_in(self) -> float:
        due = self.deployments.next_check_in()
        return float("inf") if due is None else due

    def _check_rollouts(self, *, due_only: bool = True) -> None:
        """Look at the deployments in flight (the leader only: a rollback writes)."""
        if self.lease is not None and not self.lease.is_leader():
            return
        try:
            self.deployments.check(due_only=due_only)
        except Exception as exc:  # noqa: BLE001 (an AWS error: the next check tries again; the loop goes on)
            log.warning("rollout check failed; trying again later", error=str(exc))

    def _follow_rollouts(
        self, snapshot: Snapshot, planned: Planned, outcomes: list[Outcome], *, since: datetime.datetime
    ) -> None:
        """Follow the deployments of the services this pass changed, ``since`` it began applying."""
        applied = [o.action for o in outcomes if o.status == "done"]
        services = rollout.rolled_out_by(applied)
        previous = {
            a: rollout.task_definition_of(planned.state.observed[a].body) if a in planned.state.observed else None
            for a in services
        }
        for action in applied:
            log.info("applied", action=action.verb, resource=str(action.address), revision=snapshot.revision)
        self.deployments.follow(snapshot.fingerprint, snapshot.revision, services, previous, since=since)

    def _announce(self, snapshot: Snapshot, actions: Sequence[Action], *, enforce: bool) -> None:
        """A new revision applied (an ``applied`` alert) or, in detect mode, pending."""
        if not enforce:
            log.info("changes pending (detect mode)", changes=len(actions))
            return
        log.info("revision applied", changes=len(actions))
        self.alerter.send(
            Alert(
                "applied",
                f"revision {snapshot.revision or snapshot.fingerprint[:12]} applied: "
                + ", ".join(f"{a.verb} {a.address}" for a in actions),
                snapshot.revision,
            )
        )

    def _held_pass(self, snapshot: Snapshot, planned: Planned) -> str:
        """The revision's rollout failed: nothing is applied until a new revision arrives."""
        held = self.deployments.held
        log.info(
            "revision held after a failed rollout; not applied again",
            service=held.service if held else None,
            changes=len(planned.plan.actions),
        )
        self._record(snapshot, "held", planned, [], drift=False)
        return "held"

    def _record(
        self, snapshot: Snapshot, result: str, planned: Planned, outcomes: list[Outcome], *, drift: bool
    ) -> None:
        desired = {r.address: r.annotations for r in planned.loaded.resources}
        self.metrics.suspended.set(sum(1 for a in desired.values() if SUSPEND_ANNOTATION in a))
        if snapshot.revision and result in ("applied", "healed", "in_sync"):
            self.metrics.revision.info({"revision": snapshot.revision})
        self.book.record(
            revision=snapshot.revision,
            result=result,
            plan=planned.plan,
            desired=desired,
            outcomes=outcomes,
            drift=drift,
            observed=planned.state.observed,
            failures={a: f.as_dict(self.clock()) for a, f in self.failures.open.items()},
        )
