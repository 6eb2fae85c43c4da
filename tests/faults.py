"""The tests' own emulator: the product's emulator app behind a middleware that records calls and injects faults.

* ``start_hooked_emulator()`` serves ``reconciler.emulator.create_app()`` wrapped in ``HookedApp``: it records each
  operation name (and, by the tool's User-Agent, the IAM action of each call ecs-reconciler itself made, for the
  IAM-policy check), runs ``hooks`` before moto sees a request and ``after_hooks`` after moto executed it (its answer
  held back); a hook may answer with an AWS error (a Fault) or drop the connection (DROP);
* ``request_hooks`` are called with the operation and its JSON request, so a fault can aim at one resource
  (``Targeted``: one service's CreateService answered 503 every time, each try recorded);
* ``Faults``: seeded fault injection on those hooks: per operation and at a set rate, answer throttling, 500, 503, a
  slow answer, a dropped connection, or a lost response (moto executes the call, the client sees an error).
  Decisions are a pure function of (seed, operation, how many times that operation was called), so a run replays
  the same faults per operation whatever order concurrent reads arrive in.
"""

from __future__ import annotations

import functools
import io
import json
import random
import re
import socket
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.exceptions
import botocore.session

from reconciler.aws import USER_AGENT
from reconciler.emulator import Emulator, WsgiApp, create_app, serve

READ_PREFIXES = ("Describe", "List", "Get")
"""Operation names starting with one of these are reads; every other call is a write."""

Fault = tuple[int, str, str]
"""An error answer instead of moto's: (HTTP status, AWS error code, message), sent in the request's protocol."""
PROXY_PAGE: Fault = (403, "", "Access denied by the proxy. Sign in to continue.")
"""Not AWS's answer at all: what a captive portal or a misrouted endpoint sends (a page no AWS protocol parses)."""
DROP: Literal["drop"] = "drop"
"""Returned by a hook instead of a Fault: close the connection without answering (the client sees it reset)."""
OperationHook = Callable[[str], "Fault | Literal['drop'] | None"]
"""Called with an operation name; returning a Fault answers with it instead of moto's answer, DROP closes the
connection, None lets the request through. A hook may also sleep (a slow answer) or block."""
RequestHook = Callable[[str, Mapping[str, Any]], "Fault | Literal['drop'] | None"]
"""Like an OperationHook, also given the request's JSON body ({} for other protocols): a fault for one resource."""


def json_request(body: bytes) -> Mapping[str, Any]:
    """A JSON-protocol request's parameters; {} for a body that is not a JSON object."""
    try:
        request = json.loads(body) if body else {}
    except ValueError:
        return {}
    return request if isinstance(request, dict) else {}


def read_operation_name(environ: dict[str, Any], body: bytes) -> str | None:
    """Return the AWS operation a request calls, or None when it names none (moto-api, REST protocols)."""
    path: str = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    target: str | None = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols: "AmazonEC2ContainerServiceV20141113.CreateService"
        return target.rsplit(".", 1)[-1]
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":  # smithy-rpc-v2-cbor (CloudWatch)
        return parts[3]
    if body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):  # query protocols: IAM, SNS, STS, EC2
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    return rest_operation(environ)


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    """(HTTP method, path pattern, operation) for a REST-protocol service, from botocore's model."""
    try:
        model = botocore.session.get_session().get_service_model(service)
    except botocore.exceptions.UnknownServiceError:
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = str(http.get("requestUri", "")).split("?", 1)[0]
        pattern = re.sub(r"\\{[^}]+\\}$", ".+", re.escape(uri))  # a last label may hold slashes (an ARN)
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", pattern)
        routes.append((str(http.get("method", "")), re.compile(f"^{pattern}/?$"), name))
    return routes


def rest_operation(environ: dict[str, Any]) -> str | None:
    """The operation a REST-protocol request (EventBridge Scheduler) calls: its method and path matched against the
    service model's request URIs, the most specific first."""
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    matches = [
        (route.pattern, op)
        for m, route, op in _rest_routes(signing_service(environ))
        if m == method and route.match(path)
    ]
    return min(matches, key=lambda m: m[0].count("[^/]+"))[1] if matches else None


IAM_PREFIXES = {"monitoring": "cloudwatch"}
"""Signing names whose IAM action prefix differs (CloudWatch signs as ``monitoring``)."""


def signing_service(environ: dict[str, Any]) -> str:
    """The IAM action prefix of a SigV4-signed request's service (``ecs``, ``sns``, ``cloudwatch``)."""
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    service = match.group(1) if match else "unknown"
    return IAM_PREFIXES.get(service, service)


def request_tag_keys(body: bytes) -> frozenset[str]:
    """The tag keys a JSON-protocol request sets (``aws:RequestTag``): ECS's ``tags`` list, Logs' ``tags`` map,
    Application Auto Scaling's ``Tags`` map."""
    request = json_request(body)
    tags = request.get("tags", request.get("Tags"))
    if isinstance(tags, dict):
        return frozenset(str(k) for k in tags)
    if isinstance(tags, list):
        return frozenset(str(t.get("key", t.get("Key", ""))) for t in tags if isinstance(t, dict))
    return frozenset()


