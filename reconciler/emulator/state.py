"""Keep the emulator's state across restarts (``ecs-reconciler emulator --state FILE``) in a form that cannot run
code: a journal of the requests that changed something, replayed through the emulator at the next start.

The file is JSON lines: a header line, then one line per request the emulator answered with a 2xx that was not a
read (an operation named Describe*, List*, Get*, BatchGet*, ...): its method, path, query, headers and body. Each
line is appended as the request is answered, so a crash loses nothing; the file is created with mode 0600 (requests
carry whatever the manifests hold). A file this version did not write is refused before anything is served: a
pickle (what earlier versions saved) is recognised by its content and never unpickled, since unpickling runs code of
the file's choice; so is a file owned by another user. Generated identifiers (ARNs with random parts, task ids) get
new values on replay; names, revisions and tags come back as they were.
"""

from __future__ import annotations

import base64
import io
import json
import os
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from reconciler.core.errors import UsageError
from reconciler.emulator.server import WsgiApp

HEADER = {"ecs-reconciler-emulator-journal": 1}
"""The first line of every journal this version writes."""
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Scan", "Query", "Receive", "Check")
"""Operations that change nothing, never journaled."""
PICKLE_PROTOCOL = b"\x80"
"""How a pickle of protocol 2 or later starts (what earlier versions of this tool saved)."""


def _operation(environ: dict[str, Any], body: bytes) -> str | None:
    """The AWS operation a request calls: JSON protocols name it in X-Amz-Target, query protocols in Action."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if "x-www-form-urlencoded" in str(environ.get("CONTENT_TYPE", "")):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        return action[0] if action else None
    action = parse_qs(str(environ.get("QUERY_STRING", ""))).get("Action")
    return action[0] if action else None


def changes_state(environ: dict[str, Any], body: bytes) -> bool:
    operation = _operation(environ, body)
    if operation is None:
        return environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS")
    return not operation.startswith(READ_PREFIXES)


def check_journal(file: str) -> list[dict[str, Any]]:
    """The requests journaled in ``file`` (none when it does not exist); a usage error for any other file."""
    try:
        with open(file, "rb") as handle:
            owner = os.fstat(handle.fileno()).st_uid
            content = handle.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise UsageError(f"--state {file}: cannot be read ({exc.__class__.__name__})") from exc
    if content.startswith(PICKLE_PROTOCOL):
        raise UsageError(
            f"--state {file}: an emulator state file of an earlier version (a pickle), which is never loaded "
            "(loading a pickle runs code of the file's choice); delete it to start empty"
        )
    if owner != os.getuid():
        raise UsageError(f"--state {file}: owned by another user; the emulator loads only its own user's state")
    lines = content.decode("utf-8", "replace").splitlines()
    try:
        records = [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError:
        records = []
    if not records or records[0] != HEADER or not all(isinstance(r, dict) and "method" in r for r in records[1:]):
        raise UsageError(f"--state {file}: not an emulator journal this version wrote")
    return records[1:]


def _record(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    headers = {k: v for k, v in environ.items() if k.startswith("HTTP_") or k in ("CONTENT_TYPE",)}
    return {
        "method": environ.get("REQUEST_METHOD", "GET"),
        "path": environ.get("PATH_INFO", "/"),
        "query": environ.get("QUERY_STRING", ""),
        "headers": headers,
        "body": base64.b64encode(body).decode(),
    }


def _environ(record: dict[str, Any]) -> dict[str, Any]:
    body = base64.b64decode(record["body"])
    return {
        **{str(k): str(v) for k, v in dict(record["headers"]).items()},
        "REQUEST_METHOD": str(record["method"]),
        "PATH_INFO": str(record["path"]),
        "QUERY_STRING": str(record["query"]),
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "0",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


class Journal:
    """Wraps the emulator's app: replays ``file`` through it, then appends every request that changes state."""

    def __init__(self, app: WsgiApp, file: str) -> None:
        self.app, self.file = app, file
        self._lock = threading.Lock()

    def replay(self, records: list[dict[str, Any]]) -> int:
        """Send each journaled request to the app again (not journaled twice); the number sent."""
        for record in records:
            for _ in self.app(_environ(record), lambda *_args: None):
                pass
        return len(records)

    def open(self) -> None:
        """Create the journal (mode 0600) with its header, unless it exists."""
        fd = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.fchmod(fd, 0o600)
            if os.fstat(fd).st_size == 0:
                os.write(fd, (json.dumps(HEADER) + "\n").encode())
        finally:
            os.close(fd)

    def _append(self, record: dict[str, Any]) -> None:
        with self._lock:
            fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (json.dumps(record) + "\n").encode())
            finally:
                os.close(fd)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        answered: list[str] = []

        def respond(status: str, headers: Any, *rest: Any) -> Any:
            answered.append(status)
            return start_response(status, headers, *rest)

        chunks = list(self.app(environ, respond))
        if answered and answered[0].startswith("2") and changes_state(environ, body):
            self._append(_record(environ, body))
        return chunks
