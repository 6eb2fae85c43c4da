"""The emulator's server: moto's WSGI app behind a middleware that records calls and runs fault hooks."""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any, Literal
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from reconciler.emulator.patches import patch_moto

TOOL_USER_AGENT = "ecs-reconciler"
"""The User-Agent part ecs-reconciler's own clients send (``reconciler.aws.USER_AGENT``)."""
READ_PREFIXES = ("Describe", "List", "Get")
"""Operation names starting with one of these are reads; every other call is a write."""

Fault = tuple[int, str, str]
"""An error answer instead of moto's: (HTTP status, AWS error code, message), sent as an AWS JSON-protocol error."""
DROP: Literal["drop"] = "drop"
"""Returned by a hook instead of a Fault: close the connection without answering (the client sees it reset)."""
OperationHook = Callable[[str], "Fault | Literal['drop'] | None"]
"""Called with an operation name; returning a Fault answers with it instead of moto's answer, DROP closes the
connection, None lets the request through. A hook may also sleep (a slow answer) or block."""


def read_operation_name(environ: dict[str, Any], body: bytes) -> str | None:
    """Return the AWS operation a request calls, or None when it names none (moto-api, REST protocols)."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    target = environ.get("HTTP_X_AMZ_TARGET")
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
    return action[0] if action else None


IAM_PREFIXES = {"monitoring": "cloudwatch"}
"""Signing names whose IAM action prefix differs (CloudWatch signs as ``monitoring``)."""


def signing_service(environ: dict[str, Any]) -> str:
    """The IAM action prefix of a SigV4-signed request's service (``ecs``, ``sns``, ``cloudwatch``)."""
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    service = match.group(1) if match else "unknown"
    return IAM_PREFIXES.get(service, service)


class _RecordingApp:
    """WSGI middleware: records the operation name, runs the hooks, hands moto the request body intact."""

    def __init__(
        self,
        app: Any,
        *,
        calls: list[str],
        tool_calls: list[str],
        hooks: list[OperationHook],
        after_hooks: list[OperationHook],
        lock: threading.Lock,
    ) -> None:
        self._app = app
        self._calls = calls
        self._tool_calls = tool_calls
        self._hooks = hooks
        self._after_hooks = after_hooks
        self._lock = lock

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = self._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        operation = read_operation_name(environ, body)
        if operation is None:
            return self._app(environ, start_response)
        with self._lock:
            self._calls.append(operation)
            if TOOL_USER_AGENT in environ.get("HTTP_USER_AGENT", ""):
                self._tool_calls.append(f"{signing_service(environ)}:{operation}")
        for hook in list(self._hooks):
            if (answer := hook(operation)) is not None:
                return self._answer(answer, environ, start_response)
        after_hooks = list(self._after_hooks)
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
        return self._answer_fault(answer, start_response)

    @staticmethod
    def _answer_fault(fault: Fault, start_response: Any) -> Iterable[bytes]:
        status, code, message = fault
        body = json.dumps({"__type": code, "message": message}).encode()
        start_response(
            f"{status} Fault",
            [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", code),
                ("Content-Length", str(len(body))),
            ],
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


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's per-request access log lines (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Emulator:
    """A running moto server on 127.0.0.1; also a context manager that stops it on exit."""

    def __init__(
        self,
        server: BaseWSGIServer,
        *,
        thread: threading.Thread,
        calls: list[str],
        tool_calls: list[str],
        hooks: list[OperationHook],
        after_hooks: list[OperationHook],
        lock: threading.Lock,
    ) -> None:
        self._server = server
        self._thread = thread
        self._lock = lock
        self.endpoint_url: str = f"http://127.0.0.1:{server.server_port}"
        """Where to point boto3 (``endpoint_url=``)."""
        self.calls: list[str] = calls
        """Operation names seen, in order, across all services (e.g. ``["DescribeClusters", "CreateCluster"]``)."""
        self.tool_calls: list[str] = tool_calls
        """IAM action names (``ecs:CreateService``) of the calls ecs-reconciler itself made (by its User-Agent),
        across the emulator's life: ``reset_calls`` does not clear them."""
        self.hooks: list[OperationHook] = hooks
        """Called with each operation name before dispatch: the seam for fault injection (errors, slow answers,
        dropped connections)."""
        self.after_hooks: list[OperationHook] = after_hooks
        """Called with each operation name after moto has executed it, its answer held back: a Fault or DROP here
        is a lost response (the call took effect, the client sees an error); blocking here holds the answer."""

    def writes(self) -> list[str]:
        """The recorded calls that are not reads (names not starting with Describe/List/Get)."""
        with self._lock:
            return [name for name in self.calls if not name.startswith(READ_PREFIXES)]

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self.calls.clear()

    def reset(self) -> None:
        """Empty all emulated AWS state (moto's, process-wide) and the recorded calls."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        self.reset_calls()

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_emulator(*, port: int = 0) -> Emulator:
    """Patch moto (once per process) and serve it on 127.0.0.1:``port`` (0 = a free port) in a daemon thread."""
    patch_moto()
    calls: list[str] = []
    tool_calls: list[str] = []
    hooks: list[OperationHook] = []
    after_hooks: list[OperationHook] = []
    lock = threading.Lock()
    app = _RecordingApp(
        DomainDispatcherApplication(create_backend_app),
        calls=calls,
        tool_calls=tool_calls,
        hooks=hooks,
        after_hooks=after_hooks,
        lock=lock,
    )
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="ecs-reconciler-emulator", daemon=True)
    thread.start()
    return Emulator(
        server, thread=thread, calls=calls, tool_calls=tool_calls, hooks=hooks, after_hooks=after_hooks, lock=lock
    )
