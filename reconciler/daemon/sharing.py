"""The keeper of a replica's target leases: one thread that, every renew period, renews the leases this replica
holds, writes its heartbeat, reads the group's items and acts on ``reconciler.daemon.replicas.assign``: a target
taken gets its daemon, a lease lost stops it, a target above the share two rounds in a row is handed back (its daemon
stopped first, the action in flight finished, then the lease deleted so the next holder need not wait for it to
expire)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

import structlog

from reconciler.core.errors import AwsError
from reconciler.core.settings import LeaseSettings
from reconciler.core.targets import Target
from reconciler.daemon.lease import Lease, default_holder
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.replicas import Moves, Replicas, assign, key_of
from reconciler.pipeline import Pipeline


class Serving(Protocol):
    """A target's loop: which target it serves."""

    @property
    def target(self) -> Target: ...


class Unit(Protocol):
    """One target's loop as the keeper sees it (``reconciler.daemon.run.Unit``)."""

    @property
    def daemon(self) -> Serving: ...

    @property
    def lease(self) -> Lease | None: ...

    def stop(self, deadline: float, *, shut_down: bool = True, release_if_stuck: bool = True) -> bool: ...


class Fleet(Protocol):
    """The targets' loops as the keeper drives them (``reconciler.daemon.run.Fleet``)."""

    pipeline: Pipeline
    metrics: Metrics
    group: str
    wanted: dict[str, Target]
    stopping: threading.Event

    def held(self) -> Mapping[str, Unit]: ...

    def serve(self, target: Target, lease: Lease) -> None: ...

    def drop(self, name: str, *, hand_back: bool) -> None: ...


log = structlog.get_logger("reconciler.sharing")


class Keeper:
    """Takes, renews and hands back this replica's target leases."""

    def __init__(self, fleet: Fleet, settings: LeaseSettings, *, wall: Callable[[], float] = time.time) -> None:
        assert settings.table, "sharing targets needs a lease table"
        self.fleet = fleet
        self.settings = replace(settings, holder=settings.holder or default_holder())
        self.holder = self.settings.holder
        self.replicas = Replicas(fleet.pipeline.aws, settings.table, holder=self.holder, duration=settings.duration)
        self.wake = threading.Event()
        self.decided = False
        """A round read the table: this replica knows what it holds and why."""
        self.moves: Moves | None = None
        """The last round's decision (for /status)."""
        self.leaving: set[str] = set()
        """Targets (by name) being handed back: their daemons are stopping."""
        self._wall = wall
        self._above: set[str] = set()
        """Keys the last round found above this replica's share. A target is handed back only when two rounds in a
        row say so: a scan that missed another replica's newest take must not move a target twice."""
        self.thread = threading.Thread(target=self.run, name="leases", daemon=True)

    def key_of(self, target: Target) -> str:
        """A target's lease key (``reconciler.daemon.replicas.key_of``)."""
        return key_of(self.fleet.group, target.name)

    def run(self) -> None:
        """A round every renew period (sooner when the targets change) until the fleet stops."""
        while not self.fleet.stopping.is_set():
            self.wake.clear()
            try:
                self.round()
            except Exception:  # a bug: logged with its traceback; the leases are kept by the next round
                log.exception("lease round failed")
            self.wake.wait(self.settings.renew_period)

    def halt(self, timeout: float) -> None:
        """The fleet is stopping: let the round in progress end (a call in flight, at most ``timeout``)."""
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def round(self) -> None:
        """Renew first (a failed read must not cost a lease), then heartbeat, read and move."""
        units = self.fleet.held()
        for name, unit in units.items():
            if self.fleet.stopping.is_set():
                return
            if unit.lease is not None and not unit.lease.try_acquire():
                self.fleet.drop(name, hand_back=False)
        group, now = self.fleet.group, self._wall()
        wanted = {self.key_of(t): t for t in self.fleet.wanted.values()}
        try:
            self.replicas.heartbeat(group, now)
            view = self.replicas.read(group)
        except AwsError as exc:
            log.error("the lease table could not be read; holding on to what is held", error=str(exc))
            return
        units = self.fleet.held()
        held = {self.key_of(u.daemon.target): name for name, u in units.items()}
        leaving = {self.key_of(t) for n, t in self.fleet.wanted.items() if n in self.leaving}
        moves = assign(self.holder, wanted, view, held, now=now, leaving=leaving)
        self.moves, self.decided = moves, True
        for key in set(moves.give) & self._above:
            self.fleet.drop(held[key], hand_back=True)
        self._above = set(moves.give)
        for key in moves.take:
            self.take(wanted[key], key)
        self.fleet.metrics.targets_held.set(len(self.fleet.held()))
        self.fleet.metrics.replicas_live.set(len(moves.live))

    def take(self, target: Target, key: str) -> None:
        lease = Lease(self.fleet.pipeline.aws, replace(self.settings, name=key))
        if self.fleet.stopping.is_set() or not lease.try_acquire():
            return
        self.fleet.serve(target, lease)

    def leave(self) -> None:
        """On shutdown, after the daemons stopped and released their leases: the heartbeat goes too."""
        self.replicas.leave(self.fleet.group)

    def status(self) -> dict[str, object]:
        """The /status document's ``replica``: who this replica is, who is alive, its share, who holds what."""
        moves = self.moves
        return {
            "holder": self.holder,
            "group": self.fleet.group,
            "live_replicas": list(moves.live) if moves else [self.holder],
            "share": moves.share if moves else None,
            "holds": sorted(self.fleet.held()),
            "holders": self.holders(),
        }

    def holders(self) -> dict[str, str]:
        """Each served target's holder as the last round read it (this replica's own as they are now)."""
        moves = self.moves
        found = dict(moves.holders) if moves is not None else {}
        names = {self.key_of(t): n for n, t in self.fleet.wanted.items()}
        result = {names[k]: h for k, h in found.items() if k in names}
        for name in self.fleet.held():
            result[name] = self.holder
        return result


def stop_serving(unit: Unit, *, grace: float, shut_down: bool, done: Callable[[], None]) -> None:
    """Stop a target's daemon (the action in flight finishes), then delete its lease if still held; a daemon still
    in a call at the end of the grace keeps the lease until it expires (the fence refuses its writes from then)."""
    try:
        unit.stop(time.monotonic() + grace, shut_down=shut_down, release_if_stuck=False)
    finally:
        done()
