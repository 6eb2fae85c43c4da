"""The AWS boundary: the only module that imports boto3. Retries, error translation, paging and read concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_when_event_set, wait_exponential_jitter

from reconciler.core.errors import AwsError, RetryableAwsError
from reconciler.core.settings import AwsSettings

T = TypeVar("T")
R = TypeVar("R")

THROTTLING_CODES = frozenset(
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
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
    }
)
"""Error codes that mean "try again later" whatever the HTTP status."""

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
        if code in THROTTLING_CODES or status >= 500:
            return RetryableAwsError(operation, resource, code, message)
        return AwsError(operation, resource, code, message)
    if isinstance(exc, CONNECTION_ERRORS):
        return RetryableAwsError(operation, resource, type(exc).__name__, str(exc))
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return AwsError(operation, resource, "NoRegion", NO_REGION)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return AwsError(operation, resource, "NoCredentials", NO_CREDENTIALS)
    return AwsError(operation, resource, type(exc).__name__, str(exc))


class Aws:
    """AWS clients with the tool's retry rules. Thread-safe: reads run concurrently through ``map``."""

    def __init__(self, settings: AwsSettings, *, session: boto3.Session | None = None) -> None:
        self.settings = settings
        if session is None and settings.embedded:
            session = boto3.Session(
                aws_access_key_id="embedded",
                aws_secret_access_key="embedded",
                region_name=settings.region or "us-east-1",
            )
        self._session = session or boto3.Session(region_name=settings.region)
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
        self.stopping = threading.Event()
        """Set by ``shut_down``."""
        self.fence: Fence | None = None
        """Checked before every attempt of every write (not for reads, nor for ``call_unfenced``)."""

    @property
    def region(self) -> str:
        return str(self.client("ecs").meta.region_name)

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                try:
                    self._clients[service] = self._session.client(
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
        if self.stopping.is_set() and not final:
            raise AwsError(operation, resource, "ShuttingDown", "not sent: the process is shutting down")
        fence = self.fence
        if fenced and fence is not None and is_write(operation):
            fence.check(service, operation, resource)  # before each retry too: a retry's wait may outlast the lease
        method = getattr(self.client(service), botocore.xform_name(operation))
        with self._lock:
            self.calls[operation] += 1
        try:
            result: dict[str, Any] = method(**params)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            error = translate(exc, operation, resource)
            for listener in self.listeners:
                listener(service, operation, error)
            raise error from exc
        for listener in self.listeners:
            listener(service, operation, None)
        result.pop("ResponseMetadata", None)
        return result

    def call(self, service: str, operation: str, resource: str = "", /, **params: Any) -> dict[str, Any]:
        """One API call (operation in the API's PascalCase), retried with backoff on retryable errors."""
        return self._call(service, operation, resource, params, fenced=True)

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
        self, service: str, operation: str, resource: str, params: dict[str, Any], *, fenced: bool
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
        return retrying(self._attempt, service, operation, resource, params, fenced=fenced)

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


def batches(items: list[T], size: int) -> list[list[T]]:
    """Split a list into chunks of at most ``size`` (DescribeServices takes 10, DescribeClusters 100)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def known_regions() -> frozenset[str]:
    """Every region botocore knows for ECS, in every partition (aws, aws-cn, aws-us-gov, ...)."""
    session = boto3.Session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ecs", partition_name=partition)
    )
