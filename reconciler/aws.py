"""The AWS boundary: the only module that calls AWS, through botocore (boto3's core; boto3 itself, with s3transfer
and its resource documentation, is not needed and not imported; ``core/schema.py`` and ``core/json_schema.py`` read
botocore's bundled service models, offline). Pacing within AWS's request buckets, retries, error translation,
paging and read concurrency."""

from __future__ import annotations

import datetime
import functools
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.utils
from botocore.config import Config
from botocore.parsers import ResponseParserError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_when_event_set, wait_exponential_jitter

from reconciler.core.errors import AwsError, RetryableAwsError
from reconciler.core.model_files import lean_session
from reconciler.core.settings import AwsSettings
from reconciler.core.targets import Target
from reconciler.pacing import Pacer

T = TypeVar("T")
R = TypeVar("R")

THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)
"""Error codes that mean the account's request budget is spent (throttling): the call's bucket backs off and the
call waits its turn again, without spending one of its retry attempts (a 500 does spend one)."""

UNAVAILABLE_CODES = frozenset({"ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalError"})
"""Error codes of AWS's own failures (5xx answers, whatever HTTP status carries them): worth another try, spending a
retry attempt."""

TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "ConcurrentModificationException",
        "ConcurrentUpdateException",
        "TooManyUpdates",
    }
)
"""4xx codes AWS documents as transient (botocore's standard retry mode retries the first three; Application Auto
Scaling, CloudWatch Logs, IAM and Route 53 name the others for a concurrent change that passes when tried again):
retryable, like a 5xx; every other 4xx is terminal (the same request fails again until something changes)."""

CONNECTION_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ProxyConnectionError,
)

USER_AGENT = "ecs-reconciler"
"""Appended to every request's User-Agent: tells the tool's own calls apart (the emulator records them)."""

CallListener = Callable[[str, str, "AwsError | None"], None]
"""Called after every AWS call attempt with (service, operation, error or None): metrics hook."""


NO_REGION = (
    "no AWS region configured: set AWS_DEFAULT_REGION, pass --region, or use a profile that has one "
    "(to try the tool without an account: --embedded-aws)"
)

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a profile (AWS_PROFILE) "
    "(to try the tool without an account: --embedded-aws)"
)


def translate(exc: Exception, operation: str, resource: str) -> AwsError:
    """One botocore exception as the tool's own error type (the only place botocore errors are caught)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", exc))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in THROTTLED_CODES or code in UNAVAILABLE_CODES or code in TRANSIENT_CODES or status >= 500:
            return RetryableAwsError(operation, resource, code, message)
        return AwsError(operation, resource, code, message)
    if isinstance(exc, CONNECTION_ERRORS):
        return RetryableAwsError(operation, resource, type(exc).__name__, str(exc))
    if isinstance(exc, ResponseParserError):  # its text holds the answer's body: not repeated
        return RetryableAwsError(operation, resource, "UnparseableAnswer", "the answer could not be parsed (a proxy?)")
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return AwsError(operation, resource, "NoRegion", NO_REGION)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return AwsError(operation, resource, "NoCredentials", NO_CREDENTIALS)
    return AwsError(operation, resource, type(exc).__name__, str(exc))


READ_PREFIXES = ("Describe", "List", "Get")
"""Operations starting with one of these only read; every other operation is a write, checked by the fence."""


class Fence(Protocol):
    """Whoever may write: asked before every attempt of every write (the daemon's lease)."""

    def check(self, service: str, operation: str, resource: str) -> None:
        """Raise an ``AwsError`` when this process may no longer write; the write is then never sent."""

    @property
    def token(self) -> int | None:
        """The fencing token the writes are tagged with (the lease's epoch), or None."""


def is_write(operation: str) -> bool:
    """The operation changes something (everything but Describe*, List*, Get*)."""
    return not operation.startswith(READ_PREFIXES)


def parse_timestamp(value: Any) -> datetime.datetime:
    """botocore's timestamp parsing, with the one ``datetime.UTC`` for the epoch numbers the JSON APIs answer
    instead of a ``tzlocal()`` object each (at 1,000 services the plan's describes held ~3 MB of them)."""
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    return botocore.utils.parse_timestamp(value)  # type: ignore[no-any-return]


def lean_timestamps(session: botocore.session.Session) -> None:
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)


