"""Client-side pacing that fits AWS's request buckets: one token bucket per throttling category, shared by every
thread of the process, so reads and writes stay within what the account allows instead of being throttled.

AWS meters API calls per account and region with token buckets: a bucket holds at most ``capacity`` tokens (the
burst), refills ``rate`` tokens a second (the sustained rate), and every call takes one. ``BUCKETS`` is the table of
the figures, each with the AWS page, section and row it comes from, or why it is ours; ``PaceSettings.share`` lowers
them all (other tools, CI deploys and the console spend the same budget). When AWS throttles a call anyway, its
bucket backs off: the rate halves and climbs back to the ceiling over ``PaceSettings.recovery`` seconds (additive
recovery).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.core.settings import PaceSettings

ECS_TABLE = (
    "Amazon ECS API Reference, Request throttling for the Amazon ECS API, section Request Token Bucket Sizes and"
    " Refill Rates, row {row}"
)
FARGATE_RUN_TASK = (
    "Amazon ECS Developer Guide, AWS Fargate throttling quotas, section Throttling the RunTask API: 20 calls a second,"
    " burst and sustained (lower than the API Reference's Cluster resource modify actions row, 100 / 40, which"
    " RunTask is in too)"
)
LOGS_QUOTAS = "Amazon CloudWatch Logs User Guide, CloudWatch Logs quotas, row {row}"
CLOUDWATCH_QUOTAS = "Amazon CloudWatch User Guide, CloudWatch service quotas, row {row}"
SCHEDULER_QUOTAS = "Amazon EventBridge Scheduler User Guide, Quotas for Amazon EventBridge Scheduler"
STS_QUOTAS = (
    "IAM User Guide, IAM and AWS STS quotas, section STS request quotas: 600 requests a second per account and Region,"
    " shared by AssumeRole, GetCallerIdentity and the other STS calls; a cross-account AssumeRole counts against the"
    " account that makes it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)"
)
SSM_QUOTAS = (
    "AWS General Reference, AWS Systems Manager endpoints and quotas, Parameter Store row Max throughput (transactions"
    " per second): default throughput 40, shared by GetParameter, GetParameters and GetParametersByPath"
    " (https://docs.aws.amazon.com/general/latest/gr/ssm.html)"
)
SNS_QUOTAS = (
    "AWS General Reference, Amazon Simple Notification Service endpoints and quotas, section Amazon SNS API throttling,"
    " table Publish API throttling per account: 300 messages a second in all other supported Regions, 1,500 to 30,000"
    " in the larger ones (30,000 in US East (N. Virginia)); the bucket takes the smallest Regions' figure"
    " (https://docs.aws.amazon.com/general/latest/gr/sns.html)"
)
ELB_TABLE = (
    "Elastic Load Balancing User Guide, Request throttling for the Elastic Load Balancing API, section Request token"
    " bucket sizes and refill rates, row Non-mutating (DescribeTargetGroups, DescribeTargetHealth and the other ELBv2"
    " Describe calls): bucket capacity 40, refill 10 a second; the account-level bucket shared by every ELB call is"
    " 40 / 10 as well (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html)"
)
UNNAMED_ECS_NOTE = (
    " (the table names no row for the {what}: they share this bucket's figures and tokens, so all of them together"
    " stay within this row)"
)
NO_FIGURE = "AWS publishes no request rate for {what}: one bucket for the whole service, at figures of ours"


@dataclass(frozen=True)
class Bucket:
    """One throttling category: the operations that draw from one bucket, and its figures."""

    name: str
    service: str
    operations: frozenset[str]
    capacity: float
    """Burst: tokens the bucket holds."""
    rate: float
    """Sustained rate: tokens added per second."""
    source: str
    """The AWS page, section and row the figures come from, or why they are ours."""


def _bucket(name: str, service: str, operations: str, capacity: float, rate: float, source: str) -> Bucket:
    return Bucket(name, service, frozenset(operations.split()), capacity, rate, source)


AAS = "application-autoscaling"
SERVICE_READS_UNNAMED = "Express Gateway and Managed Daemons reads"
SERVICE_WRITES_UNNAMED = "Stop/ContinueServiceDeployment, Express Gateway and Managed Daemons writes"

BUCKETS: tuple[Bucket, ...] = (
    _bucket(
        "ecs cluster reads",
        "ecs",
        "DescribeClusters ListClusters",
        50,
        20,
        ECS_TABLE.format(row="Cluster read actions"),
    ),
    _bucket(
        "ecs cluster writes",
        "ecs",
        "CreateCluster DeleteCluster PutClusterCapacityProviders UpdateCluster",
        20,
        1,
        ECS_TABLE.format(row="Cluster modify actions"),
    ),
    _bucket(
        "ecs service reads",
        "ecs",
        "DescribeServices ListServices DescribeExpressGatewayService DescribeDaemon ListDaemons"
        " DescribeDaemonTaskDefinition ListDaemonTaskDefinitions ListDaemonDeployments DescribeDaemonDeployments"
        " DescribeDaemonRevisions",
        100,
        20,
        ECS_TABLE.format(row="Service read actions") + UNNAMED_ECS_NOTE.format(what=SERVICE_READS_UNNAMED),
    ),
    _bucket(
        "ecs service writes",
        "ecs",
        "CreateService UpdateService DeleteService StopServiceDeployment ContinueServiceDeployment"
        " CreateExpressGatewayService UpdateExpressGatewayService DeleteExpressGatewayService CreateDaemon"
        " UpdateDaemon DeleteDaemon RegisterDaemonTaskDefinition DeleteDaemonTaskDefinition",
        50,
        5,
        ECS_TABLE.format(row="Service modify actions") + UNNAMED_ECS_NOTE.format(what=SERVICE_WRITES_UNNAMED),
    ),
    _bucket(
        "ecs service deployment reads",
        "ecs",
        "DescribeServiceDeployments ListServiceDeployments",
        50,
        20,
        ECS_TABLE.format(row="Service deployment actions"),
    ),
    _bucket(
        "ecs service revision reads",
        "ecs",
        "DescribeServiceRevisions",
        50,
        20,
        ECS_TABLE.format(row="Service revision actions"),
    ),
    _bucket(
        "ecs task definition reads",
        "ecs",
        "DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies",
        50,
        20,
        ECS_TABLE.format(row="Task definition read actions"),
    ),
    _bucket(
        "ecs task definition writes",
        "ecs",
        "RegisterTaskDefinition DeregisterTaskDefinition",
        20,
        1,
        ECS_TABLE.format(row="Task definition modify actions"),
    ),
    _bucket(
        "ecs capacity provider reads",
        "ecs",
        "DescribeCapacityProviders",
        50,
        20,
        ECS_TABLE.format(row="Capacity provider read actions"),
    ),
    _bucket(
        "ecs capacity provider writes",
        "ecs",
        "CreateCapacityProvider UpdateCapacityProvider DeleteCapacityProvider",
        10,
        1,
        ECS_TABLE.format(row="Capacity provider modify actions"),
    ),
    _bucket("ecs tag reads", "ecs", "ListTagsForResource", 50, 20, ECS_TABLE.format(row="Tag read actions")),
    _bucket("ecs tag writes", "ecs", "TagResource UntagResource", 20, 10, ECS_TABLE.format(row="Tag modify actions")),
    _bucket(
        "ecs task reads",
        "ecs",
        "DescribeTasks ListTasks",
        100,
        20,
        ECS_TABLE.format(row="Cluster resource read actions"),
    ),
    _bucket("ecs RunTask", "ecs", "RunTask", 20, 20, FARGATE_RUN_TASK),
    _bucket("logs DescribeLogGroups", "logs", "DescribeLogGroups", 5, 5, LOGS_QUOTAS.format(row="DescribeLogGroups")),
    _bucket(
        "logs other calls",
        "logs",
        "CreateLogGroup DeleteLogGroup PutRetentionPolicy DeleteRetentionPolicy AssociateKmsKey DisassociateKmsKey"
        " ListTagsForResource TagResource UntagResource",
        5,
        5,
        LOGS_QUOTAS.format(row="CreateLogGroup and DeleteLogGroup")
        + " (5 a second each; the page has no row for the retention, KMS key and tag calls, which share this bucket)",
    ),
    _bucket(
        "ssm parameter reads",
        "ssm",
        "GetParameters GetParameter",
        40,
        40,
        SSM_QUOTAS,
    ),
    _bucket(
        "application auto scaling",
        AAS,
        "DescribeScalableTargets DescribeScalingPolicies DescribeScheduledActions ListTagsForResource"
        " RegisterScalableTarget DeregisterScalableTarget PutScalingPolicy DeleteScalingPolicy PutScheduledAction"
        " DeleteScheduledAction TagResource UntagResource",
        20,
        10,
        NO_FIGURE.format(
            what="Application Auto Scaling (its user guide's Quotas for Application Auto Scaling counts scalable"
            " targets, policies and scheduled actions only,"
            " https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-quotas.html)"
        ),
    ),
    _bucket(
        "cloudwatch DescribeAlarms",
        "cloudwatch",
        "DescribeAlarms",
        9,
        9,
        CLOUDWATCH_QUOTAS.format(row="DescribeAlarms"),
    ),
    _bucket(
        "cloudwatch PutMetricAlarm",
        "cloudwatch",
        "PutMetricAlarm",
        3,
        3,
        CLOUDWATCH_QUOTAS.format(row="PutMetricAlarm"),
    ),
    _bucket(
        "cloudwatch DeleteAlarms", "cloudwatch", "DeleteAlarms", 3, 3, CLOUDWATCH_QUOTAS.format(row="DeleteAlarms")
    ),
    _bucket(
        "scheduler schedules",
        "scheduler",
        "CreateSchedule UpdateSchedule DeleteSchedule GetSchedule ListSchedules",
        50,
        50,
        SCHEDULER_QUOTAS
        + " (CreateSchedule and DeleteSchedule request rates: 250 a second in the smallest Regions, more in the"
        " others; no figure is checked for the other schedule calls, so all five share one bucket at 50, below each"
        " figure checked)",
    ),
    _bucket(
        "scheduler groups and tags",
        "scheduler",
        "CreateScheduleGroup GetScheduleGroup ListScheduleGroups ListTagsForResource TagResource UntagResource",
        10,
        10,
        SCHEDULER_QUOTAS
        + " (CreateScheduleGroup request rate: 10 a second in each Region; no figure is checked for the other group and"
        " tag calls, which share this bucket)",
    ),
    _bucket(
        "cloud map",
        "servicediscovery",
        "ListNamespaces ListServices",
        10,
        5,
        NO_FIGURE.format(
            what="Cloud Map's control calls (its developer guide's Handle AWS Cloud Map DiscoverInstances API request"
            " throttling covers DiscoverInstances only, https://docs.aws.amazon.com/cloud-map/latest/dg/throttling.html)"
        ),
    ),
    _bucket(
        "elastic load balancing reads",
        "elbv2",
        "DescribeTargetGroups DescribeTargetHealth",
        40,
        10,
        ELB_TABLE,
    ),
    _bucket(
        "iam reads",
        "iam",
        "GetRole",
        10,
        5,
        NO_FIGURE.format(
            what="IAM's API (the IAM User Guide's IAM and AWS STS quotas, and the General Reference's AWS Identity and"
            " Access Management endpoints and quotas, count objects only)"
        ),
    ),
    _bucket("sts", "sts", "AssumeRole GetCallerIdentity", 600, 600, STS_QUOTAS),
    _bucket("sns Publish", "sns", "Publish", 300, 300, SNS_QUOTAS),
    _bucket(
        "dynamodb lease table",
        "dynamodb",
        "UpdateItem DeleteItem Scan",
        50,
        25,
        "figures of ours: DynamoDB meters item calls and scans by each table's read and write capacity, not by an"
        " account's request bucket",
    ),
)
"""Every call the tool sends draws from one of these buckets (tests/test_pacing.py walks the code for calls in
none). ECS's figures are its API Reference's "Request throttling" table, one bucket per row (burst = bucket maximum
capacity, sustained = refill rate), and RunTask takes Fargate's lower RunTask figure. The table has no row for
Stop/ContinueServiceDeployment, the Express Gateway calls (Describe, Create, Update and
DeleteExpressGatewayService) or the Managed Daemons calls (daemons, their task definitions, revisions and
deployments): they draw from the service read and write buckets. The services that give a rate per second
(CloudWatch Logs, CloudWatch, EventBridge Scheduler, Systems Manager, SNS, STS) give no separate burst, so the burst
is one second's worth; Elastic Load Balancing publishes both, as ECS does. STS's bucket also paces the AssumeRole calls
botocore makes to refresh a target's credentials (``Aws.for_target``). Where AWS publishes no request rate
(Application Auto Scaling, Cloud Map's control calls, IAM) or meters by something else (DynamoDB items), the whole
service shares one bucket at figures of ours, each said in its ``source``. A bucket's throttling answers still back
off and are retried without spending the retry budget."""


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
