"""Wiring for the `run` command: the loops, the watcher, the lease keeper and the HTTP server, each in its
thread, and signal handling: SIGTERM/SIGINT finish the action in flight, release the leases and exit 0; SIGHUP asks
for a pass now, spaced by the same gate as ``POST /reconcile`` (``reconciler.daemon.gate``).

Shutdown keeps to ``shutdown_grace`` whatever AWS does: the AWS boundary stops retrying at once, the loop gets what
is left of the grace minus a reserve for releasing the lease (one attempt, itself bounded), and a process whose pass
is still stuck in a call (an endpoint that never answers) exits anyway; the next leader heals what it left.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

import structlog

from reconciler.aws import Aws, known_regions
from reconciler.core.errors import SourceMissing, UsageError
from reconciler.core.instance import DEFAULT as DEFAULT_INSTANCE
from reconciler.core.loader import Limits, ParseCache
from reconciler.core.settings import Settings
from reconciler.core.targets import DEFAULT, Target, split
from reconciler.daemon import heap
from reconciler.daemon.alerts import Alert, Alerter, Sink, SnsSink
from reconciler.daemon.delivery import Background, DeliveryRules, Dropped, Selected
from reconciler.daemon.gate import PassGate
from reconciler.daemon.lease import Lease
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.replicas import group_of
from reconciler.daemon.report import RecentAlerts
from reconciler.daemon.sharing import Keeper, stop_serving
from reconciler.daemon.source import read_snapshot, resolve
from reconciler.daemon.watch import watch_source
from reconciler.pipeline import Pipeline

if TYPE_CHECKING:
    from reconciler.daemon.http import HttpServer

log = structlog.get_logger("reconciler.run")

ALERT_RESERVE = 0.1
"""Fraction of the shutdown grace kept for delivering the alerts still queued."""
RELEASE_RESERVE = 2.0
"""Seconds of the shutdown grace kept for releasing the lease (at most a quarter of the grace)."""


def sinks_for(aws: Aws, settings: Settings) -> list[Sink]:
    """The sinks the settings name, each to be delivered in the background."""
    options = settings.daemon
    sinks: list[Sink] = []
    if options.alert_sns_topic:
        sinks.append(SnsSink(aws, options.alert_sns_topic))
    if options.alert_webhook:
        from reconciler.daemon.webhook import WebhookSink  # webhook and chat delivery: only when configured

        sinks.append(WebhookSink(options.alert_webhook, timeout=options.webhook_timeout))
    if options.alert_slack_webhook:
        from reconciler.daemon.chat import slack_sink

        sinks.append(slack_sink(options.alert_slack_webhook, timeout=options.webhook_timeout,
                                console_url=options.console_url))  # fmt: skip
    if options.alert_teams_webhook:
        from reconciler.daemon.chat import teams_sink

        sinks.append(teams_sink(options.alert_teams_webhook, timeout=options.webhook_timeout,
                                console_url=options.console_url))  # fmt: skip
    return sinks


def selected(sinks: list[Background], events: tuple[tuple[str, frozenset[str]], ...]) -> list[Sink]:
    """Each sink as the alerter hands it alerts: only the kinds ``events`` names for it, else every one."""
    chosen = dict(events)
    return [Selected(sink, chosen[sink.name]) if sink.name in chosen else sink for sink in sinks]


def _count_drop(metrics: Metrics) -> Dropped:
    def dropped(alert: Alert, sink: str) -> None:
        metrics.alerts_dropped.labels(alert.target or DEFAULT, sink).inc()

    return dropped


@dataclass
class Unit:
    """One target's daemon: its loop, and the lease it holds (renewed by the fleet's keeper)."""

    daemon: Daemon
    lease: Lease | None
    threads: list[threading.Thread] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)
    """Monotonic time the daemon started (a target just taken has had no pass yet)."""

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self, deadline: float, *, shut_down: bool = True, release_if_stuck: bool = True) -> bool:
        """Stop the loop by ``deadline`` (keeping the release reserve), release the lease; True when the loop
        finished in time. ``shut_down``: the AWS boundary stops too (not when others still use it).
        ``release_if_stuck``: False keeps the lease of a loop still in a call at the deadline from being deleted
        (it stops being renewed and expires: a write still in flight lands before anyone else may write)."""
        reserve = min(RELEASE_RESERVE, max(0.0, deadline - time.monotonic()) / 4) if self.lease is not None else 0.0
        self.daemon.stop()
        if shut_down:
            self.daemon.pipeline.aws.shut_down()  # no more retries, no retry waits: the pass ends at its current call
        loop = self.threads[0]
        loop.join(max(0.0, deadline - reserve - time.monotonic()))
        finished = not loop.is_alive()
        if not finished:
            log.warning(
                "a pass was still running at the shutdown deadline; the next start heals it",
                target=self.daemon.target.name,
            )
        if self.lease is not None and not finished and not release_if_stuck:
            self.lease.abandon()
        if self.lease is not None:
            releasing = threading.Thread(target=self.lease.release, name="release", daemon=True)
            releasing.start()
            releasing.join(max(0.0, deadline - time.monotonic()))  # unanswered: the lease expires by itself
        self.daemon.metrics.leader.set(0)
        return finished


class Fleet:
    """A daemon per target the manifests declare (``reconciler.core.targets``), kept in step with the tree's Target
    documents: a target added in git gets its daemon and metrics label; a target removed or changed (another
    account, role or region) has its daemon stopped, and nothing of it is pruned. A tree without Target documents
    is one daemon for the default target. With a lease table this process is one replica of those sharing the
    table: its keeper (``reconciler.daemon.sharing``) decides which targets it holds, and only those have a daemon
    here."""

    def __init__(self, path: str, pipeline: Pipeline, *, alerter: Alerter, metrics: Metrics) -> None:
        self.path, self.pipeline, self.alerter, self.metrics = path, pipeline, alerter, metrics
        self.units: dict[str, Unit] = {}
        """The daemons running, by target name (with a lease table: the targets held)."""
        self.wanted: dict[str, Target] = {}
        """The targets the manifests declared at the last refresh."""
        self.parsed: ParseCache = {}
        """Shared by every target's daemon and the fleet's own reads: each file is parsed once per change."""
        self.changed = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._last_read: str | None = None
        self._stoppers: list[threading.Thread] = []
        lease = pipeline.settings.daemon.lease
        self.group = lease.name
        """The lease items' key prefix: the lease name, with the instance's name unless it is the default one."""
        self.keeper = Keeper(self, lease) if lease.table else None

    # ------------------------------------------------------------------ which targets

    def declared(self) -> dict[str, Target]:
        """The targets the manifests declare now; the current ones while the tree cannot tell (not synced yet, a
        broken Target document: the daemons report that)."""
        settings = self.pipeline.settings
        current = self.wanted or {name: unit.daemon.target for name, unit in self.units.items()}
        try:
            snapshot = read_snapshot(
                self.path,
                retries=settings.daemon.watch.vanished_retries,
                cache=self.parsed,
                limits=Limits(max_files=settings.manifests.max_files),
            )
        except SourceMissing:
            return current or {DEFAULT: Target()}
        self._last_read = snapshot.folder
        parts = split(snapshot.documents, settings.variables, regions=known_regions())
        if parts.errors:
            return current or {DEFAULT: Target()}
        try:
            instance = self.pipeline.instance_of(parts.instance, self.path).name
        except UsageError:
            instance = DEFAULT_INSTANCE  # the daemons report the conflict
        self.group = group_of(settings.daemon.lease.name, instance)
        return {t.name: t for t in parts.targets} or {DEFAULT: Target()}

    def refresh(self) -> None:
        """Take the declared targets: stop the daemons of those no longer declared as they were; without a lease
        table start one for each target not served yet (with one, the keeper takes them)."""
        wanted = self.declared()
        with self._lock:
            self.wanted = wanted
            for name, unit in list(self.units.items()):
                if wanted.get(name) != unit.daemon.target:
                    log.info("target no longer declared as it was; its daemon stops", target=name)
                    deadline = time.monotonic() + self.pipeline.settings.daemon.shutdown_grace
                    unit.stop(deadline, shut_down=unit.daemon.pipeline.aws is not self.pipeline.aws)
                    del self.units[name]
            if self.keeper is None:
                for name, target in wanted.items():
                    if name not in self.units and not self.stopping.is_set():
                        self._start(target, None)
        if self.keeper is not None:
            self.keeper.wake.set()

    def serve(self, target: Target, lease: Lease) -> None:
        """The keeper took ``target``'s lease: its daemon starts (unless the target changed meanwhile)."""
        with self._lock:
            if self.stopping.is_set() or target.name in self.units or self.wanted.get(target.name) != target:
                lease.release()
                return
            log.info("leader", holder=lease.holder, target=target.name, epoch=lease.epoch)  # before any write
            self._start(target, lease)
            self.units[target.name].daemon.metrics.leader.set(1)

    def held(self) -> dict[str, Unit]:
        with self._lock:
            return dict(self.units)

    def drop(self, name: str, *, hand_back: bool) -> None:
        """Stop serving a target, in the background: its lease was lost (``hand_back`` False: the fence already
        refuses its writes) or it is handed back (deleted once its daemon stopped)."""
        keeper = self.keeper
        with self._lock:
            unit = self.units.pop(name, None)
        if unit is None or keeper is None:
            return
        log.info("target handed back" if hand_back else "follower", holder=keeper.holder, target=name)
        grace = self.pipeline.settings.daemon.shutdown_grace
        shut_down = unit.daemon.pipeline.aws is not self.pipeline.aws
        keeper.leaving.add(name)
        stopper = threading.Thread(
            target=stop_serving,
            args=(unit,),
            kwargs={"grace": grace, "shut_down": shut_down, "done": lambda: keeper.leaving.discard(name)},
            name=f"drop-{name}",
            daemon=True,
        )
        self._stoppers.append(stopper)
        stopper.start()

    def _start(self, target: Target, lease: Lease | None) -> None:
        self.units[target.name] = self._unit(target, lease)
        self.units[target.name].start()
        log.info("serving target", target=target.name, region=target.region, role=target.role_arn)

    def _unit(self, target: Target, lease: Lease | None) -> Unit:
        pipeline = self.pipeline.for_target(target)
        pipeline.keep_between_passes()
        if lease is not None:
            pipeline.aws.fence = lease  # every write checks, before it is sent, that the lease is still safely held
        daemon = Daemon(self.path, pipeline, alerter=self.alerter, metrics=self.metrics, lease=lease)
        if lease is None:
            daemon.metrics.leader.set(1)  # no lease table: this replica is the only one, and it acts
        daemon.state.parsed = self.parsed
        pipeline.aws.listeners.append(daemon.metrics.observe_call)
        return Unit(daemon, lease, [threading.Thread(target=daemon.run, name=f"loop-{target.name}", daemon=True)])

    def run(self) -> None:
        """Refresh on every change of the source and when git-sync's link moves (the heartbeat)."""
        heartbeat = self.pipeline.settings.daemon.watch.heartbeat
        while not self.stopping.is_set():
            if self.changed.wait(heartbeat) or resolve(self.path) != self._last_read:
                self.changed.clear()
                if not self.stopping.is_set():
                    self.refresh()

    # ------------------------------------------------------------------ what every daemon shares

    def daemon_of(self, name: str) -> Daemon | None:
        """The daemon serving target ``name``."""
        with self._lock:
            unit = self.units.get(name)
        return unit.daemon if unit is not None else None

    def each(self) -> list[Daemon]:
        with self._lock:
            return [unit.daemon for unit in self.units.values()]

    def source_changed(self) -> None:
        self.changed.set()
        for daemon in self.each():
            daemon.source_changed()

    def request_pass(self) -> None:
        for daemon in self.each():
            daemon.request_pass()

    def readiness(self) -> tuple[bool, str]:
        """Ready when every target's daemon is; with a lease table, once the keeper read the table, and a replica
        holding nothing (more replicas than targets) is ready: it takes over when another goes."""
        if self.keeper is not None and not self.keeper.decided:
            return False, "no lease decision yet"
        grace = 3 * self.pipeline.settings.daemon.resync_interval
        with self._lock:
            units = list(self.units.values())
        if not units:
            return (True, "ready, holding no target") if self.keeper is not None else (False, "no target served yet")
        for unit in units:
            ok, why = unit.daemon.readiness()
            just_taken = self.keeper is not None and unit.daemon.state.last_success is None
            if not ok and not (just_taken and time.monotonic() - unit.since < grace):
                target = unit.daemon.target
                return False, why if target.is_default else f"target {target.name}: {why}"
        return True, "ready"

    def status(self) -> dict[str, object]:
        """The /status document: one daemon's as it is; several under ``targets``; with a lease table, which
        replica holds which target under ``replica``."""
        daemons = self.each()
        document: dict[str, object]
        if len(daemons) == 1 and daemons[0].target.is_default:
            document = daemons[0].status()
        else:
            document = {"targets": {d.target.name: d.status() for d in daemons}}
        if self.keeper is not None:
            document["replica"] = self.keeper.status()
        return document

    def stop(self, *, grace: float) -> bool:
        """Stop every target's daemon within ``grace`` seconds; True when every loop finished in time."""
        deadline = time.monotonic() + grace
        self.stopping.set()
        self.changed.set()
        if self.keeper is not None:
            self.keeper.halt(min(1.0, grace / 8))  # no renewal or take from now on
        with self._lock:
            units = list(self.units.values())
        results: list[bool] = []  # every unit stops at once, each in its thread, within the one deadline
        stoppers = [threading.Thread(target=lambda u=u: results.append(u.stop(deadline))) for u in units]
        for thread in stoppers:
            thread.start()
        for thread in [*stoppers, *self._stoppers]:
            thread.join(max(0.0, deadline - time.monotonic()) + 0.1)
        if self.keeper is not None:  # one attempt, unanswered by the deadline: the heartbeat expires by itself
            leaving = threading.Thread(target=self.keeper.leave, name="leave", daemon=True)
            leaving.start()
            leaving.join(max(0.0, deadline - time.monotonic()))
        return len(results) == len(units) and all(results)