class Aws:
    """AWS clients with the tool's retry rules. Thread-safe: reads run concurrently through ``map``."""

    def __init__(self, settings: AwsSettings, *, session: botocore.session.Session | None = None) -> None:
        self.settings = settings
        if session is None:
            session = lean_session()  # models read once per process, lean
            if settings.embedded:
                session.set_credentials("embedded", "embedded")
                session.set_config_variable("region", settings.region or "us-east-1")
            elif settings.region:
                session.set_config_variable("region", settings.region)
        lean_timestamps(session)
        self._session = session
        self._config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=settings.retry.connect_timeout,
            read_timeout=settings.retry.read_timeout,
            max_pool_connections=max(10, settings.read.concurrency * 2),
            user_agent_extra=USER_AGENT,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        """Attempts made, by operation name."""
        self.listeners: list[CallListener] = []
        pace = settings.pace
        paced = pace.enabled if pace.enabled is not None else not settings.embedded
        self.pacer: Pacer | None = Pacer(pace) if paced else None
        """The process's token buckets (None: calls are not paced)."""
        self.by_service: Counter[tuple[str, str]] = Counter()
        """Attempts made, by (service, operation): which bucket each drew from."""
        self.throttled: Counter[str] = Counter()
        """Throttling answers received, by operation."""
        self.stopping = threading.Event()
        """Set by ``shut_down``."""
        self._account: str | None = None
        self.account_problem: str | None = None
        """Why the last ``account`` call found none (STS's error), for the messages that name the account."""
        self.fence: Fence | None = None
        """Checked before every attempt of every write (not for reads, nor for ``call_unfenced``)."""

    def for_target(self, target: Target) -> Aws:
        """Clients for one target: its region, and its role assumed with this boundary's credentials (botocore's own
        assume-role fetcher, which refreshes before the credentials expire). AWS's request buckets are per account
        and region, so the target gets buckets of its own; the AssumeRole calls of the refresh are this boundary's
        (STS charges them to the account that assumes the role) and take their tokens from its STS bucket."""
        settings = replace(self.settings, region=target.region or self.region)
        session = lean_session()
        session.set_config_variable("region", settings.region)
        source = self._session.get_credentials()
        if source is None:
            raise AwsError("AssumeRole", target.role_arn or target.name, "NoCredentials", NO_CREDENTIALS)
        if target.role_arn is None:
            session.register_component("credential_provider", botocore.credentials.CredentialResolver([_Given(source)]))
            return Aws(settings, session=session)

        def sts(service: str, **credentials: Any) -> Any:
            client = self._session.create_client(
                service,
                region_name=settings.region,
                endpoint_url=settings.endpoint_url,
                config=self._config,
                **credentials,
            )
            client.meta.events.register("before-call.sts.AssumeRole", self._pace_refresh)
            return client

        extra = {"RoleSessionName": f"ecs-reconciler-{target.name}"}
        if target.external_id:
            extra["ExternalId"] = target.external_id
        fetcher = botocore.credentials.AssumeRoleCredentialFetcher(sts, source, target.role_arn, extra_args=extra)
        assumed = botocore.credentials.DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
        session.register_component("credential_provider", botocore.credentials.CredentialResolver([_Given(assumed)]))
        return Aws(settings, session=session)

    def _take(self, service: str, operation: str, *, fenced: bool = False, resource: str = "") -> None:
        """Before each attempt sent: a token of its bucket, the fence for a write (``fenced``), and the count."""
        if self.pacer is not None:
            self.pacer.take(service, operation)
        fence = self.fence
        if fenced and fence is not None and is_write(operation):
            fence.check(service, operation, resource)
        with self._lock:
            self.calls[operation] += 1
            self.by_service[(service, operation)] += 1

    def _pace_refresh(self, **_: Any) -> None:
        """Before botocore's AssumeRole for a target's credentials (sent by the refresh, not through ``call``)."""
        self._take("sts", "AssumeRole")

    def account(self) -> str | None:
        """The account the credentials belong to (STS GetCallerIdentity, which needs no permission), asked once per
        client and remembered; None when STS does not answer."""
        with self._lock:
            if self._account is not None:
                return self._account or None
        try:
            found = str(self.call("sts", "GetCallerIdentity").get("Account") or "")
        except AwsError as exc:
            self.account_problem = f"{exc.code}: {exc.message}"
            return None
        with self._lock:
            self._account = found
        return found or None

    def account_or_why(self) -> str:
        """The account, else why it is unknown (what STS answered: an assumed role refused, say)."""
        return self.account() or f"(unknown: {self.account_problem or 'STS did not answer'})"

    @property
    def region(self) -> str:
        return str(self.client("ecs").meta.region_name)

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                try:
                    self._clients[service] = self._session.create_client(
                        service, config=self._config, endpoint_url=self.settings.endpoint_url
                    )
                except botocore.exceptions.BotoCoreError as exc:
                    raise translate(exc, "CreateClient", service) from exc
            return self._clients[service]

    def _attempt(
        self,
        service: str,
        operation: str,
        resource: str,
        params: dict[str, Any],
        *,
        fenced: bool = True,
        final: bool = False,
    ) -> dict[str, Any]:
        """One attempt as the retry rules count it: throttling answers inside it are waited out through the call's
        bucket (which backs off) for up to ``throttle_patience`` seconds, then raised as retryable. A write is
        checked against the fence before it is sent, each time (a bucket's wait may outlast the lease)."""
        if self.stopping.is_set() and not final:
            raise AwsError(operation, resource, "ShuttingDown", "not sent: the process is shutting down")
        method = getattr(self.client(service), botocore.xform_name(operation))
        patience_ends = time.monotonic() + self.settings.pace.throttle_patience
        throttles = 0
        while True:
            self._take(service, operation, fenced=fenced, resource=resource)
            try:
                result: dict[str, Any] = method(**params)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ResponseParserError) as exc:
                error = translate(exc, operation, resource)
                for listener in self.listeners:
                    listener(service, operation, error)
                if error.code in THROTTLED_CODES:
                    with self._lock:
                        self.throttled[operation] += 1
                    if time.monotonic() < patience_ends and not self.stopping.is_set():
                        self._back_off(service, operation, throttles)
                        throttles += 1
                        continue
                raise error from exc
            for listener in self.listeners:
                listener(service, operation, None)
            result.pop("ResponseMetadata", None)
            return result

    def _back_off(self, service: str, operation: str, throttles: int) -> None:
        """After a throttling answer: the call's bucket backs off (its next token comes later); a call in no bucket
        sleeps like a retry would, doubling each time."""
        bucket = self.pacer.bucket(service, operation) if self.pacer is not None else None
        if bucket is not None:
            bucket.throttled()
            return
        rules = self.settings.retry
        time.sleep(min(rules.max_delay, rules.initial_delay * 2**throttles))

    def call(self, service: str, operation: str, resource: str = "", /, **params: Any) -> dict[str, Any]:
        """One API call (operation in the API's PascalCase), retried with backoff on retryable errors."""
        return self._call(service, operation, resource, params, fenced=True)

    def write_once(
        self,
        service: str,
        operation: str,
        resource: str = "",
        /,
        *,
        made: Callable[[], dict[str, Any] | None],
        **params: Any,
    ) -> dict[str, Any]:
        """A write that has no idempotency token and must take effect once (RegisterTaskDefinition): after an attempt
        whose outcome is unknown (a 5xx, a timeout, a lost connection: AWS may have acted and the answer been lost),
        ``made`` is asked before the next attempt; what it returns (the write found made) stands for the answer and
        nothing is sent again. A throttling answer is no doubt: AWS refused the call unread."""
        return self._call(service, operation, resource, params, fenced=True, made=made)

    def call_unfenced(
        self, service: str, operation: str, resource: str = "", /, *, once: bool = False, **params: Any
    ) -> dict[str, Any]:
        """A call the fence never stops: the lease's own writes (taking, renewing and releasing it). ``once``: a
        single attempt, even after ``shut_down`` (releasing the lease on the way out)."""
        if once:
            return self._attempt(service, operation, resource, params, fenced=False, final=True)
        return self._call(service, operation, resource, params, fenced=False)

    def shut_down(self) -> None:
        """From now on no call is retried and a retry's wait ends at once; new calls fail without being sent
        (but ``call_unfenced(once=True)``). What is in flight finishes or times out."""
        self.stopping.set()

    def _call(
        self,
        service: str,
        operation: str,
        resource: str,
        params: dict[str, Any],
        *,
        fenced: bool,
        made: Callable[[], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        rules = self.settings.retry
        retrying = Retrying(
            retry=retry_if_exception_type(RetryableAwsError),
            wait=wait_exponential_jitter(
                multiplier=rules.initial_delay, jitter=rules.initial_delay, max=rules.max_delay
            ),
            stop=stop_after_attempt(rules.attempts) | stop_when_event_set(self.stopping),
            sleep=self._sleep,
            reraise=True,
        )
        if made is None:
            return retrying(self._attempt, service, operation, resource, params, fenced=fenced)
        unsure = False

        def attempt() -> dict[str, Any]:
            nonlocal unsure
            if unsure and (found := made()) is not None:
                return found
            try:
                return self._attempt(service, operation, resource, params, fenced=fenced)
            except RetryableAwsError as exc:
                unsure = unsure or exc.code not in THROTTLED_CODES
                raise

        return retrying(attempt)

    def _sleep(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def pages(
        self, service: str, operation: str, key: str, resource: str = "", /, *, token: str = "nextToken", **params: Any
    ) -> list[Any]:
        """All items under ``key`` across every page. ``token`` names the paging member, the same in the request and
        the answer: ``nextToken`` (ECS, Logs) or ``NextToken`` (Application Auto Scaling, CloudWatch)."""
        items: list[Any] = []
        value: str | None = None
        while True:
            page = self.call(service, operation, resource, **params, **({token: value} if value else {}))
            items.extend(page.get(key, []))
            value = page.get(token)
            if not value:
                return items

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over items with bounded concurrency, results in input order; the first error is raised."""
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.settings.read.concurrency) as pool:
            return list(pool.map(fn, items))


class _Given(botocore.credentials.CredentialProvider):  # type: ignore[misc]
    """Credentials already made (a target's assumed role), offered to a botocore session as its only provider."""

    METHOD = "assume-role"
    CANONICAL_NAME = "ecs-reconciler-target"

    def __init__(self, credentials: botocore.credentials.Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> botocore.credentials.Credentials:
        return self._credentials


class Ticker:
    """A long stage's progress on stderr, TTY or not: nothing for the first ``after`` seconds, then a line every
    ``every`` seconds with the AWS calls made so far (and the throttling answers met), and one when it ends."""

    def __init__(self, aws: Aws, what: str, *, after: float, every: float = 5.0) -> None:
        self.aws, self.what, self.after, self.every = aws, what, after, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._report, name="progress", daemon=True)
        self._started = 0.0
        self._spoke = False

    def _line(self, state: str) -> str:
        calls, throttled = sum(self.aws.calls.values()), sum(self.aws.throttled.values())
        line = f"{self.what}: {state} {calls} AWS calls in {time.monotonic() - self._started:.0f} s"
        return line + (f" ({throttled} throttled, paced down)" if throttled else "")

    def _report(self) -> None:
        if self._done.wait(self.after):
            return
        while True:
            print(self._line("so far"), file=sys.stderr, flush=True)
            self._spoke = True
            if self._done.wait(self.every):
                return

    def __enter__(self) -> Ticker:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        if self._spoke:
            print(self._line("done,"), file=sys.stderr, flush=True)


def batches(items: list[T], size: int) -> list[list[T]]:
    """Split a list into chunks of at most ``size`` (DescribeServices takes 10, DescribeClusters 100)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows for ECS, in every partition (aws, aws-cn, aws-us-gov, ...); read once per process
    (each read parses botocore's endpoints file: through the process's shared model loader, the clients' copy)."""
    session = lean_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ecs", partition_name=partition)
    )
