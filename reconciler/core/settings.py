"""Settings as one tree of dataclasses, passed explicitly: no globals, no literals scattered in code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MANAGED_TAG_KEY = "ecs-reconciler/managed-by"
"""Tag key that marks a resource as created and owned by ecs-reconciler."""
MANAGED_TAG_VALUE = "ecs-reconciler"
"""Value of the managed-by tag written by versions before instances, and the default instance (core/instance.py)."""


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
    keep_for: float = 900.0
    """Seconds the daemon keeps a task definition revision's description between passes (revisions are immutable;
    only their tags can change, and those are read again after this long)."""


@dataclass(frozen=True)
class PaceSettings:
    """Client-side pacing within AWS's documented request buckets (reconciler/pacing.py holds the table)."""

    enabled: bool | None = None
    """Pace calls through the buckets; None: on, except against the embedded emulator (which meters nothing)."""
    share: float = 1.0
    """Fraction of each documented bucket this tool may use (0.5 leaves half to CI, the console, other tools)."""
    recovery: float = 10.0
    """Seconds a bucket takes to climb back to its full rate after AWS throttled a call."""
    throttle_patience: float = 120.0
    """Seconds one call keeps retrying throttling answers (which spend no retry attempt) before it fails."""
    progress_after: float = 3.0
    """A plan that reads for longer than this many seconds shows its progress on stderr, a line every 5 seconds."""


@dataclass(frozen=True)
class ApplySettings:
    """Safety limits and housekeeping for plan and apply."""

    instance: str = MANAGED_TAG_VALUE
    """This instance's name, the managed-by tag's value: only resources carrying it are changed or pruned (the
    pipeline fills it in from the manifests' Instance document or ``--instance``, see core/instance.py)."""
    former_owners: frozenset[str] = frozenset()
    """Managed-by values a declared resource is taken over from by a tag update, and never pruned for."""
    prune: bool = False
    """Delete managed resources that are no longer in the manifests."""
    adopt: bool = False
    """Take ownership of same-named resources that exist without the managed-by tag."""
    allow_replace: bool = False
    """Allow changes that AWS can only make by deleting and re-creating a service."""
    max_deletions: int = 10
    """A prune that would delete more resources than this is refused."""
    concurrency: int = 8
    """Writes in flight at once (independent resources only; 1 applies one action at a time, in plan order)."""
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
class WatchSettings:
    """How the manifest source is watched (watchfiles) and polled."""

    step_ms: int = 20
    """watchfiles' polling step of its Rust notifier, in milliseconds."""
    link_debounce_ms: int = 50
    """Debounce for git-sync's link: one rename is one event, so this only needs to be short."""
    tree_debounce_ms: int = 200
    """Debounce for a plain directory watched recursively: an editor or a copy writes several files."""
    heartbeat: float = 1.0
    """Seconds between checks of the link's target, in case an event was missed."""
    vanished_retries: int = 20
    """Times a read that lost a file to a concurrent publish is retried (resolving the link again) per pass."""
    prune_settle: float = 2.0
    """Seconds the manifests must read unchanged before a pass deletes what they no longer declare (``--prune``):
    a link swapped to a folder whose files are still being written deletes nothing. Creates and updates do not
    wait (0: delete at once)."""


@dataclass(frozen=True)
class BackoffSettings:
    """Backoff of a failing pass (tenacity); a successful pass resets it; a pass request (a publish) ends a wait."""

    initial: float = 1.0
    """Seconds before the first retry of a failed pass."""
    max: float = 300.0
    """Upper bound of one wait, in seconds; the resync interval caps it too, so a failing daemon tries at least as
    often as a healthy one resyncs and converges within one resync interval after an outage ends."""


