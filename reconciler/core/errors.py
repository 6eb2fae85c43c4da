"""The exceptions ecs-reconciler raises, each carrying where it happened.

    ReconcilerError                 base of everything the tool raises on purpose
    ├── ManifestError               one problem in one manifest: file, line, field path, message
    ├── InvalidManifests            a load/validate pass found ManifestErrors (all of them, in .errors)
    ├── UsageError                  a bad command-line value (--var without "=", an unknown --severity rule)
    ├── PlanError                   the plan cannot be made safely (e.g. a replace without --allow-replace,
    │                               a prune beyond the deletion guard, a reference that is not live)
    └── AwsError                    an AWS call failed: operation, resource, error code, message
        └── RetryableAwsError       throttling, 5xx or a connection error: worth another try later

botocore exceptions are translated once, in ``reconciler.aws``; nothing else catches them.
"""

from __future__ import annotations


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


class UsageError(ReconcilerError):
    """A command-line value the tool cannot use."""


class PlanError(ReconcilerError):
    """The plan cannot be made or applied safely."""


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
