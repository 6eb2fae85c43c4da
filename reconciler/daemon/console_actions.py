"""What the web console does in a running daemon: its actions and the deployment history of its service pages.

Each action goes through the code its command uses, on the target's own pipeline (its AWS boundary, fenced by the
lease) and the manifests as the next pass reads them: ``reconcile`` asks the pass gate, as ``POST /reconcile`` does;
``continue`` and ``continue-rollback`` answer a paused deployment as `continue [--rollback]` does
(``answer_paused``); ``rollback`` returns one service to its previous task definition as `rollback` does
(``roll_back_now``: its plan, run by the executor). The console asks for the token before any of them runs.

History is read from AWS (``reconciler.deployments.history``: reads only, paced) at most once per ``FRESH_FOR``
seconds a service, however often its page refreshes, and again at once after an action on that service.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from reconciler.commands.continue_deployment import answer_paused
from reconciler.commands.rollback import roll_back_now
from reconciler.console.app import Action
from reconciler.core.errors import ReconcilerError
from reconciler.core.model import Address
from reconciler.daemon.loop import Daemon
from reconciler.deployments.history import as_json, service_history
from reconciler.kinds.service import KIND as SERVICE
from reconciler.pipeline import narrowed

log = structlog.get_logger("reconciler.console")

DaemonOf = Callable[[str], Daemon | None]
"""The daemon serving a target, by the target's name (None: no such target served)."""
FRESH_FOR = 10.0
"""Seconds a service's history read is shown again before it is read anew."""


class Histories:
    """Each service's deployment history for its console page, read at most once per ``fresh_for`` seconds."""

    def __init__(
        self, daemon_of: DaemonOf, *, fresh_for: float = FRESH_FOR, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._daemon_of, self._fresh_for, self._clock = daemon_of, fresh_for, clock
        self._read: dict[tuple[str, str, str], tuple[float, list[Mapping[str, Any]]]] = {}
        self._lock = threading.Lock()

    def __call__(self, target: str, cluster: str, name: str) -> list[Mapping[str, Any]] | None:
        """The service's deployments, oldest first (None: it could not be read now; the page says so)."""
        key = (target, cluster, name)
        with self._lock:
            kept = self._read.get(key)
        if kept is not None and self._clock() - kept[0] < self._fresh_for:
            return kept[1]
        daemon = self._daemon_of(target)
        if daemon is None:
            return None
        now = datetime.datetime.now(datetime.UTC)
        try:
            found = service_history(daemon.pipeline.aws, Address(SERVICE.name, name, cluster), now=now)
        except ReconcilerError as exc:
            log.warning("deployment history not read", service=f"{cluster}/{name}", target=target, error=str(exc))
            return None
        entries: list[Mapping[str, Any]] = [as_json(e) for e in found]
        with self._lock:
            self._read[key] = (self._clock(), entries)
        return entries

    def forget(self, target: str, service: str) -> None:
        """Read this service's history anew on its next page (``service``: ``Service/CLUSTER/NAME``)."""
        _, cluster, name = (service.split("/", 2) + ["", ""])[:3]
        with self._lock:
            self._read.pop((target, cluster, name), None)


def console_actions(daemon_of: DaemonOf, ask_for_pass: Callable[[], str], histories: Histories) -> dict[str, Action]:
    """The console's actions by name (``reconciler.console.views.ACTIONS`` says what each does)."""

    def serving(fields: Mapping[str, str]) -> tuple[Daemon, str]:
        target, service = fields.get("target", ""), fields.get("service", "")
        daemon = daemon_of(target)
        if daemon is None:
            raise ReconcilerError(f"no target {target!r} is served by this daemon")
        if not service:
            raise ReconcilerError("the form names no service")
        histories.forget(target, service)
        return daemon, service

    def reconcile(fields: Mapping[str, str]) -> tuple[bool, str]:
        return True, f"pass {ask_for_pass()}"

    def answering(rollback: bool) -> Action:
        def answer(fields: Mapping[str, str]) -> tuple[bool, str]:
            daemon, service = serving(fields)
            answered = answer_paused(daemon.pipeline, daemon.manifests(), service, rollback=rollback)
            if answered is None:
                return False, f"{service}: no such Service in the manifests"
            log.info("console action", action="continue", rollback=rollback, service=service, done=answered.ok)
            return answered.ok, answered.message

        return answer

    def rollback(fields: Mapping[str, str]) -> tuple[bool, str]:
        daemon, service = serving(fields)
        pipeline = daemon.pipeline
        loaded = narrowed(daemon.manifests(), [service], pipeline.kinds, region=pipeline.aws.region)
        done, lines = roll_back_now(pipeline, loaded)
        log.info("console action", action="rollback", service=service, done=done)
        return done, "; ".join(lines) or f"{service}: nothing to roll back"

    return {
        "reconcile": reconcile,
        "continue": answering(False),
        "continue-rollback": answering(True),
        "rollback": rollback,
    }