def access_key_of(environ: dict[str, Any]) -> str:
    """The access key id a SigV4-signed request was signed with (tells concurrent processes apart)."""
    match = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def region_of(environ: dict[str, Any]) -> str:
    """The region a SigV4-signed request was signed for (its credential scope's third part)."""
    match = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


class HookedApp:
    """WSGI middleware: records the operation name, runs the hooks, hands the app the request body intact."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.tool_calls: list[str] = []
        self.callers: list[tuple[str, str, str]] = []
        self.signed: list[tuple[float, str, str, str, str]] = []
        self.tool_requests: list[tuple[str, frozenset[str]]] = []
        self.hooks: list[OperationHook] = []
        self.request_hooks: list[RequestHook] = []
        self.after_hooks: list[OperationHook] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = self._read_body(environ)
        declared = environ.get("CONTENT_LENGTH") or ""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        operation = read_operation_name(environ, body)
        if operation is None:
            return self._app(environ, start_response)
        incomplete = declared.isdigit() and len(body) < int(declared)
        with self.lock:
            self.calls.append(operation)
            self.callers.append((access_key_of(environ), signing_service(environ), operation))
            key, region = access_key_of(environ), region_of(environ)
            self.signed.append((time.time(), key, region, signing_service(environ), operation))
            if USER_AGENT in environ.get("HTTP_USER_AGENT", ""):
                self.tool_calls.append(f"{signing_service(environ)}:{operation}")
                if not incomplete:  # AWS authorizes only a request it received whole: a cut body shows no tags
                    self.tool_requests.append((self.tool_calls[-1], request_tag_keys(body)))
        if incomplete:
            # The client went away mid-request (a killed process sends its headers and body in separate writes).
            # AWS never acts on an incomplete request; moto would read the empty body as a request with no
            # parameters (CreateCluster with no name creates "default").
            return self._answer_fault((400, "IncompleteBody", "the request body ended early"), start_response)
        for hook in list(self.hooks):
            if (answer := hook(operation)) is not None:
                return self._answer(answer, environ, start_response)
        for request_hook in list(self.request_hooks):
            if (answer := request_hook(operation, json_request(body))) is not None:
                return self._answer(answer, environ, start_response)
        after_hooks = list(self.after_hooks)
        if not after_hooks:
            return self._app(environ, start_response)
        held: list[Any] = []
        chunks = b"".join(self._app(environ, lambda *args: held.append(args)))
        for hook in after_hooks:
            if (answer := hook(operation)) is not None:
                return self._answer(answer, environ, start_response)
        start_response(*held[-1])
        return [chunks]

    def _answer(self, answer: Fault | Literal["drop"], environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if answer == DROP:
            # werkzeug's server hands us its socket; shutting it down is what a dropped connection looks like to
            # the client, and the ConnectionError tells werkzeug not to answer (it logs nothing for those).
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("connection dropped by a fault-injection hook")
        return self._answer_fault(answer, start_response, environ)

    @staticmethod
    def _answer_fault(fault: Fault, start_response: Any, environ: dict[str, Any] | None = None) -> Iterable[bytes]:
        """An AWS error answer in the request's protocol: XML for the query protocols (STS, IAM, SNS), JSON else."""
        status, code, message = fault
        if not code:
            start_response(f"{status} Proxy", [("Content-Type", "text/html"), ("Content-Length", str(len(message)))])
            return [message.encode()]
        if environ is not None and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
                "</Error><RequestId>fault</RequestId></ErrorResponse>"
            ).encode()
            content_type = "text/xml"
        else:
            body = json.dumps({"__type": code, "message": message}).encode()
            content_type = "application/x-amz-json-1.1"
        start_response(
            f"{status} Fault",
            [("Content-Type", content_type), ("x-amzn-ErrorType", code), ("Content-Length", str(len(body)))],
        )
        return [body]

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            return bytes(stream.read(int(length)))
        if environ.get("wsgi.input_terminated"):  # chunked transfer: werkzeug ends the stream for us
            return bytes(stream.read())
        return b""


