"""Settings as one tree of dataclasses, passed explicitly: no globals, no literals scattered in code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MANAGED_TAG_KEY = "ecs-reconciler/managed-by"
"""Tag key that marks a resource as created and owned by ecs-reconciler."""
MANAGED_TAG_VALUE = "ecs-reconciler"
"""Value of the managed-by tag."""
KEEP_REVISIONS_ANNOTATION = "ecs-reconciler/keep-revisions"
"""TaskDefinition annotation overriding how many ACTIVE revisions of the family are kept."""


@dataclass(frozen=True)
class RetrySettings:
    """How AWS calls are retried (tenacity); botocore's own retries are switched off so the two never multiply."""

    attempts: int = 6
    """Tries per call, the first one included."""
    initial_delay: float = 0.2
    """Seconds before the first retry; doubles each time, with jitter."""
    max_delay: float = 10.0
    """Upper bound of one wait, in seconds."""
    connect_timeout: float = 5.0
    """Seconds to open a connection to an AWS endpoint."""
    read_timeout: float = 30.0
    """Seconds to wait for an answer."""


@dataclass(frozen=True)
class ReadSettings:
    """How live state is read."""

    concurrency: int = 8
    """Read calls in flight at once."""


@dataclass(frozen=True)
class ApplySettings:
    """Safety limits and housekeeping for plan and apply."""

    prune: bool = False
    """Delete managed resources that are no longer in the manifests."""
    adopt: bool = False
    """Take ownership of same-named resources that exist without the managed-by tag."""
    allow_replace: bool = False
    """Allow changes that AWS can only make by deleting and re-creating a service."""
    max_deletions: int = 10
    """A prune that would delete more resources than this is refused."""
    keep_revisions: int = 5
    """ACTIVE revisions kept per managed task definition family; older unused ones are deregistered."""
    drain_timeout: float = 600.0
    """Seconds to wait for a deleted service to become INACTIVE before re-creating it (replace)."""
    wait: bool = True
    """After apply, wait until every changed service's PRIMARY deployment has rolled out."""
    wait_timeout: float = 600.0
    """Seconds to wait for rollouts before the apply fails."""
    wait_poll: float = 5.0
    """Longest pause between two rollout checks, in seconds (the first checks come sooner)."""


@dataclass(frozen=True)
class SecuritySettings:
    """How security findings are weighed."""

    severities: Mapping[str, str] = field(default_factory=dict)
    """Rule id to severity (error, warning, notice, off), overriding the rule's default (``--severity``)."""


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know that is not in the manifests."""

    region: str | None = None
    """AWS region; None means the standard chain (AWS_REGION, AWS_DEFAULT_REGION, profile)."""
    endpoint_url: str | None = None
    """AWS endpoint override (the embedded emulator, or AWS_ENDPOINT_URL, which boto3 honours by itself)."""
    embedded: bool = False
    """Talking to the embedded emulator: fixed dummy credentials and us-east-1 unless a region is given."""
    retry: RetrySettings = field(default_factory=RetrySettings)
    """Retry rules for AWS calls."""
    read: ReadSettings = field(default_factory=ReadSettings)
    """Read concurrency."""
    apply: ApplySettings = field(default_factory=ApplySettings)
    """Plan and apply options."""
    security: SecuritySettings = field(default_factory=SecuritySettings)
    """Security rule severities."""
