"""The web console's WSGI app, served by `run` on its HTTP port at ``/``: server-rendered HTML from the Jinja2
templates beside this module, read from the status document /status serves (``reconciler.console.views``) and, on a
service page, its deployment history (``history``, read from AWS by the daemon).

Pages: ``/`` (targets, their clusters and services, recent alerts), ``/targets/T/clusters/C`` (one cluster and its
services) and ``/targets/T/services/C/NAME`` (one service: its diff, deployment, a paused hook, history, task
definition, events, alerts). Pages work without JavaScript; a
small inline script only refreshes them in place. Reading is open, as /status is.

Acting takes two steps: ``GET /actions/NAME`` is a confirmation page saying what NAME will do, with a form that
``POST``s to the same address; the POST runs NAME only when ``actions`` holds it, the request comes from this
console (its ``Origin``, when the browser sends one, is this host), and the form's ``token`` field holds the daemon's
HTTP token (``authorize``, compared in constant time). The token travels in the form's body only: never in a URL,
a cookie or a log. Without ``authorize`` (no token file) every action is refused, saying how to allow them.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from reconciler.console import views
from reconciler.core.errors import ReconcilerError

if TYPE_CHECKING:
    import jinja2

StatusReport = Callable[[], Mapping[str, Any]]
Action = Callable[[Mapping[str, str]], tuple[bool, str]]
"""One console action: performs what a form asks (its fields: ``target``, ``service``) and says whether it was done
and what became of it."""
Authorize = Callable[[str], bool]
"""Whether the token given on a confirmation form is the daemon's."""
History = Callable[[str, str, str], list[Mapping[str, Any]] | None]
"""A service's deployments (target, cluster, name), oldest first, as `history --format json` gives them (None: they
could not be read now)."""
NO_TOKEN = (
    "Actions are off: the daemon was started without --http-token-file. Start it with --http-token-file FILE "
    "to allow actions from this console, each confirmed with that token."
)
REFRESH_SECONDS = 5
"""How often an open page refreshes itself (with JavaScript)."""
MAX_FORM_BYTES = 16_384
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
"""An ISO 8601 timestamp with its offset, as the daemon's and ECS's texts write one."""


def shown(value: Any) -> str:
    """A field's value as the plan prints it: JSON, ``(absent)`` for a field one side does not have."""
    return "(absent)" if value is None else json.dumps(value, sort_keys=True, default=str)


def when(value: Any) -> str:
    """A timestamp as a page shows it: to the second, in UTC (its full value stays in the ``time`` element's
    ``datetime`` and ``title``); a value that is not one, as it is."""
    try:
        at = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is None:
        return at.strftime("%Y-%m-%d %H:%M:%S")
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def times(text: Any) -> str:
    """Free text (a deployment's detail, an alert's summary, an error) escaped, with each ISO 8601 timestamp in it
    shown as the ``time`` macro shows one: ``when``'s form in a ``time`` element that keeps the full value."""
    from markupsafe import Markup, escape  # Jinja2's own dependency: only once a page is asked for

    def timed(found: re.Match[str]) -> str:
        at = found.group()
        return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(at, when(at))

    return Markup(ISO_TIME.sub(timed, str(escape(text))))


@functools.cache
def _environment() -> jinja2.Environment:
    """The templates' environment, made when the first page is rendered."""
    import jinja2  # Jinja2 and its compiled templates: only once a page is asked for (/metrics never needs them)

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("reconciler.console", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.ChainableUndefined,  # the status document leaves out what it does not know
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["shown"] = shown
    environment.filters["when"] = when
    environment.filters["times"] = times
    environment.globals["refresh_seconds"] = REFRESH_SECONDS
    return environment


def render(template: str, **context: Any) -> bytes:
    return _environment().get_template(template).render(**context).encode()


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


def _query(environ: Mapping[str, Any]) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}


