"""Replicas sharing targets through the lease table: who is alive, and which targets each should hold.

Every `run` process with the same lease table and group (the lease name, with the instance's name when it is not
the default) is a replica. Each renew period a replica writes its heartbeat (an item ``<group>/replicas/<holder>``
expiring one lease duration later; a conditional write on its own item), reads the group's items with one ``Scan``
(heartbeats and target leases), and ``assign`` decides, purely, what to take, keep and give back. The target leases
themselves are ``reconciler.daemon.lease.Lease`` items, one per target, taken and renewed with their own
conditional writes and fencing every write of their target.

The assignment is rendezvous hashing with bounded loads, sticky: each live replica may hold at most its share
(targets / live replicas; the first ``targets mod replicas`` of them by current load hold one more, the rest the
rounded-down share), keeps the targets it holds up to that share (those it ranks highest), gives back the rest, and
a free or expired target goes to the live replica that ranks it highest among those with room. Targets therefore
move only when they must: a replica that joins takes just enough to even the loads (from the replicas above their
new share), one that dies has only its own targets spread over the others, and every replica computing the same
answer from the same table keeps conditional writes from racing for one target. Liveness uses the replicas' wall
clocks, as the lease does (they must agree to well under a lease duration).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import AwsError
from reconciler.core.instance import DEFAULT as DEFAULT_INSTANCE
from reconciler.core.settings import LeaseSettings
from reconciler.core.targets import DEFAULT
from reconciler.daemon.lease import CONDITION_FAILED, delete_held

log = structlog.get_logger("reconciler.replicas")

REPLICAS = "replicas"
"""The heartbeat items' part of the key: ``<group>/replicas/<holder>`` (a target's name never has a slash)."""


@dataclass(frozen=True)
class Item:
    """A lease or heartbeat item as the table holds it."""

    holder: str
    expires: float
    epoch: int = 0


@dataclass(frozen=True)
class View:
    """The group's items, as one scan read them: heartbeats by replica, target leases by key."""

    replicas: dict[str, float] = field(default_factory=dict)
    leases: dict[str, Item] = field(default_factory=dict)


@dataclass(frozen=True)
class Moves:
    """What one replica does this round."""

    live: tuple[str, ...]
    """The live replicas, this one included, sorted."""
    share: int
    """How many targets this replica may hold."""
    keep: tuple[str, ...]
    """Held and kept: renewed."""
    give: tuple[str, ...]
    """Held above the share: handed back."""
    take: tuple[str, ...]
    """Free or expired, and this replica's to take."""
    holders: dict[str, str]
    """Every target's current holder as the table says (a live lease only)."""


def score(key: str, replica: str) -> int:
    """The rendezvous weight of a replica for a target: the highest weight wins."""
    return int.from_bytes(hashlib.blake2b(f"{key}\n{replica}".encode(), digest_size=8).digest(), "big")


def assign(
    me: str,
    keys: Collection[str],
    view: View,
    held: Collection[str],
    *,
    now: float,
    leaving: Collection[str] = (),
) -> Moves:
    """This replica's moves for the target lease ``keys`` it serves, given the table's ``view`` at wall time
    ``now``, the leases it holds and those it is giving back (``leaving``: neither taken nor counted as free)."""
    live = sorted({r for r, expires in view.replicas.items() if expires > now} | {me})
    holders = {k: i.holder for k, i in view.leases.items() if k in keys and i.expires > now}
    owned: dict[str, list[str]] = {r: [] for r in live}
    free: list[str] = []
    for key in sorted(keys):
        if key in leaving:
            continue
        holder = me if key in held else holders.get(key)
        if holder is None or (holder == me and key not in held):
            free.append(key)
        elif holder in owned:
            owned[holder].append(key)
        # else: held by a replica whose heartbeat lapsed; its lease expires soon and the target is free then
    caps = shares(len(keys), owned)
    load: dict[str, int] = {}
    mine: list[str] = []
    give: list[str] = []
    for replica, targets in owned.items():
        ranked = sorted(targets, key=lambda k, r=replica: score(k, r), reverse=True)  # type: ignore[misc]
        load[replica] = min(len(ranked), caps[replica])
        if replica == me:
            mine, give = ranked[: caps[me]], ranked[caps[me] :]
    take: list[str] = []
    for key in free:
        for replica in sorted(live, key=lambda r: score(key, r), reverse=True):
            if load[replica] < caps[replica]:
                load[replica] += 1
                if replica == me:
                    take.append(key)
                break
    return Moves(tuple(live), caps[me], tuple(sorted(mine)), tuple(sorted(give)), tuple(take), holders)