@dataclass(frozen=True)
class RetryResourceSettings:
    """When a resource whose change failed is tried again (each resource on its own; a success forgets it)."""

    initial: float = 5.0
    """Seconds before the first retry after a retryable failure (throttling, 5xx, a timeout, once the AWS call's
    own retries are spent); doubles with each further failure."""
    max: float = 300.0
    """Upper bound of one retryable wait, in seconds."""
    terminal: float = 3600.0
    """Seconds before a terminal failure (AWS refused the request) is tried again with the same manifest and live
    state. A change to either retries it at once; this long wait only catches what the plan cannot see (a subnet,
    a permission or a quota fixed outside the manifests) at one call an hour per broken resource."""


@dataclass(frozen=True)
class LeaseSettings:
    """Replicas sharing targets through DynamoDB leases, one per target (conditional writes)."""

    table: str | None = None
    """DynamoDB table (partition key ``name``, a string); None means a single replica serving every target."""
    name: str = "ecs-reconciler"
    """The leases' key prefix in the table (``<name>/<target>``, heartbeats ``<name>/replicas/<holder>``): replicas
    sharing it share the targets."""
    duration: float = 15.0
    """Seconds a lease (and a heartbeat) is valid after its last renewal; a dead replica's targets are taken over
    within this plus one renew period."""
    renew_period: float = 5.0
    """Seconds between a replica's rounds: renewals, heartbeat, one read of the table, takes and hand-backs."""
    holder: str = ""
    """This replica's identity in the lease (default: hostname and process id)."""
    fence_margin: float = 0.25
    """Fraction of the duration kept as a safety margin: the leader writes only within the first
    ``(1 - fence_margin) x duration`` after its last successful renewal was sent (monotonic clock), so a write in
    flight and the replicas' clock skew fit before a follower may take over."""


@dataclass(frozen=True)
class HttpSettings:
    """The daemon's HTTP port (reconciler/daemon/http.py): who may change things, and how much a client can hold."""

    token_file: str | None = None
    """File holding the bearer token that requests changing anything (``POST /reconcile``) must carry; None: such
    requests answer 403."""
    status_needs_token: bool = False
    """/status and the console need the token too (/metrics, /healthz and /readyz never do)."""
    pass_interval: float = 5.0
    """Seconds between two passes asked for from outside (``POST /reconcile``, SIGHUP): a request within this of the
    last one granted is queued, one at most, and granted when the interval ends."""
    idle_timeout: int = 10
    """Seconds a connection may stay open without sending anything before it is closed."""
    threads: int = 4
    """Worker threads answering requests (connections wait in one event loop, not a thread each)."""
    connection_limit: int = 100
    """Open connections at most; past it no new connection is accepted until one closes."""


@dataclass(frozen=True)
class DaemonSettings:
    """The long-running `run` loop."""

    mode: Literal["enforce", "detect"] = "enforce"
    """enforce applies what differs; detect only plans and alerts."""
    resync_interval: float = 60.0
    """Seconds between full passes when nothing changes (catches drift made outside git)."""
    change_first_limit: int = 50
    """On a publish, documents whose content changed are planned and applied first, before the full pass, when at
    most this many changed (0: never; every pass is then only the full one)."""
    metrics_port: int | None = None
    """Port of /metrics, /healthz and /readyz (0 = any free port); None serves nothing."""
    metrics_address: str = "0.0.0.0"
    """Address the metrics server binds (all interfaces, so Prometheus and container health checks reach it)."""
    alert_sns_topic: str | None = None
    """SNS topic ARN that receives alerts."""
    alert_webhook: str | None = None
    """URL that receives alerts as Slack-compatible JSON."""
    alert_slack_webhook: str | None = None
    """Slack incoming webhook URL that receives alerts in Block Kit."""
    alert_teams_webhook: str | None = None
    """Microsoft Teams Workflows webhook URL that receives alerts as Adaptive Cards."""
    alert_events: tuple[tuple[str, frozenset[str]], ...] = ()
    """(sink, alert kinds): the sinks named here get only those kinds; the others get every alert."""
    console_url: str | None = None
    """The console's public address, linked from chat messages."""
    webhook_timeout: float = 5.0
    """Seconds to wait for the webhook to answer."""
    max_vanished: int = 3
    """The vanished-fleet brake: when every resource earlier passes brought up is gone and a pass would re-create
    more than this many of them, the daemon alerts and waits for a new revision or a restart (-1: never brake)."""
    shutdown_grace: float = 8.0
    """Seconds SIGTERM waits for the action in flight before the process exits anyway."""
    http: HttpSettings = field(default_factory=HttpSettings)
    """The HTTP port's access rules and limits."""
    watch: WatchSettings = field(default_factory=WatchSettings)
    """Watching the manifest source."""
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    """Backoff of failing passes."""
    retry: RetryResourceSettings = field(default_factory=RetryResourceSettings)
    """When a resource whose change failed is tried again."""
    lease: LeaseSettings = field(default_factory=LeaseSettings)
    """Leader election."""
    rollout_timeout: float = 600.0
    """Seconds a service's rollout may take after a pass changed it before it counts as stuck (failed)."""
    rollout_poll: float = 5.0
    """Longest pause between two checks of the rollouts in flight (the first checks come sooner)."""
    rollback_on_failure: bool = False
    """When a service of a git revision fails its rollout, return every service that revision changed to the task
    definitions of the last revision that rolled out completely."""


