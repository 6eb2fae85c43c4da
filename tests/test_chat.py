"""Chat notifications: Slack messages in Block Kit and Teams Workflows messages carrying an Adaptive Card, checked
against the shapes Slack and Microsoft publish, with a link to the console when its address is set; delivered in the
background through the same URL checks as the webhook; and per-sink event selection (--alert-events)."""

from __future__ import annotations

import time
from typing import Any

from conftest import eventually
from daemon_io import Webhook

from reconciler.aws import Aws
from reconciler.core.redact import MASK
from reconciler.core.settings import AwsSettings, DaemonSettings, Settings
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.chat import CARD_CONTENT_TYPE, slack_message, slack_sink, teams_message
from reconciler.daemon.delivery import Background, DeliveryRules
from reconciler.daemon.drift import FieldDrift
from reconciler.daemon.run import selected, sinks_for

CONSOLE = "https://reconciler.example.com/"
PAUSED = Alert(
    "deployment_paused",
    "deployment paused: Service prod/web (web:4): CANARY paused at PRE_PRODUCTION_TRAFFIC_SHIFT",
    "0123456789abcdef",
    resource="Service prod/web",
    task_definition="web:4",
    stage="PRE_PRODUCTION_TRAFFIC_SHIFT",
    hook="ecs-pause-1",
    expires_at="2030-01-02T00:00:00+00:00",
    target="payments-prod",
)
DRIFT = Alert(
    "drift",
    "drift on Service prod/web: live state differs; left in place (detect mode) <@here> & more",
    "0123456789abcdef",
    resource="Service prod/web",
    fields=(FieldDrift("containerDefinitions.app.environment.DB_PASSWORD", MASK, MASK),),
)
FAILED = Alert("rollout_failed", "rollout failed: Service prod/web", "0123456789abcdef", resource="Service prod/web",
               events=tuple(f"event {n}" for n in range(20)))  # fmt: skip

# Slack's Block Kit reference (api.slack.com/reference/block-kit/blocks): block types used here and their limits.
TEXT_TYPES = {"plain_text", "mrkdwn"}


def check_text(text: dict[str, Any], *, limit: int, types: set[str] = TEXT_TYPES) -> None:
    assert text["type"] in types and isinstance(text["text"], str) and 0 < len(text["text"]) <= limit


def check_block_kit(message: dict[str, Any]) -> None:
    """A message body as Slack's incoming webhooks take it: ``text`` (the notification fallback) and up to 50
    blocks, each of a known type with its required members inside Slack's published limits."""
    assert isinstance(message["text"], str) and message["text"]
    assert 0 < len(message["blocks"]) <= 50
    for block in message["blocks"]:
        if block["type"] == "header":
            check_text(block["text"], limit=150, types={"plain_text"})
        elif block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                check_text(block["text"], limit=3000)
            for field in block.get("fields", []):
                check_text(field, limit=2000)
            assert len(block.get("fields", [])) <= 10
        elif block["type"] == "actions":
            assert 0 < len(block["elements"]) <= 25
            for element in block["elements"]:
                assert element["type"] == "button" and len(element["action_id"]) <= 255
                check_text(element["text"], limit=75, types={"plain_text"})
                assert element["url"].startswith("https://") and len(element["url"]) <= 3000
        elif block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            for element in block["elements"]:
                check_text(element, limit=3000)
        else:
            raise AssertionError(f"unexpected block type {block['type']}")


def check_adaptive_card_message(message: dict[str, Any]) -> dict[str, Any]:
    """A Teams webhook message as Microsoft documents it: ``type: message`` and one attachment of content type
    application/vnd.microsoft.card.adaptive whose content is an AdaptiveCard of schema version 1.2. The card."""
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive" == CARD_CONTENT_TYPE
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.2"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    for element in card["body"]:
        assert element["type"] in ("TextBlock", "FactSet")
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str) and element["text"]
        else:
            assert all(set(f) == {"title", "value"} for f in element["facts"])
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl" and action["title"] and action["url"]
    return dict(card)


def test_a_slack_message_is_block_kit_with_a_fallback_and_a_button_to_the_service_page():
    message = slack_message(PAUSED, console_url=CONSOLE)
    check_block_kit(message)
    assert message["blocks"][0]["text"]["text"] == "Deployment paused: Service prod/web"
    fields = " ".join(f["text"] for b in message["blocks"] for f in b.get("fields", []))
    assert "PRE_PRODUCTION_TRAFFIC_SHIFT" in fields and "ecs-pause-1" in fields and "2030-01-02" in fields
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert actions["elements"][0]["url"] == "https://reconciler.example.com/targets/payments-prod/services/prod/web"
    assert PAUSED.summary in message["text"]


