"""The emulator's server: moto's WSGI app, patched to behave like documented AWS, served on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from reconciler.emulator.patches import patch_moto

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
"""A WSGI application: (environ, start_response) -> body chunks."""


def create_app() -> WsgiApp:
    """moto's WSGI app for every service it emulates, after patching moto (once per process)."""
    patch_moto()
    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    return app


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's per-request access log lines (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Emulator:
    """A running moto server on 127.0.0.1; also a context manager that stops it on exit."""

    def __init__(self, server: BaseWSGIServer, *, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.endpoint_url: str = f"http://127.0.0.1:{server.server_port}"
        """Where to point boto3 (``endpoint_url=``)."""

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(app: WsgiApp, *, port: int = 0) -> Emulator:
    """Serve a WSGI app (``create_app()``, or one wrapping it) on 127.0.0.1:``port`` (0 = a free port) in a daemon
    thread."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="ecs-reconciler-emulator", daemon=True)
    thread.start()
    return Emulator(server, thread=thread)


def start_emulator(*, port: int = 0) -> Emulator:
    """The patched moto app served on 127.0.0.1:``port`` (0 = a free port)."""
    return serve(create_app(), port=port)
