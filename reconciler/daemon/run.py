"""Wiring for the `run` command: the loop, the watcher, the lease renewer and the metrics server, each in its
thread, and signal handling: SIGTERM/SIGINT finish the action in flight, release the lease and exit 0; SIGHUP asks
for a pass now (as ``POST /reconcile`` on the metrics port does).

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
from dataclasses import dataclass, field
from types import FrameType

import structlog

from reconciler.aws import Aws
from reconciler.core.settings import Settings
from reconciler.daemon.alerts import Alerter, Sink, SnsSink, WebhookSink
from reconciler.daemon.lease import Lease
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics, MetricsServer
from reconciler.daemon.watch import watch_source
from reconciler.pipeline import Pipeline

log = structlog.get_logger("reconciler.run")

RELEASE_RESERVE = 2.0
"""Seconds of the shutdown grace kept for releasing the lease (at most a quarter of the grace)."""


def sinks_for(aws: Aws, settings: Settings) -> list[Sink]:
    options = settings.daemon
    sinks: list[Sink] = []
    if options.alert_sns_topic:
        sinks.append(SnsSink(aws, options.alert_sns_topic))
    if options.alert_webhook:
        sinks.append(WebhookSink(options.alert_webhook, timeout=options.webhook_timeout))
    return sinks


@dataclass
class Operator:
    """A started daemon and its helper threads."""

    daemon: Daemon
    server: MetricsServer | None
    threads: list[threading.Thread] = field(default_factory=list)
    watch_stop: threading.Event = field(default_factory=threading.Event)

    def stop(self, *, grace: float) -> bool:
        """Stop everything within ``grace`` seconds; True when the loop finished in time."""
        deadline = time.monotonic() + grace
        reserve = min(RELEASE_RESERVE, grace / 4) if self.daemon.lease is not None else 0.0
        self.daemon.stop()
        self.watch_stop.set()
        self.daemon.stages.aws.shut_down()  # no more retries, no retry waits: the pass ends at its current call
        loop = self.threads[0]
        loop.join(max(0.0, deadline - reserve - time.monotonic()))
        finished = not loop.is_alive()
        if not finished:
            log.warning("a pass was still running at the shutdown deadline; the next start heals it")
        lease = self.daemon.lease
        if lease is not None:
            for thread in self.threads[1:]:
                thread.join(max(0.0, min(1.0, deadline - reserve - time.monotonic())))
            releasing = threading.Thread(target=lease.release, name="release", daemon=True)
            releasing.start()
            releasing.join(max(0.0, deadline - time.monotonic()))  # unanswered: the lease expires by itself
            self.daemon.metrics.leader.set(0)
        if self.server is not None:
            self.server.stop()
        return finished


def start(path: str, stages: Pipeline, *, sinks: list[Sink] | None = None) -> Operator:
    """Start the loop and its helpers in threads; returns at once."""
    aws, settings = stages.aws, stages.settings
    options = settings.daemon
    metrics = Metrics()
    aws.listeners.append(metrics.observe_call)
    lease = Lease(aws, options.lease) if options.lease.table else None
    if lease is not None:
        aws.fence = lease  # every write checks, before it is sent, that the lease is still safely held
    daemon = Daemon(
        path,
        stages,
        alerter=Alerter(sinks if sinks is not None else sinks_for(aws, settings)),
        metrics=metrics,
        lease=lease,
    )
    server = None
    if options.metrics_port is not None:
        server = MetricsServer(
            metrics,
            daemon.readiness,
            address=options.metrics_address,
            port=options.metrics_port,
            status=daemon.status,
            reconcile=lambda: _ask_for_pass(daemon, "POST /reconcile"),
        )
        log.info(
            "serving metrics", port=server.port, paths=["/metrics", "/healthz", "/readyz", "/status", "/reconcile"]
        )
    operator = Operator(daemon, server)
    operator.threads.append(threading.Thread(target=daemon.run, name="loop", daemon=True))
    operator.threads.append(
        threading.Thread(
            target=watch_source,
            args=(path, options.watch),
            kwargs={"on_change": daemon.source_changed, "stop": operator.watch_stop},
            name="watch",
            daemon=True,
        )
    )
    if lease is not None:
        operator.threads.append(threading.Thread(target=_keep_lease, args=(daemon, lease), name="lease", daemon=True))
    log.info(
        "daemon started",
        path=path,
        mode=options.mode,
        resync_interval=options.resync_interval,
        lease_table=options.lease.table,
        sinks=[s.name for s in daemon.alerter.sinks],
    )
    for thread in operator.threads:
        thread.start()
    return operator


def _ask_for_pass(daemon: Daemon, source: str) -> None:
    log.info("pass requested", source=source)
    daemon.request_pass()


def _keep_lease(daemon: Daemon, lease: Lease) -> None:
    """Take or renew the lease every renew period; a new leader asks for a pass at once."""
    leading = False
    while not daemon.stopping.is_set():
        now_leading = lease.try_acquire()
        daemon.metrics.leader.set(1 if now_leading else 0)
        if now_leading != leading:
            log.info("leader" if now_leading else "follower", holder=lease.holder)
            if now_leading:
                daemon.request_pass()
            leading = now_leading
        daemon.stopping.wait(lease.renew_period)


def run(path: str, stages: Pipeline) -> int:
    """Run until SIGTERM or SIGINT; exit code 0 after a clean shutdown."""
    settings = stages.settings
    operator = start(path, stages)
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)  # no locks in a signal handler: the main thread polls this list

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        while True:
            while received and received[0] == signal.SIGHUP:  # SIGHUP asks for a pass now
                received.pop(0)
                _ask_for_pass(operator.daemon, "SIGHUP")
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
