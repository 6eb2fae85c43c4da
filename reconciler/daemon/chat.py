"""Alerts in chat: Slack (an incoming webhook taking Block Kit) and Microsoft Teams (a Workflows webhook taking an
Adaptive Card), each a sink delivered in the background like every other (``reconciler.daemon.delivery``), posted
through ``webhook.post_json`` (http and https only, no redirect followed, link-local and instance-metadata addresses
refused, the URL never logged). With the console's public address (``--console-url``) each message links to the
page of the service it is about, or to the overview.

``slack_message`` and ``teams_message`` are pure: an alert in, the JSON body out, in the shapes Slack and Microsoft
publish (Block Kit's ``blocks`` with a ``text`` fallback; ``type: message`` with one attachment of content type
``application/vnd.microsoft.card.adaptive`` whose content is an AdaptiveCard of schema version ``CARD_VERSION``).
Alerts reach them already masked: their values come from plans.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from reconciler.core.targets import DEFAULT
from reconciler.daemon.alerts import Alert
from reconciler.daemon.webhook import Resolver, check_url, post_json, resolve

CARD_VERSION = "1.2"
"""The Adaptive Card schema version Microsoft's Teams webhook documentation sends."""
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
HEADER_LIMIT = 150
"""Characters of a Block Kit header's plain text."""
TEXT_LIMIT = 3000
"""Characters of a Block Kit section's text."""
LINES_SHOWN = 10
"""Field changes, errors and events listed in one message at most."""
TITLES = {
    "drift": "Drift",
    "resolved": "Drift resolved",
    "invalid": "Invalid revision",
    "refused": "Plan refused",
    "applied": "Applied",
    "deployment_paused": "Deployment paused",
    "rollout_completed": "Rollout completed",
    "rollout_failed": "Rollout failed",
    "rollback": "Rollback",
    "apply_failed": "Apply failed",
    "error": "Error",
}
EMOJI = {"error": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_green_circle:"}
CARD_COLOURS = {"error": "Attention", "warning": "Warning", "info": "Good"}


def console_link(alert: Alert, console_url: str | None) -> str | None:
    """The console page about the alert: its service's page, else the overview (None: no console address)."""
    if not console_url:
        return None
    base = console_url.rstrip("/")
    kind, _, where = (alert.resource or "").partition(" ")
    cluster, _, name = where.partition("/")
    if kind == "Service" and cluster and name:
        parts = (alert.target or DEFAULT, cluster, name)
        return base + "/targets/{}/services/{}/{}".format(*(quote(p, safe="") for p in parts))
    return base + "/"


def facts(alert: Alert) -> list[tuple[str, str]]:
    """The alert's facts as (name, value): target, resource, revision, task definition, stage, hook and expiry."""
    found = [
        ("Target", alert.target),
        ("Resource", alert.resource),
        ("Revision", alert.revision),
        ("Task definition", alert.task_definition),
        ("Stage", alert.stage),
        ("Hook", alert.hook),
        ("Expires", alert.expires_at),
        ("Alarms", ", ".join(alert.triggered_alarm_names)),
    ]
    return [(name, value) for name, value in found if value]


def details(alert: Alert) -> list[str]:
    """What changed or went wrong, a line each: field changes, errors, unhealthy targets, events."""
    lines = [
        f"{f.path}: desired {json.dumps(f.desired, default=str)}, live {json.dumps(f.live, default=str)}"
        for f in alert.fields
    ]
    lines += list(alert.errors) + [f"unhealthy: {t}" for t in alert.unhealthy_targets]
    lines += [f"event: {e}" for e in alert.events]
    if len(lines) > LINES_SHOWN:
        lines = [*lines[:LINES_SHOWN], f"... and {len(lines) - LINES_SHOWN} more"]
    return lines


def title_of(alert: Alert) -> str:
    return f"{TITLES.get(alert.kind, alert.kind)}: {alert.resource or alert.revision or 'ecs-reconciler'}"


def _mrkdwn(text: str) -> str:
    """Slack's mrkdwn escapes: &, < and > as HTML entities (the only characters Slack asks to escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_message(alert: Alert, *, console_url: str | None = None) -> dict[str, Any]:
    """A Slack message in Block Kit: a header, the summary, the facts, the details, and a button to the console;
    ``text`` is the notification's fallback."""
    summary = _clip(f"{EMOJI[alert.level]} {_mrkdwn(alert.summary)}", TEXT_LIMIT)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title_of(alert), HEADER_LIMIT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
    ]
    shown = facts(alert)
    if shown:
        fields = [{"type": "mrkdwn", "text": _clip(f"*{n}*\n{_mrkdwn(v)}", 2000)} for n, v in shown[:10]]
        blocks.append({"type": "section", "fields": fields})
    lines = details(alert)
    if lines:
        text = "\n".join(f"• {_mrkdwn(line)}" for line in lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, TEXT_LIMIT)}})
    link = console_link(alert, console_url)
    if link:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open in the console"}, "url": link,
                  "action_id": "open-console"}  # fmt: skip
        blocks.append({"type": "actions", "elements": [button]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"ecs-reconciler · {alert.kind}"}]})
    return {"text": _clip(f"[ecs-reconciler] {alert.summary}", TEXT_LIMIT), "blocks": blocks}


def teams_message(alert: Alert, *, console_url: str | None = None) -> dict[str, Any]:
    """A Teams Workflows message: one Adaptive Card with the title, the summary, a FactSet, the details, and an
    Action.OpenUrl to the console."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title_of(alert), "weight": "Bolder", "size": "Medium", "wrap": True,
         "color": CARD_COLOURS[alert.level]},
        {"type": "TextBlock", "text": alert.summary, "wrap": True},
    ]  # fmt: skip
    shown = facts(alert)
    if shown:
        body.append({"type": "FactSet", "facts": [{"title": n, "value": v} for n, v in shown]})
    body += [{"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "None"} for line in details(alert)]
    card: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body}
    link = console_link(alert, console_url)
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the console", "url": link}]
    return {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}]}


Message = Callable[..., dict[str, Any]]
"""An alert to a chat service's JSON body (``slack_message``, ``teams_message``)."""


class ChatSink:
    """One chat service's webhook: its message shape, posted once per ``send``."""

    def __init__(
        self,
        name: str,
        url: str,
        message: Message,
        *,
        timeout: float,
        console_url: str | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        check_url(url, option=f"--alert-{name}-webhook")
        self.name = name
        self._url, self._message, self._timeout, self._console, self._resolver = (
            url, message, timeout, console_url, resolver
        )  # fmt: skip

    def send(self, alert: Alert) -> None:
        body = self._message(alert, console_url=self._console)
        post_json(self._url, body, timeout=self._timeout, resolver=self._resolver)


def slack_sink(url: str, *, timeout: float, console_url: str | None = None, resolver: Resolver = resolve) -> ChatSink:
    """Block Kit to a Slack incoming webhook."""
    return ChatSink("slack", url, slack_message, timeout=timeout, console_url=console_url, resolver=resolver)


def teams_sink(url: str, *, timeout: float, console_url: str | None = None, resolver: Resolver = resolve) -> ChatSink:
    """An Adaptive Card to a Microsoft Teams Workflows webhook."""
    return ChatSink("teams", url, teams_message, timeout=timeout, console_url=console_url, resolver=resolver)
