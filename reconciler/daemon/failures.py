"""Each resource's last failed change, so that a failure is told once and tried again by its class
(``core.errors.classify``) instead of on every pass.

A failure is remembered with the fingerprint of what was asked (``core.actions.fingerprint``: the resource as
declared and the live side of the field changes). While a pass plans the same request for the resource, it is held (not
sent) until its retry is due: retryable failures back off exponentially, terminal ones (and bugs in an action) wait
``RetryResourceSettings.terminal``. A pass that plans something else for it (its manifest or its live state changed)
sends it at once; one that plans nothing for it, or a success, forgets the failure.

The memory is the process's own. A restarted daemon tries each still-failing resource once more and, when AWS
refuses it again, sends one more ``apply_failed`` alert for it: the request is a read of what is wrong, the alert a
reminder, and keeping this in AWS instead would need a write for a resource that may not exist (a create AWS
refused has nothing to tag).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.core.actions import Action, fingerprint
from reconciler.core.errors import AwsError, ErrorClass, classify
from reconciler.core.model import Address, Resource
from reconciler.core.settings import RetryResourceSettings
from reconciler.daemon.alerts import Alert
from reconciler.executor import Outcome


@dataclass(frozen=True)
class Failure:
    """One resource's last failed change."""

    address: Address
    fingerprint: str
    """Of the actions planned at the address when it failed."""
    action: str
    """The verb that failed."""
    error: str
    code: str | None
    """AWS's error code, when AWS answered."""
    kind: ErrorClass
    attempts: int
    """Failures in a row of this same request."""
    retry_at: float
    """Monotonic time from which the same request is sent again."""
    at: str
    """When it last failed (UTC, ISO 8601)."""
    revision: str | None

    def as_dict(self, now: float) -> dict[str, object]:
        """As /status shows it."""
        return {
            "at": self.at,
            "revision": self.revision,
            "action": self.action,
            "error": self.error,
            "code": self.code,
            "class": self.kind,
            "attempts": self.attempts,
            "retry_in": max(0.0, round(self.retry_at - now, 1)),
        }


def fingerprints(actions: Iterable[Action], declared: Mapping[Address, Resource]) -> dict[Address, str]:
    """One fingerprint per address, of every action planned there (a pre-rollout task and the update it guards);
    ``declared``: the resources as the manifests declare them."""
    parts: dict[Address, list[str]] = {}
    for action in actions:
        parts.setdefault(action.address, []).append(fingerprint(action, declared.get(action.address)))
    return {address: "+".join(found) for address, found in parts.items()}


class Failures:
    """The failing resources of one daemon."""

    def __init__(self, settings: RetryResourceSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.open: dict[Address, Failure] = {}

    def hold(self, actions: Sequence[Action], declared: Mapping[Address, Resource]) -> dict[Address, str]:
        """The addresses whose planned request is the one that failed and whose retry is not due yet, with why."""
        now = self.clock()
        held: dict[Address, str] = {}
        for address, found in fingerprints(actions, declared).items():
            failure = self.open.get(address)
            if failure is not None and failure.fingerprint == found and now < failure.retry_at:
                held[address] = (
                    f"failed {failure.attempts}x ({failure.code or failure.kind}); the same change is tried again "
                    f"in {failure.retry_at - now:.0f}s, or at once when its manifest or live state changes"
                )
        return held

    def record(
        self,
        actions: Sequence[Action],
        declared: Mapping[Address, Resource],
        outcomes: Sequence[Outcome],
        *,
        revision: str | None,
    ) -> list[Failure]:
        """A pass's outcomes: successes forget, failures are remembered. Returns the failures that are new (a
        resource not failing before, failing on another request, or failing in another class), the ones to tell
        about."""
        prints = fingerprints(actions, declared)
        now = self.clock()
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        new: list[Failure] = []
        failed = {o.address: o for o in outcomes if o.status == "failed"}
        for outcome in outcomes:
            if outcome.status == "done" and outcome.address not in failed:
                self.open.pop(outcome.address, None)
        for address, outcome in failed.items():
            before = self.open.get(address)
            request = prints.get(address, "")
            same = before is not None and before.fingerprint == request
            attempts = before.attempts + 1 if same and before is not None else 1
            kind = classify(outcome.error) if outcome.error is not None else "bug"
            failure = Failure(
                address,
                request,
                outcome.action.verb,
                outcome.message,
                outcome.error.code if isinstance(outcome.error, AwsError) else None,
                kind,
                attempts,
                now + self._delay(kind, attempts),
                stamp,
                revision,
            )
            self.open[address] = failure
            if not same or before is None or before.kind != kind:
                new.append(failure)
        return new

    def settle(self, planned: Iterable[Address]) -> None:
        """After a full pass: forget the resources it planned nothing for (in line now, or no longer declared)."""
        keep = set(planned)
        self.open = {a: f for a, f in self.open.items() if a in keep}

    def next_due(self, *, after: float = float("-inf")) -> float | None:
        """Seconds until the first retry due later than ``after`` (monotonic) is due (None: nothing waits)."""
        due = [f.retry_at for f in self.open.values() if f.retry_at > after]
        return max(0.0, min(due) - self.clock()) if due else None

    def _delay(self, kind: ErrorClass, attempts: int) -> float:
        if kind == "retryable":
            return float(min(self.settings.max, self.settings.initial * 2 ** (attempts - 1)))
        return self.settings.terminal


def failure_alert(failure: Failure, *, terminal_wait: float) -> Alert | None:
    """What a new failure tells: a terminal one an ``apply_failed`` alert, a bug an ``error`` one; a retryable one
    none (it is logged and backed off)."""
    what = f"{failure.action} {failure.address} failed"
    if failure.kind == "retryable":
        return None
    if failure.kind == "bug":
        summary = f"{what} on an unexpected error (a bug); not retried until its manifest or live state changes"
        return Alert("error", summary, failure.revision, resource=str(failure.address), errors=(failure.error,))
    answer = f"AWS answered {failure.code}" if failure.code else "refused"
    summary = (
        f"{what}: {answer}; not sent again until its manifest or live state changes (or in {terminal_wait:g}s); "
        "the other resources are applied"
    )
    return Alert(
        "apply_failed",
        summary,
        failure.revision,
        resource=str(failure.address),
        action=failure.action,
        errors=(failure.error,),
        code=failure.code,
    )


def error_key(exc: BaseException) -> str:
    """A whole pass's error as it is alerted once: its type, message and the line that raised it."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame is not None else ""
    return f"{type(exc).__name__}: {exc} at {where}"
