"""The exceptions ecs-reconciler raises, each carrying where it happened.

    ReconcilerError                 base of everything the tool raises on purpose
    ├── ManifestError               one problem in one manifest: file, line, field path, message
    ├── InvalidManifests            a load/validate pass found ManifestErrors (all of them, in .errors)
    ├── FileVanished                a manifest file disappeared between listing and reading (read the tree again)
    ├── SourceMissing               the daemon's manifests folder is missing or kept changing (keep the last state)
    ├── UsageError                  a bad command-line value (--var without "=", an unknown --severity rule)
    ├── PlanError                   the plan cannot be made safely (e.g. a replace without --allow-replace,
    │   │                           a prune beyond the deletion guard, a reference that is not live)
    │   ├── SecurityRefused         findings at severity error stand: nothing is written
    │   ├── WrongTarget             the credentials or region are not the ones the settings allow
    │   └── HookFailed              a pre-rollout task did not exit 0: its service stays on its revision
    ├── NotDelivered                an alert sink's attempt failed (a webhook's 5xx, a timeout): tried again
    │   └── DeliveryRefused         never worth another try: a refused address, a redirect, a 4xx answer
    └── AwsError                    an AWS call failed: operation, resource, error code, message
        └── RetryableAwsError       throttling, 5xx, a connection error or a documented transient code: worth
                                    another try later

The errors of AWS calls are botocore's, translated once, in ``reconciler.aws`` (``raise ... from exc``); the only
other botocore errors caught are the model loader's (an unknown service or operation, in ``core/schema.py``).

``classify`` sorts any exception into the three classes the daemon treats differently: ``retryable`` (backed off
per resource), ``terminal`` (AWS refused the request, a hook failed: waits for a change) and ``bug`` (anything the
tool did not raise on purpose: logged with its traceback and alerted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

ErrorClass = Literal["retryable", "terminal", "bug"]


class ReconcilerError(Exception):
    """Base class for every error the tool raises on purpose."""


class ManifestError(ReconcilerError):
    """One problem in one manifest document."""

    def __init__(self, file: str, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InvalidManifests(ReconcilerError):
    """The manifest set is invalid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[ManifestError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class FileVanished(ReconcilerError):
    """A file disappeared between listing and reading: the caller resolves the root again and retries."""

    def __init__(self, file: str) -> None:
        self.file = file
        super().__init__(f"{file}: disappeared while the manifest tree was being read")


class SourceMissing(ReconcilerError):
    """The link or directory does not exist (yet), or kept changing while read: keep the last state."""


class UsageError(ReconcilerError):
    """A command-line value the tool cannot use."""


class PlanError(ReconcilerError):
    """The plan cannot be made or applied safely."""


class SecurityRefused(PlanError):
    """Findings at severity error stand: nothing is written."""

    def __init__(self, findings: Sequence[object]) -> None:
        self.findings = list(findings)
        """The findings (``reconciler.core.security.Finding``), each read as its text."""
        count = len(self.findings)
        super().__init__(
            f"{count} security finding{'s' if count != 1 else ''} at severity error: apply refused, nothing was "
            "changed (fix them, suppress them with a reason, or lower --severity)"
        )


class WrongTarget(PlanError):
    """The credentials reach an account, or the session a region, that the settings do not allow: nothing is read
    or written there."""


class HookFailed(PlanError):
    """The pre-rollout task did not exit 0: the service stays on its current revision."""


class NotDelivered(ReconcilerError):
    """One attempt to deliver an alert failed; another attempt may succeed."""


class DeliveryRefused(NotDelivered):
    """An alert that must not be sent there again: the address is refused, or the answer was a redirect or a 4xx."""


class AwsError(ReconcilerError):
    """An AWS call failed."""

    def __init__(self, operation: str, resource: str, code: str, message: str) -> None:
        self.operation = operation
        self.resource = resource
        self.code = code
        self.message = message
        super().__init__(f"{operation} {resource}: {code}: {message}")


class RetryableAwsError(AwsError):
    """An AWS call failed in a way that may pass on another try (throttling, 5xx, connection)."""


def classify(exc: BaseException) -> ErrorClass:
    """How a failure is treated: ``retryable`` (worth another try soon), ``terminal`` (the same request fails again
    until something changes) or ``bug`` (not an error the tool raises on purpose)."""
    if isinstance(exc, RetryableAwsError):
        return "retryable"
    if isinstance(exc, ReconcilerError):
        return "terminal"
    return "bug"
