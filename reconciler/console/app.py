"""The web console's WSGI app, served by `run` on its HTTP port at ``/``: server-rendered HTML from the Jinja2
templates beside this module, read from the status document /status serves (``reconciler.console.views``).

Pages: ``/`` (targets, their clusters and services, recent alerts) and ``/targets/T/services/C/NAME`` (one service:
its diff, deployment, task definition, events, alerts). Pages work without JavaScript; a small inline script only
refreshes them in place. Reading is open, as /status is. Acting is a ``POST`` to ``/actions/NAME`` from a form, run
only when ``actions`` holds NAME and ``authorize`` accepts the request; without actions the console is read-only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

import jinja2

from reconciler.console import views

StatusReport = Callable[[], Mapping[str, Any]]
Action = Callable[[Mapping[str, str]], str]
"""One console action: performs what a form asks (its fields) and says what was done."""
Authorize = Callable[[Mapping[str, Any]], bool]
"""Whether a request (its WSGI environ) may act."""
REFRESH_SECONDS = 5
"""How often an open page refreshes itself (with JavaScript)."""
MAX_FORM_BYTES = 16_384

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("reconciler.console", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.ChainableUndefined,  # the status document leaves out what it does not know
    trim_blocks=True,
    lstrip_blocks=True,
)


def shown(value: Any) -> str:
    """A field's value as the plan prints it: JSON, ``(absent)`` for a field one side does not have."""
    return "(absent)" if value is None else json.dumps(value, sort_keys=True, default=str)


_ENVIRONMENT.filters["shown"] = shown
_ENVIRONMENT.globals["refresh_seconds"] = REFRESH_SECONDS


def render(template: str, **context: Any) -> bytes:
    return _ENVIRONMENT.get_template(template).render(**context).encode()


def _page(start_response: Any, status: str, body: bytes) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
             "connect-src 'self'; form-action 'self'; frame-ancestors 'none'"),
        ],
    )  # fmt: skip
    return [body]


def _not_found(start_response: Any, what: str) -> list[bytes]:
    return _page(start_response, "404 Not Found", render("message.html", title="Not found", message=f"No {what}."))


def _form(environ: Mapping[str, Any]) -> dict[str, str]:
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_FORM_BYTES)
    except ValueError:
        length = 0
    fields = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace")) if length else {}
    return {key: values[-1] for key, values in fields.items()}


def console_app(
    status: StatusReport,
    *,
    actions: Mapping[str, Action] | None = None,
    authorize: Authorize | None = None,
) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """The console over ``status``; ``actions`` by name, each run only when ``authorize`` accepts the request."""
    known = dict(actions or {})

    def act(environ: dict[str, Any], start_response: Any, name: str) -> list[bytes]:
        if name not in known:
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "GET")])
            return [b"this console is read-only here\n"]
        if authorize is None or not authorize(environ):
            message = f"{name} was refused: this request may not act."
            return _page(start_response, "403 Forbidden", render("message.html", title="Refused", message=message))
        said = known[name](_form(environ))
        return _page(start_response, "200 OK", render("message.html", title=name, message=said))

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        parts = [unquote(p) for p in path.strip("/").split("/")] if path != "/" else []
        if environ.get("REQUEST_METHOD") == "POST":
            return act(environ, start_response, parts[1] if len(parts) == 2 and parts[0] == "actions" else "")
        if not parts:
            return _page(start_response, "200 OK", render("overview.html", page=views.overview(status())))
        if len(parts) == 5 and parts[0] == "targets" and parts[2] == "services":
            page = views.service_page(status(), parts[1], parts[3], parts[4])
            if page is None:
                return _not_found(start_response, f"service {parts[3]}/{parts[4]} of target {parts[1]}")
            return _page(start_response, "200 OK", render("service.html", page=page))
        return _not_found(start_response, path)

    return app