def test_slack_text_is_escaped_as_mrkdwn_and_values_stay_masked():
    message = slack_message(DRIFT)
    check_block_kit(message)
    text = " ".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b)
    assert "&lt;@here&gt; &amp; more" in text and "<@here>" not in text
    assert MASK in text
    assert not [b for b in message["blocks"] if b["type"] == "actions"]  # no console address: no button


def test_a_long_alert_is_cut_to_slacks_limits():
    message = slack_message(FAILED, console_url=CONSOLE)
    check_block_kit(message)
    assert "... and 10 more" in str(message)
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert actions["elements"][0]["url"] == "https://reconciler.example.com/targets/default/services/prod/web"


def test_a_teams_message_is_an_adaptive_card_with_facts_and_a_link_to_the_console():
    card = check_adaptive_card_message(teams_message(PAUSED, console_url=CONSOLE))
    assert card["body"][0]["text"] == "Deployment paused: Service prod/web"
    (facts,) = [e for e in card["body"] if e["type"] == "FactSet"]
    shown = {f["title"]: f["value"] for f in facts["facts"]}
    assert shown["Stage"] == "PRE_PRODUCTION_TRAFFIC_SHIFT" and shown["Hook"] == "ecs-pause-1"
    assert shown["Target"] == "payments-prod" and shown["Task definition"] == "web:4"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in the console",
         "url": "https://reconciler.example.com/targets/payments-prod/services/prod/web"}
    ]  # fmt: skip
    assert "actions" not in check_adaptive_card_message(teams_message(DRIFT))


def test_each_chat_sink_gets_only_the_kinds_chosen_for_it_delivered_in_the_background():
    slack, teams = Webhook(), Webhook()
    options = DaemonSettings(alert_slack_webhook=slack.url, alert_teams_webhook=teams.url, console_url=CONSOLE,
                             alert_events=(("slack", frozenset({"rollout_failed", "deployment_paused"})),))  # fmt: skip
    sinks = sinks_for(Aws(AwsSettings()), Settings(daemon=options))
    delivering = [Background(s, rules=DeliveryRules(pause=0.01)) for s in sinks]
    assert [s.name for s in delivering] == ["slack", "teams"]
    alerter = Alerter(selected(delivering, options.alert_events))
    for alert in (DRIFT, PAUSED, FAILED):
        alerter.send(alert)
    eventually(lambda: len(teams.bodies) == 3 and len(slack.bodies) == 2, timeout=10, what="the chat messages")
    for sink in delivering:
        sink.close(time.monotonic() + 5)
    assert [b["blocks"][0]["text"]["text"].split(":")[0] for b in slack.bodies] == [
        "Deployment paused",
        "Rollout failed",
    ]
    for body in teams.bodies:
        check_adaptive_card_message(body)
    for hook in (slack, teams):
        hook.server.shutdown()


def test_a_chat_webhook_on_a_link_local_address_is_refused_at_start_up(cli):
    refused = cli("run", ".", "--alert-teams-webhook", "http://169.254.169.254/latest/meta-data/")
    assert refused.code == 1 and "--alert-teams-webhook: link-local" in refused.err
    assert "169.254" not in refused.err


def test_alert_events_name_configured_sinks_and_known_kinds(cli):
    unconfigured = cli("run", ".", "--alert-events", "slack=failures")
    assert unconfigured.code == 1 and "no slack sink is configured (--alert-slack-webhook)" in unconfigured.err
    unknown = cli("run", ".", "--alert-slack-webhook", "https://hooks.example.com/x", "--alert-events", "slack=oops")
    assert unknown.code == 1 and "unknown alert kind 'oops'" in unknown.err and "deployment_paused" in unknown.err


def test_a_sink_is_built_with_its_url_checked():
    try:
        slack_sink("ftp://hooks.example.com/x", timeout=1)
    except Exception as exc:  # noqa: BLE001 (the usage error names the option)
        assert "--alert-slack-webhook" in str(exc) and "only http:// and https://" in str(exc)
    else:
        raise AssertionError("an ftp URL was accepted")
