"""What the tests read from and hand to a daemon: its HTTP endpoints (get), and alert sinks that keep what they
receive (Webhook over HTTP, Recorded in-process)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from typing import Any

from reconciler.daemon.alerts import Alert


def get(url: str) -> tuple[int, str]:
    """GET a URL: its status and body, also for an HTTP error status."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def status_of(port: int) -> dict[str, Any]:
    """The daemon's /status answer on ``port``."""
    code, body = get(f"http://127.0.0.1:{port}/status")
    assert code == 200
    return dict(json.loads(body))


class Webhook:
    """A loopback HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        """The alerts of one kind received so far, in order."""
        return [b["ecs_reconciler"] for b in self.bodies if b["ecs_reconciler"]["kind"] == kind]


class Recorded:
    """An alert sink that keeps every alert sent to it."""

    name = "recorded"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.alerts.append(alert)
