"""A DynamoDB lease: one item per lease name (one per target, ``reconciler.daemon.replicas`` decides which this
replica holds), taken and renewed with conditional writes.

The item holds the holder's identity and the wall-clock time the lease expires. A replica takes the lease when
it is absent, expired, or already its own; it believes it leads only until ``duration`` after it sent its last
successful write (measured on its own monotonic clock, so a slow answer shortens leadership, never extends it).
Replicas' wall clocks are assumed to agree to well under a lease duration (NTP).

Fencing: the lease is also the ``Fence`` of the AWS boundary. Before every write (every attempt of it) the leader
checks on its monotonic clock that it is still within the first ``1 - fence_margin`` of its lease; past that it
writes nothing more, so a leader paused (SIGSTOP, a long GC, a frozen VM) past its lease cannot go on applying a
stale plan once it resumes. The item also holds ``epoch``, a counter raised by one at every takeover (never on a
renewal): the fencing token every pass tags its changes with (``ecs-reconciler/lease-epoch``).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import AwsError
from reconciler.core.settings import LeaseSettings

log = structlog.get_logger("reconciler.lease")

CONDITION_FAILED = "ConditionalCheckFailedException"


def default_holder() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def delete_held(aws: Aws, table: str, key: str, holder: str) -> None:
    """Delete the item ``key`` while ``holder`` holds it (one attempt; ConditionalCheckFailedException when another
    holds it now)."""
    aws.call_unfenced(
        "dynamodb",
        "DeleteItem",
        table,
        TableName=table,
        Key={"name": {"S": key}},
        ConditionExpression="#h = :me",
        ExpressionAttributeNames={"#h": "holder"},
        ExpressionAttributeValues={":me": {"S": holder}},
        once=True,
    )


class Lease:
    def __init__(
        self,
        aws: Aws,
        settings: LeaseSettings,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        assert settings.table, "a lease needs a table"
        self._aws = aws
        self._table = settings.table
        self._settings = settings
        self.holder = settings.holder or default_holder()
        self.renew_period = settings.renew_period
        self._wall = wall
        self._monotonic = monotonic
        self._valid_until: float | None = None
        self._write_until: float | None = None
        self.epoch: int | None = None
        """The lease's counter as of the last take-over or renewal by this replica (None while following)."""
        self.decided = False
        """At least one attempt got an answer (we lead, or someone else does)."""
        self._closed = False

    def is_leader(self) -> bool:
        return self._valid_until is not None and self._monotonic() < self._valid_until

    # ------------------------------------------------------------------ the AWS boundary's Fence

    @property
    def token(self) -> int | None:
        return self.epoch

    def check(self, service: str, operation: str, resource: str) -> None:
        """Refuse a write unless the lease is safely held: taken or renewed, by the monotonic clock, less than
        ``(1 - fence_margin) x duration`` ago."""
        until = self._write_until
        if until is None or self._monotonic() >= until:
            raise AwsError(
                operation,
                resource,
                "LeaseLost",
                f"not sent: this replica no longer safely holds the lease {self._settings.name!r} (epoch {self.epoch})",
            )

    # ------------------------------------------------------------------ taking and renewing

    def try_acquire(self) -> bool:
        """Take or renew the lease; True while this replica leads. A lease released or abandoned is never taken
        again (a new ``Lease`` is)."""
        if self._closed:
            return False
        sent = self._monotonic()
        now = self._wall()
        renewing = self.epoch is not None and self.is_leader()
        try:
            answer = self._aws.call_unfenced("dynamodb", "UpdateItem", self._table, **self._request(now, renewing))
        except AwsError as exc:
            if exc.code == CONDITION_FAILED:
                self.decided = True
                self._lose()
            else:
                log.error("lease call failed", table=self._table, error=str(exc))
            return self.is_leader()
        self.decided = True
        epoch = int(answer.get("Attributes", {}).get("epoch", {}).get("N", "0"))
        if epoch != self.epoch:
            log.info("lease taken", holder=self.holder, epoch=epoch)
        self.epoch = epoch
        duration = self._settings.duration
        self._valid_until = sent + duration
        self._write_until = sent + duration * (1 - self._settings.fence_margin)
        return True

    def _request(self, now: float, renewing: bool) -> dict[str, Any]:
        """A renewal extends our own lease of the same epoch; a take-over (absent, expired, or ours from an earlier
        epoch) raises the epoch by one, atomically, in the same conditional write."""
        names = {"#h": "holder", "#e": "expires", "#ep": "epoch"}  # DynamoDB refuses a name the request leaves unused
        values: dict[str, dict[str, str]] = {
            ":me": {"S": self.holder},
            ":exp": {"N": f"{now + self._settings.duration:.3f}"},
        }
        if renewing:
            values[":epoch"] = {"N": str(self.epoch)}
            update, condition = "SET #e = :exp", "#h = :me AND #ep = :epoch"
        else:
            values[":now"] = {"N": f"{now:.3f}"}
            values[":one"] = {"N": "1"}
            names["#n"] = "name"
            update = "SET #h = :me, #e = :exp ADD #ep :one"
            condition = "attribute_not_exists(#n) OR #h = :me OR #e < :now"
        return {
            "TableName": self._table,
            "Key": {"name": {"S": self._settings.name}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }

    def _lose(self) -> None:
        self._valid_until = None
        self._write_until = None
        self.epoch = None

    def abandon(self) -> None:
        """Stop writing and renewing at once, leaving the item to expire by itself."""
        self._closed = True
        self._lose()

    def release(self) -> None:
        """Give the lease up at once (on shutdown, or handing a target back), so another replica need not wait for
        it to expire."""
        self._closed = True
        if self._valid_until is None:
            return
        self._lose()
        try:
            delete_held(self._aws, self._table, self._settings.name, self.holder)
        except AwsError as exc:
            log.warning("lease not released; it will expire", table=self._table, error=str(exc))