def shares(targets: int, owned: Mapping[str, list[str]]) -> dict[str, int]:
    """Each live replica's share: ``targets // replicas``, one more for the first ``targets % replicas`` replicas by
    current load (then name), so a replica already at the higher share stays there and loads differ by one at most."""
    base, extra = divmod(targets, len(owned))
    order = sorted(owned, key=lambda r: (-len(owned[r]), r))
    return {r: base + (1 if i < extra else 0) for i, r in enumerate(order)}


class Replicas:
    """This replica's heartbeat and its reads of the group's items."""

    def __init__(self, aws: Aws, table: str, *, holder: str, duration: float) -> None:
        self._aws, self._table, self.holder, self._duration = aws, table, holder, duration

    def heartbeat(self, group: str, now: float) -> None:
        """Write this replica's heartbeat (its own item only: a conditional write refusing another holder's)."""
        self._aws.call_unfenced(
            "dynamodb",
            "UpdateItem",
            self._table,
            TableName=self._table,
            Key={"name": {"S": f"{group}/{REPLICAS}/{self.holder}"}},
            UpdateExpression="SET #h = :me, #e = :exp",
            ConditionExpression="attribute_not_exists(#n) OR #h = :me",
            ExpressionAttributeNames={"#n": "name", "#h": "holder", "#e": "expires"},
            ExpressionAttributeValues={":me": {"S": self.holder}, ":exp": {"N": f"{now + self._duration:.3f}"}},
        )

    def read(self, group: str) -> View:
        """The group's heartbeats and target leases (one Scan, paged), whatever their expiry."""
        prefix = f"{group}/{REPLICAS}/"
        view = View()
        start: dict[str, Any] | None = None
        while True:
            params: dict[str, Any] = {
                "TableName": self._table,
                "FilterExpression": "begins_with(#n, :group)",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":group": {"S": group}},
            }
            if start:
                params["ExclusiveStartKey"] = start
            # A read, though not named like one: no target's lease may refuse it.
            page = self._aws.call_unfenced("dynamodb", "Scan", self._table, **params)
            for raw in page.get("Items", []):
                name, item = raw["name"]["S"], _item(raw)
                if name.startswith(prefix):
                    view.replicas[name[len(prefix) :]] = item.expires
                elif name == group or name.startswith(f"{group}/"):
                    view.leases[name] = item
            start = page.get("LastEvaluatedKey")
            if not start:
                return view

    def leave(self, group: str) -> None:
        """Delete this replica's heartbeat on the way out (one attempt), so the others rebalance at once."""
        try:
            delete_held(self._aws, self._table, f"{group}/{REPLICAS}/{self.holder}", self.holder)
        except AwsError as exc:
            if exc.code != CONDITION_FAILED:
                log.warning("heartbeat not removed; it will expire", table=self._table, error=str(exc))


def group_of(lease: str, instance: str) -> str:
    """The lease items' key prefix: the lease name, with the instance's name unless it is the default one."""
    return lease if instance == DEFAULT_INSTANCE else f"{lease}@{instance}"


def key_of(group: str, target: str | None) -> str:
    """A target's lease key: the group itself for the default target, else ``<group>/<target>``."""
    return group if target in (None, DEFAULT) else f"{group}/{target}"


def leases_of(aws: Aws, lease: LeaseSettings, instance: str, targets: list[str | None]) -> dict[str, Any]:
    """Who holds each target now, and which replicas are alive, as the table says (``status --lease-table``)."""
    assert lease.table
    group = group_of(lease.name, instance)
    view = Replicas(aws, lease.table, holder="", duration=0).read(group)
    now = time.time()
    held = {}
    for target in targets:
        item = view.leases.get(key_of(group, target))
        live = item is not None and item.expires > now
        held[target or DEFAULT] = {"holder": item.holder, "epoch": item.epoch} if live and item else None
    return {"replicas": sorted(r for r, expires in view.replicas.items() if expires > now), "targets": held}


def _item(raw: dict[str, Any]) -> Item:
    return Item(
        holder=raw.get("holder", {}).get("S", ""),
        expires=float(raw.get("expires", {}).get("N", "0")),
        epoch=int(raw.get("epoch", {}).get("N", "0")),
    )
