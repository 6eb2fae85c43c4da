"""Leader election through a DynamoDB lease: one item per lease name, taken and renewed with conditional writes.

The item holds the holder's identity and the wall-clock time the lease expires. A replica takes the lease when
it is absent, expired, or already its own; it believes it leads only until ``duration`` after it sent its last
successful write (measured on its own monotonic clock, so a slow answer shortens leadership, never extends it).
Replicas' wall clocks are assumed to agree to well under a lease duration (NTP).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import AwsError
from reconciler.core.settings import LeaseSettings

log = structlog.get_logger("reconciler.lease")

CONDITION_FAILED = "ConditionalCheckFailedException"


def default_holder() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


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
        self.decided = False
        """At least one attempt got an answer (we lead, or someone else does)."""

    def is_leader(self) -> bool:
        return self._valid_until is not None and self._monotonic() < self._valid_until

    def try_acquire(self) -> bool:
        """Take or renew the lease; True while this replica leads."""
        sent = self._monotonic()
        now = self._wall()
        try:
            self._aws.call(
                "dynamodb",
                "PutItem",
                self._table,
                TableName=self._table,
                Item={
                    "name": {"S": self._settings.name},
                    "holder": {"S": self.holder},
                    "expires": {"N": f"{now + self._settings.duration:.3f}"},
                },
                ConditionExpression="attribute_not_exists(#n) OR #h = :me OR #e < :now",
                ExpressionAttributeNames={"#n": "name", "#h": "holder", "#e": "expires"},
                ExpressionAttributeValues={":me": {"S": self.holder}, ":now": {"N": f"{now:.3f}"}},
            )
        except AwsError as exc:
            if exc.code == CONDITION_FAILED:
                self.decided = True
                self._valid_until = None
            else:
                log.error("lease call failed", table=self._table, error=str(exc))
            return self.is_leader()
        self.decided = True
        self._valid_until = sent + self._settings.duration
        return True

    def release(self) -> None:
        """Give the lease up at once (on shutdown), so a follower need not wait for it to expire."""
        if self._valid_until is None:
            return
        self._valid_until = None
        try:
            self._aws.call(
                "dynamodb",
                "DeleteItem",
                self._table,
                TableName=self._table,
                Key={"name": {"S": self._settings.name}},
                ConditionExpression="#h = :me",
                ExpressionAttributeNames={"#h": "holder"},
                ExpressionAttributeValues={":me": {"S": self.holder}},
            )
        except AwsError as exc:
            log.warning("lease not released; it will expire", table=self._table, error=str(exc))