class HookedEmulator:
    """The product's emulator served behind a HookedApp; also a context manager that stops it on exit."""

    def __init__(self, emulator: Emulator, app: HookedApp) -> None:
        self._emulator = emulator
        self._app = app
        self.app = app
        """The middleware (a test may serve it again behind more: bench/conditions.py's AWS conditions)."""
        self.endpoint_url: str = emulator.endpoint_url
        """Where to point boto3 (``endpoint_url=``)."""
        self.calls: list[str] = app.calls
        """Operation names seen, in order, across all services (e.g. ``["DescribeClusters", "CreateCluster"]``)."""
        self.tool_calls: list[str] = app.tool_calls
        """IAM action names (``ecs:CreateService``) of the calls ecs-reconciler itself made (by its User-Agent),
        across the emulator's life: ``reset_calls`` does not clear them."""
        self.tool_requests: list[tuple[str, frozenset[str]]] = app.tool_requests
        """(IAM action, tag keys the request sets) of each of the tool's own calls, for the IAM conditions."""
        self.callers: list[tuple[str, str, str]] = app.callers
        """(access key id, service, operation) of each call, in order; ``reset_calls`` clears them."""
        self.signed: list[tuple[float, str, str, str, str]] = app.signed
        """(unix time, access key id, region, service, operation) of each call, in order (who wrote to which region
        when, comparable with the daemons' log timestamps); ``reset_calls`` clears them."""
        self.hooks: list[OperationHook] = app.hooks
        """Called with each operation name before dispatch (errors, slow answers, dropped connections)."""
        self.request_hooks: list[RequestHook] = app.request_hooks
        """Called with each operation name and its JSON request before dispatch, after ``hooks``."""
        self.after_hooks: list[OperationHook] = app.after_hooks
        """Called with each operation name after moto has executed it, its answer held back: a Fault or DROP here
        is a lost response (the call took effect, the client sees an error); blocking here holds the answer."""

    def writes(self) -> list[str]:
        """The recorded calls that are not reads (names not starting with Describe/List/Get)."""
        with self._app.lock:
            return [name for name in self.calls if not name.startswith(READ_PREFIXES)]

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._app.lock:
            self.calls.clear()
            self.callers.clear()
            self.signed.clear()

    def reset(self) -> None:
        """Empty all emulated AWS state (moto's, process-wide) and the recorded calls."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        self.reset_calls()

    def stop(self) -> None:
        """Shut the server down."""
        self._emulator.stop()

    def __enter__(self) -> HookedEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_hooked_emulator(*, port: int = 0) -> HookedEmulator:
    """The patched moto app behind a HookedApp, served on 127.0.0.1:``port`` (0 = a free port)."""
    app = HookedApp(create_app())
    return HookedEmulator(serve(app, port=port), app)


PRE_EXECUTION = ("throttle", "500", "503", "slow", "drop")
"""Faults answered before moto sees the call: nothing happened, the client may simply retry."""
LOST = ("lost", "lost-drop")
"""Faults after moto executed the call: it took effect, but the client sees a 500 or a reset connection."""

_ANSWERS: dict[str, Fault | Literal["drop"]] = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "500": (500, "ServerException", "injected internal error"),
    "503": (503, "ServiceUnavailableException", "injected unavailability"),
    "drop": DROP,
    "lost": (500, "ServerException", "injected: the call was executed but its answer was lost"),
    "lost-drop": DROP,
}


@dataclass
class Faults:
    """Install with ``install(emulator)``; ``injected`` counts what was injected, by (operation, kind)."""

    seed: int
    rate: float
    kinds: tuple[str, ...] = PRE_EXECUTION
    rates: Mapping[str, float] = field(default_factory=dict)
    """Per-operation rates overriding ``rate`` (0 spares an operation)."""
    slow_seconds: float = 0.05
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    _seen: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: threading.local = field(default_factory=threading.local)

    def install(self, emulator: HookedEmulator) -> Faults:
        emulator.hooks.append(self.before)
        emulator.after_hooks.append(self.after)
        return self

    def lost(self, operation: str) -> int:
        """How many calls of ``operation`` took effect while the client saw an error."""
        return sum(n for (op, kind), n in self.injected.items() if op == operation and kind in LOST)

    def _decide(self, operation: str) -> str | None:
        with self._lock:
            self._seen[operation] += 1
            n = self._seen[operation]
        rng = random.Random(f"{self.seed}/{operation}/{n}")
        if rng.random() >= self.rates.get(operation, self.rate):
            return None
        kind = rng.choice(self.kinds)
        with self._lock:
            self.injected[operation, kind] += 1
        return kind

    def before(self, operation: str) -> Fault | Literal["drop"] | None:
        kind = self._decide(operation)
        self._pending.kind = kind if kind in LOST else None
        if kind == "slow":
            time.sleep(self.slow_seconds)
            return None
        return None if kind is None or kind in LOST else _ANSWERS[kind]

    def after(self, operation: str) -> Fault | Literal["drop"] | None:
        kind, self._pending.kind = getattr(self._pending, "kind", None), None
        return _ANSWERS[kind] if kind else None


@dataclass
class Targeted:
    """One resource's calls of one operation answered with a fault every time, the others let through: the request's
    ``key`` equals ``value`` (CreateService's ``serviceName``). Install with ``install(emulator)``."""

    operation: str
    key: str
    value: str
    kind: str = "503"
    tries: list[float] = field(default_factory=list)
    """When each of the resource's calls arrived (monotonic seconds), in order: the emulator's record of its tries."""

    def install(self, emulator: HookedEmulator) -> Targeted:
        emulator.request_hooks.append(self.answer)
        return self

    def answer(self, operation: str, request: Mapping[str, Any]) -> Fault | Literal["drop"] | None:
        if operation != self.operation or request.get(self.key) != self.value:
            return None
        self.tries.append(time.monotonic())
        return _ANSWERS[self.kind]
