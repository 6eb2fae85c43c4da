"""Client-side pacing that fits AWS's request buckets: one token bucket per throttling category, shared by every
thread of the process, so reads and writes stay within what the account allows instead of being throttled.

AWS meters API calls per account and region with token buckets: a bucket holds at most ``capacity`` tokens (the
burst), refills ``rate`` tokens a second (the sustained rate), and every call takes one. ``BUCKETS`` is the table of
the figures AWS documents, with where each comes from; ``PaceSettings.share`` lowers them all (other tools, CI
deploys and the console spend the same budget). When AWS throttles a call anyway, its bucket backs off: the rate
halves and climbs back to the ceiling over ``PaceSettings.recovery`` seconds (additive recovery).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.core.settings import PaceSettings

ECS_THROTTLING = "Amazon ECS API Reference, Request throttling"
LOGS_QUOTAS = "Amazon CloudWatch Logs User Guide, CloudWatch Logs quotas"
SSM_QUOTAS = "AWS General Reference, AWS Systems Manager endpoints and quotas"
CLOUDWATCH_QUOTAS = "Amazon CloudWatch User Guide, CloudWatch service quotas"
SCHEDULER_QUOTAS = "Amazon EventBridge Scheduler User Guide, Quotas for Amazon EventBridge Scheduler"
STS_QUOTAS = "IAM User Guide, IAM and AWS STS quotas (AWS STS request quotas)"
SNS_QUOTAS = "AWS General Reference, Amazon Simple Notification Service endpoints and quotas"
SERVICE_BUCKET_NOTE = (
    " (the service deployment, Express Gateway and daemon calls are not in its table: they share the service"
    " bucket's figures and tokens, which can only be slower than AWS, never throttled for it)"
)
ECS_LOWEST_NOTE = (
    " (these calls take the lowest figures of the rows above, a read's 50 / 20 and a write's 20 / 1, in one bucket"
    " each: whatever row AWS files them under, that can only be slower than AWS, never throttled for it)"
)
NO_FIGURE = "AWS publishes no request rate for {what}: one bucket for the whole service, at figures of ours"


@dataclass(frozen=True)
class Bucket:
    """One throttling category: the operations that draw from one bucket, and its documented figures."""

    name: str
    service: str
    operations: frozenset[str]
    capacity: float
    """Burst: tokens the bucket holds."""
    rate: float
    """Sustained rate: tokens added per second."""
    source: str
    """Where AWS documents the figures, or why they are ours."""


def _bucket(name: str, service: str, operations: str, capacity: float, rate: float, source: str) -> Bucket:
    return Bucket(name, service, frozenset(operations.split()), capacity, rate, source)


AAS = "application-autoscaling"

BUCKETS: tuple[Bucket, ...] = (
    _bucket("ecs cluster reads", "ecs", "DescribeClusters ListClusters", 50, 20, ECS_THROTTLING),
    _bucket(
        "ecs service reads",
        "ecs",
        "DescribeServices ListServices ListServiceDeployments DescribeServiceDeployments DescribeServiceRevisions"
        " DescribeExpressGatewayService DescribeDaemon ListDaemons DescribeDaemonTaskDefinition"
        " ListDaemonTaskDefinitions ListDaemonDeployments DescribeDaemonDeployments DescribeDaemonRevisions",
        100,
        20,
        ECS_THROTTLING + SERVICE_BUCKET_NOTE,
    ),
    _bucket(
        "ecs service writes",
        "ecs",
        "CreateService UpdateService StopServiceDeployment ContinueServiceDeployment CreateExpressGatewayService"
        " UpdateExpressGatewayService DeleteExpressGatewayService CreateDaemon UpdateDaemon DeleteDaemon"
        " RegisterDaemonTaskDefinition DeleteDaemonTaskDefinition",
        50,
        5,
        ECS_THROTTLING + SERVICE_BUCKET_NOTE,
    ),
    _bucket(
        "ecs task definition reads",
        "ecs",
        "DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies",
        50,
        20,
        ECS_THROTTLING,
    ),
    _bucket("ecs task definition registration", "ecs", "RegisterTaskDefinition", 20, 1, ECS_THROTTLING),
    _bucket("ecs tag reads", "ecs", "ListTagsForResource", 50, 20, ECS_THROTTLING),
    _bucket("ecs tag writes", "ecs", "TagResource UntagResource", 20, 10, ECS_THROTTLING),
    _bucket(
        "ecs other reads",
        "ecs",
        "DescribeCapacityProviders DescribeTasks ListTasks",
        50,
        20,
        ECS_THROTTLING + ECS_LOWEST_NOTE,
    ),
    _bucket(
        "ecs other writes",
        "ecs",
        "CreateCluster UpdateCluster DeleteCluster PutClusterCapacityProviders CreateCapacityProvider"
        " UpdateCapacityProvider DeleteCapacityProvider DeleteService DeregisterTaskDefinition RunTask",
        20,
        1,
        ECS_THROTTLING + ECS_LOWEST_NOTE,
    ),
    _bucket("logs DescribeLogGroups", "logs", "DescribeLogGroups", 10, 10, LOGS_QUOTAS),
    _bucket(
        "logs other calls",
        "logs",
        "CreateLogGroup DeleteLogGroup PutRetentionPolicy DeleteRetentionPolicy AssociateKmsKey DisassociateKmsKey"
        " ListTagsForResource TagResource UntagResource",
        5,
        5,
        LOGS_QUOTAS + " (CreateLogGroup's 5 a second, shared by the other control calls the tool sends)",
    ),
    _bucket("ssm parameter reads", "ssm", "GetParameters GetParameter", 40, 40, SSM_QUOTAS),
    _bucket(
        "application auto scaling",
        AAS,
        "DescribeScalableTargets DescribeScalingPolicies DescribeScheduledActions ListTagsForResource"
        " RegisterScalableTarget DeregisterScalableTarget PutScalingPolicy DeleteScalingPolicy PutScheduledAction"
        " DeleteScheduledAction TagResource UntagResource",
        20,
        10,
        NO_FIGURE.format(what="Application Auto Scaling (its quotas page counts resources only)"),
    ),
    _bucket("cloudwatch DescribeAlarms", "cloudwatch", "DescribeAlarms", 9, 9, CLOUDWATCH_QUOTAS),
    _bucket("cloudwatch PutMetricAlarm", "cloudwatch", "PutMetricAlarm", 3, 3, CLOUDWATCH_QUOTAS),
    _bucket("cloudwatch DeleteAlarms", "cloudwatch", "DeleteAlarms", 3, 3, CLOUDWATCH_QUOTAS),
    _bucket(
        "scheduler schedules",
        "scheduler",
        "CreateSchedule UpdateSchedule DeleteSchedule GetSchedule ListSchedules",
        50,
        50,
        SCHEDULER_QUOTAS + " (50 a second each, the lowest figure the page has given)",
    ),
    _bucket(
        "scheduler groups and tags",
        "scheduler",
        "CreateScheduleGroup GetScheduleGroup ListScheduleGroups ListTagsForResource TagResource UntagResource",
        10,
        10,
        SCHEDULER_QUOTAS + " (10 a second each)",
    ),
    _bucket(
        "cloud map",
        "servicediscovery",
        "ListNamespaces ListServices",
        10,
        5,
        NO_FIGURE.format(what="Cloud Map's control calls (its throttling page covers DiscoverInstances only)"),
    ),
    _bucket(
        "elastic load balancing reads",
        "elbv2",
        "DescribeTargetGroups DescribeTargetHealth",
        20,
        10,
        NO_FIGURE.format(what="the Elastic Load Balancing API (its quotas are resource counts)"),
    ),
    _bucket("iam reads", "iam", "GetRole", 10, 5, NO_FIGURE.format(what="IAM's API (its quotas are object counts)")),
    _bucket("sts", "sts", "GetCallerIdentity", 600, 600, STS_QUOTAS + " (600 requests a second, account and region)"),
    _bucket(
        "sns Publish",
        "sns",
        "Publish",
        30,
        30,
        SNS_QUOTAS + " (Publish is documented per region in the hundreds a second or more; alerts take 30 a second)",
    ),
    _bucket(
        "dynamodb lease table",
        "dynamodb",
        "UpdateItem DeleteItem Scan",
        50,
        25,
        NO_FIGURE.format(what="DynamoDB's item calls and scans (a table's capacity meters them, not a request bucket)"),
    ),
)
"""Every call the tool sends draws from one of these buckets (tests/test_pacing.py walks the code for calls in
none). ECS's figures are its API reference's "Request throttling" table (burst = bucket maximum capacity, sustained =
refill rate); the services that document a rate per second (CloudWatch Logs, CloudWatch, EventBridge Scheduler,
Systems Manager, STS, SNS) give no separate burst, so the burst is one second's worth. The table names no figures
for the service deployment calls (List/DescribeServiceDeployments, DescribeServiceRevisions,
Stop/ContinueServiceDeployment), the Express Gateway calls (Describe, Create, Update and
DeleteExpressGatewayService) or the Managed Daemons calls (daemons, their task definitions, revisions and
deployments): they draw from the service read and write buckets. Where AWS publishes no request
rate at all (Application Auto Scaling, Cloud Map's control calls, Elastic Load Balancing, IAM, DynamoDB items), the
whole service shares one bucket at figures of ours, each said in its ``source``. A bucket's throttling answers
still back off and are retried without spending the retry budget."""


HEADROOM_SECONDS = 0.1
"""The client's buckets hold this many seconds of refill (at least one token) less than AWS's: calls reach AWS with
some jitter, and a bucket paced exactly at AWS's figures would see a call that arrives a little early throttled."""


class TokenBucket:
    """A token bucket, thread-safe. ``take`` waits for a token: a caller that finds the bucket empty reserves the next
    token (the count goes negative) and sleeps until it is due, so waiting callers are served in turn."""

    def __init__(
        self,
        capacity: float,
        rate: float,
        *,
        recovery: float = 10.0,
        floor: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.capacity = capacity
        self.ceiling = rate
        self.recovery = recovery
        self.floor = floor
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = capacity
        self._stamp = clock()
        self._backed_off_to: float | None = None
        self._backed_off_at = 0.0
        self.waited = 0.0
        """Seconds callers spent waiting for tokens (all threads)."""
        self.throttles = 0
        """Throttling answers reported."""

    def rate(self, now: float | None = None) -> float:
        """Tokens a second now: the ceiling, or after a throttle a lower rate climbing back to it."""
        if self._backed_off_to is None:
            return self.ceiling
        now = self._clock() if now is None else now
        progress = (now - self._backed_off_at) / self.recovery if self.recovery > 0 else 1.0
        if progress >= 1.0:
            self._backed_off_to = None
            return self.ceiling
        return self._backed_off_to + (self.ceiling - self._backed_off_to) * progress

    def _refill(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate(now))
        self._stamp = now

    def take(self) -> float:
        """Take one token, waiting until one is due; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens -= 1
            wait = -self._tokens / self.rate(now) if self._tokens < 0 else 0.0
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def throttled(self) -> None:
        """AWS answered with throttling: the bucket there is emptier than this one thought. Empty this one and halve
        its rate (never below ``floor`` tokens a second); the rate climbs back over ``recovery`` seconds."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            self.throttles += 1
            self._backed_off_to = max(self.floor, self.rate(now) / 2)
            self._backed_off_at = now
            self._tokens = min(self._tokens, 0.0)


class Pacer:
    """The buckets of one process, by (service, operation); calls in no bucket pass straight through."""

    def __init__(
        self,
        settings: PaceSettings,
        *,
        buckets: tuple[Bucket, ...] = BUCKETS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._by_operation: dict[tuple[str, str], TokenBucket] = {}
        self.buckets: dict[str, TokenBucket] = {}
        share = min(1.0, max(0.01, settings.share))
        for b in buckets:
            capacity, rate = b.capacity * share, b.rate * share
            headroom = max(1.0, rate * HEADROOM_SECONDS)
            bucket = TokenBucket(
                max(1.0, capacity - headroom), rate, recovery=settings.recovery, clock=clock, sleep=sleep
            )
            self.buckets[b.name] = bucket
            for operation in b.operations:
                self._by_operation[(b.service, operation)] = bucket

    def bucket(self, service: str, operation: str) -> TokenBucket | None:
        return self._by_operation.get((service, operation))

    def take(self, service: str, operation: str) -> None:
        bucket = self.bucket(service, operation)
        if bucket is not None:
            bucket.take()

    def throttled(self, service: str, operation: str) -> None:
        bucket = self.bucket(service, operation)
        if bucket is not None:
            bucket.throttled()


def limit_seconds(calls: int, capacity: float, rate: float) -> float:
    """The least time ``calls`` calls can take through one bucket that starts full: (calls - burst) / rate."""
    return max(0.0, (calls - capacity) / rate)