def same_origin(environ: Mapping[str, Any]) -> bool:
    """The request's ``Origin`` (browsers send it with every form POST) names this host; a request without one (not
    from a browser) passes, and must still carry the token."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return True
    return urlsplit(str(origin)).netloc.lower() == str(environ.get("HTTP_HOST", "")).lower() != ""


def back_to(fields: Mapping[str, str]) -> str:
    """Where a confirmation or its outcome leads back to: the service's page, or the overview."""
    target, service = fields.get("target", ""), fields.get("service", "")
    kind, _, where = service.partition("/")
    cluster, _, name = where.partition("/")
    if kind != "Service" or not (target and cluster and name):
        return "/"
    return "/targets/{}/services/{}/{}".format(*(quote(p, safe="") for p in (target, cluster, name)))


def console_app(
    status: StatusReport,
    *,
    actions: Mapping[str, Action] | None = None,
    authorize: Authorize | None = None,
    history: History | None = None,
) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """The console over ``status``; ``actions`` by name, each confirmed with the token ``authorize`` checks;
    ``history`` reads a service's deployments for its page."""
    known = dict(actions or {})

    def confirm(start_response: Any, name: str, fields: Mapping[str, str]) -> list[bytes]:
        action = views.ACTIONS[name]
        chosen = {k: fields[k] for k in ("target", "service") if fields.get(k)}
        body = render("confirm.html", action=action, name=name, fields=chosen, enabled=authorize is not None,
                      no_token=NO_TOKEN, back=back_to(chosen))  # fmt: skip
        return _page(start_response, "200 OK", body)

    def refuse(start_response: Any, message: str, fields: Mapping[str, str]) -> list[bytes]:
        page = render("message.html", title="Refused", message=message, back=back_to(fields))
        return _page(start_response, "403 Forbidden", page)

    def act(environ: dict[str, Any], start_response: Any, name: str) -> list[bytes]:
        if name not in known:
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain"), ("Allow", "GET")])
            return [b"this console is read-only here\n"]
        fields = _form(environ)
        title = views.ACTIONS[name].title
        if authorize is None:
            return refuse(start_response, f"{title} was refused. {NO_TOKEN}", fields)
        if not same_origin(environ):
            return refuse(start_response, f"{title} was refused: the form was not sent from this console.", fields)
        if not authorize(fields.get("token", "")):
            return refuse(start_response, f"{title} was refused: that is not the daemon's token.", fields)
        try:
            done, said = known[name]({k: v for k, v in fields.items() if k != "token"})
        except ReconcilerError as exc:
            done, said = False, f"{title} failed: {exc}"
        page = render("message.html", title=title if done else f"{title}: not done", message=said, back=back_to(fields))
        return _page(start_response, "200 OK" if done else "409 Conflict", page)

    def service(start_response: Any, target: str, cluster: str, name: str) -> list[bytes]:
        found = history(target, cluster, name) if history is not None else None
        page = views.service_page(status(), target, cluster, name, history=found)
        if page is None:
            return _not_found(start_response, f"service {cluster}/{name} of target {target}")
        body = render("service.html", page=page, actions=known, action_url=_action_url)
        return _page(start_response, "200 OK", body)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        parts = [unquote(p) for p in path.strip("/").split("/")] if path != "/" else []
        acting = len(parts) == 2 and parts[0] == "actions"
        if environ.get("REQUEST_METHOD") == "POST":
            return act(environ, start_response, parts[1] if acting else "")
        if acting and parts[1] in known:
            return confirm(start_response, parts[1], _query(environ))
        if not parts:
            body = render("overview.html", page=views.overview(status()), actions=known, action_url=_action_url)
            return _page(start_response, "200 OK", body)
        if len(parts) == 4 and parts[0] == "targets" and parts[2] == "clusters":
            found = views.cluster_page(status(), parts[1], parts[3])
            if found is None:
                return _not_found(start_response, f"cluster {parts[3]} of target {parts[1]}")
            return _page(start_response, "200 OK", render("cluster.html", page=found))
        if len(parts) == 5 and parts[0] == "targets" and parts[2] == "services":
            return service(start_response, parts[1], parts[3], parts[4])
        return _not_found(start_response, path)

    return app


def _action_url(name: str, **fields: str) -> str:
    """The confirmation page of action ``name`` for these form fields."""
    return f"/actions/{quote(name, safe='')}" + (f"?{urlencode(fields)}" if fields else "")