@dataclass
class Operator:
    """A started fleet of daemons and the threads that serve them."""

    fleet: Fleet
    server: HttpServer | None
    gate: PassGate
    """Spaces the passes asked for from outside (``POST /reconcile``, SIGHUP)."""
    sinks: list[Background]
    """The alert sinks delivering in the background, closed last at shutdown."""
    threads: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    """Stops the watcher and the gate."""

    @property
    def daemon(self) -> Daemon:
        """The one daemon of a tree without targets (the demo's)."""
        return self.fleet.each()[0]

    def stop(self, *, grace: float) -> bool:
        """Stop everything within ``grace`` seconds; True when every loop finished in time. Alerts still queued get
        what is left of the grace (at least ``ALERT_RESERVE`` of it), then are dropped."""
        deadline = time.monotonic() + grace
        self.stopping.set()
        finished = self.fleet.stop(grace=grace * (1 - ALERT_RESERVE))
        if self.server is not None:
            self.server.stop()
        closers = [threading.Thread(target=sink.close, args=(deadline,), daemon=True) for sink in self.sinks]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join(max(0.0, deadline - time.monotonic()) + 0.1)
        return finished


def start(
    path: str,
    pipeline: Pipeline,
    *,
    sinks: list[Sink] | None = None,
    delivery: DeliveryRules | None = None,
    clock: Callable[[], float] = time.monotonic,
    log_alerts: bool = True,
) -> Operator:
    """Start the daemons and their helpers in threads; returns at once. ``sinks`` (default: the settings') are
    delivered in the background by ``delivery``'s rules; ``clock``: the pass gate's; ``log_alerts`` off: the sinks
    show the alerts on the terminal already."""
    heap.share_arenas()
    aws, settings = pipeline.aws, pipeline.settings
    options = settings.daemon
    metrics = Metrics()
    delivering = [
        Background(sink, rules=delivery or DeliveryRules(), dropped=_count_drop(metrics))
        for sink in (sinks if sinks is not None else sinks_for(aws, settings))
    ]
    recent = RecentAlerts()  # the status document's, not a delivery
    alerter = Alerter([*selected(delivering, options.alert_events), recent], mask=pipeline.masker, logged=log_alerts)
    fleet = Fleet(path, pipeline, alerter=alerter, metrics=metrics)
    gate = PassGate(fleet.request_pass, interval=options.http.pass_interval, clock=clock)
    server = None
    if options.metrics_port is not None:
        # The HTTP server (waitress), the console and its actions: only with a port.
        from reconciler.console.app import console_app
        from reconciler.daemon.console_actions import Histories, console_actions
        from reconciler.daemon.http import Guard, HttpServer, daemon_app, read_token

        def status() -> dict[str, object]:
            shown: dict[str, object] = pipeline.masker.value({**fleet.status(), "alerts": recent.newest_first()})
            return shown

        token = read_token(options.http.token_file) if options.http.token_file else None
        guard = Guard(token)
        histories = Histories(fleet.daemon_of)
        console = console_app(
            status,
            actions=console_actions(fleet.daemon_of, lambda: _ask_for_pass(gate, "console"), histories),
            authorize=guard.accepts if guard.configured else None,
            history=histories,
        )
        app = daemon_app(
            metrics,
            fleet.readiness,
            guard=guard,
            status_needs_token=options.http.status_needs_token,
            status=status,
            reconcile=lambda: _ask_for_pass(gate, "POST /reconcile"),
            console=console,
        )
        server = HttpServer(app, address=options.metrics_address, port=options.metrics_port, options=options.http)
        log.info(
            "serving metrics",
            port=server.port,
            paths=["/", "/metrics", "/healthz", "/readyz", "/status", "/reconcile"],
            reconcile="allowed with the token" if token else "off (no --http-token-file)",
        )
    operator = Operator(fleet, server, gate, delivering)
    operator.threads.append(threading.Thread(target=gate.run, args=(operator.stopping,), name="gate", daemon=True))
    operator.threads.append(threading.Thread(target=fleet.run, name="targets", daemon=True))
    if fleet.keeper is not None:
        operator.threads.append(fleet.keeper.thread)
    operator.threads.append(
        threading.Thread(
            target=watch_source,
            args=(path, options.watch),
            kwargs={"on_change": fleet.source_changed, "stop": operator.stopping},
            name="watch",
            daemon=True,
        )
    )
    log.info(
        "daemon started",
        path=path,
        mode=options.mode,
        resync_interval=options.resync_interval,
        lease_table=options.lease.table,
        sinks=[s.name for s in delivering],
    )
    fleet.refresh()
    for thread in operator.threads:
        thread.start()
    return operator


def _ask_for_pass(gate: PassGate, source: str) -> str:
    answer = gate.request()
    log.info("pass requested", source=source, answer=answer)
    return answer


def run(path: str, pipeline: Pipeline) -> int:
    """Run until SIGTERM or SIGINT; exit code 0 after a clean shutdown."""
    settings = pipeline.settings
    operator = start(path, pipeline)
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)  # no locks in a signal handler: the main thread polls this list

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        while True:
            while received and received[0] == signal.SIGHUP:  # SIGHUP asks for a pass now
                received.pop(0)
                _ask_for_pass(operator.gate, "SIGHUP")
            if received:
                break
            time.sleep(0.05)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    log.info("shutting down", signal=signal.Signals(received[0]).name)
    finished = operator.stop(grace=settings.daemon.shutdown_grace)
    log.info("stopped")
    if not finished:
        # A call stuck in a socket (an endpoint that never answers) would hold the interpreter's exit, which
        # joins worker threads: leave now, as the grace promises.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0
