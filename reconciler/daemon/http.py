"""The daemon's HTTP port (``--metrics-port``): /metrics, /healthz, /readyz, /status, the console, and
``POST /reconcile`` (ask for a pass now).

Who may do what: /metrics, /healthz and /readyz are open to scrapers and health checks. Every request that changes
anything passes ``Guard``: it must carry ``Authorization: Bearer <token>``, the token read from ``--http-token-file``
and compared in constant time; without a token file such requests answer 403. With ``--status-needs-token`` /status
and the console need the token too.

How much a client can hold: waitress serves the app with a fixed pool of worker threads; open connections wait in
its one event loop (not a thread each), a connection idle for ``idle_timeout`` seconds is closed, and past
``connection_limit`` open connections no new one is accepted until some close.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from prometheus_client import make_wsgi_app
from waitress import wasyncore

from reconciler.core.errors import UsageError
from reconciler.core.settings import HttpSettings
from reconciler.daemon.metrics import Metrics

Readiness = Callable[[], tuple[bool, str]]
"""Answers (ready, why)."""
StatusReport = Callable[[], dict[str, Any]]
"""The daemon's status document (served as JSON at /status)."""
WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def read_token(file: str) -> str:
    """The bearer token in ``file`` (surrounding whitespace stripped); a usage error when it cannot be read or is
    empty."""
    try:
        with open(file, encoding="utf-8") as handle:
            token = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--http-token-file {file}: cannot be read ({exc.__class__.__name__})") from exc
    if not token:
        raise UsageError(f"--http-token-file {file}: the file is empty")
    return token


def _plain(start_response: Any, status: str, text: str, headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), *(headers or [])])
    return [f"{text}\n".encode()]


class Guard:
    """Lets a request through only with the bearer token; ``token`` None: nothing is let through."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token is not None else None

    @property
    def configured(self) -> bool:
        """A token file was given: requests carrying its token may act."""
        return self._token is not None

    def accepts(self, given: str) -> bool:
        """``given`` is the token (compared in constant time); never with no token configured."""
        return self._token is not None and hmac.compare_digest(given.strip().encode(), self._token)

    def allows(self, environ: dict[str, Any]) -> bool:
        scheme, _, given = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        return scheme.lower() == "bearer" and self.accepts(given)

    def protect(self, app: WsgiApp) -> WsgiApp:
        """``app`` behind the token: a request without it answers 403 and never reaches ``app``."""

        def guarded(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if self.allows(environ):
                return app(environ, start_response)
            if self._token is None:
                why = "forbidden: start the daemon with --http-token-file FILE to allow this request"
            else:
                why = "forbidden: send the daemon's token as 'Authorization: Bearer <token>'"
            return _plain(start_response, "403 Forbidden", why)

        return guarded


def _reconcile_app(reconcile: Callable[[], str]) -> WsgiApp:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _plain(start_response, "405 Method Not Allowed", "POST asks for a pass", [("Allow", "POST")])
        return _plain(start_response, "202 Accepted", f"pass {reconcile()}")

    return app


def _status_app(status: StatusReport) -> WsgiApp:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(status(), default=str, indent=2).encode() + b"\n"]

    return app


def daemon_app(
    metrics: Metrics,
    readiness: Readiness,
    *,
    guard: Guard,
    status_needs_token: bool = False,
    status: StatusReport | None = None,
    reconcile: Callable[[], str] | None = None,
    console: WsgiApp | None = None,
) -> WsgiApp:
    """The port's WSGI app: each path to its handler, mutating ones (and, if asked, the reading ones that show
    state) behind ``guard``. ``reconcile`` asks for a pass and says what became of the request."""
    prometheus = make_wsgi_app(metrics.registry)
    showing: Callable[[WsgiApp], WsgiApp] = guard.protect if status_needs_token else (lambda app: app)
    routes: dict[str, WsgiApp] = {"/metrics": prometheus}
    if reconcile is not None:
        routes["/reconcile"] = guard.protect(_reconcile_app(reconcile))
    if status is not None:
        routes["/status"] = showing(_status_app(status))
    rest = showing(console) if console is not None else None

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in routes:
            return routes[path](environ, start_response)
        if path in ("/healthz", "/readyz"):
            ok, why = (True, "alive") if path == "/healthz" else readiness()
            return _plain(start_response, "200 OK" if ok else "503 Service Unavailable", why)
        if rest is not None:
            return rest(environ, start_response)
        return _plain(start_response, "404 Not Found", "not found")

    return app


class HttpServer:
    """Serves ``app`` with waitress in a daemon thread until ``stop``."""

    def __init__(self, app: WsgiApp, *, address: str, port: int, options: HttpSettings) -> None:
        self._map: dict[int, Any] = {}
        self._server = waitress.create_server(
            app,
            map=self._map,
            host=address,
            port=port,
            threads=options.threads,
            channel_timeout=options.idle_timeout,
            cleanup_interval=max(1, options.idle_timeout // 2),
            connection_limit=options.connection_limit,
            ident="ecs-reconciler",
        )
        self.port: int = int(self._server.effective_port)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.2, map=self._map, count=1)
        self._server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(self._map)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