@dataclass(frozen=True)
class AwsSettings:
    """How AWS is reached."""

    region: str | None = None
    """AWS region; None means the standard chain (AWS_REGION, AWS_DEFAULT_REGION, profile)."""
    endpoint_url: str | None = None
    """AWS endpoint override (the embedded emulator, or AWS_ENDPOINT_URL, which boto3 honours by itself)."""
    embedded: bool = False
    """Talking to the embedded emulator: fixed dummy credentials and us-east-1 unless a region is given."""
    emulator: str | None = None
    """``--emulator``: the running emulator ``--embedded-aws`` uses, by URL, port or state file (None: the one
    ``ECS_RECONCILER_EMULATOR`` names, else the only one running)."""
    allowed_account_ids: tuple[str, ...] = ()
    """Accounts the tool may read and change (``--allowed-account-id``); empty allows any. Checked once per command
    with STS GetCallerIdentity, before any state is read."""
    allowed_regions: tuple[str, ...] = ()
    """Regions the tool may read and change (``--allowed-region``); empty allows any."""
    retry: RetrySettings = field(default_factory=RetrySettings)
    """Retry rules for AWS calls."""
    read: ReadSettings = field(default_factory=ReadSettings)
    """Read concurrency."""
    pace: PaceSettings = field(default_factory=PaceSettings)
    """Client-side pacing within AWS's request buckets."""


@dataclass(frozen=True)
class ManifestSettings:
    """How much of a manifest tree is read."""

    max_files: int = 10_000
    """Most manifest files under the root (``--max-files``); a larger tree is refused as invalid, unread."""
    instance: str | None = None
    """``--instance``: the instance when the manifests declare none (they win; a different one is a usage error)."""


@dataclass(frozen=True)
class Settings:
    """Everything a command or the daemon needs to know that is not in the manifests, built once from arguments."""

    aws: AwsSettings = field(default_factory=AwsSettings)
    """Reaching AWS."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Values for ``${VAR}`` placeholders (from --var, --var-file and ``ECSR_VAR_*``, already merged)."""
    sensitive: frozenset[str] = frozenset()
    """Names of the variables whose values are masked in every output (declared sensitive in a var file, or named
    like a credential)."""
    apply: ApplySettings = field(default_factory=ApplySettings)
    """Plan and apply options."""
    security: SecuritySettings = field(default_factory=SecuritySettings)
    """Security rule severities."""
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    """The `run` loop's options."""
    manifests: ManifestSettings = field(default_factory=ManifestSettings)
    """Limits of the manifest tree."""
