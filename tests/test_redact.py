"""Masking: an environment value is hidden when its name looks like a credential or when the value has a
credential's shape, whatever the name; the same shapes are hidden inside any other string a plan, a log line or an
alert shows. Every fake credential below is assembled at run time, so none sits in the repository as a literal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from credentials import AWS_SECRET, SHAPES

from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import make_plan
from reconciler.core.redact import MASK, credential_shape, is_sensitive, mask_text, redact, redact_at
from reconciler.core.settings import MANAGED_TAG_KEY, ApplySettings
from reconciler.daemon.alerts import drift_alert, text_of
from reconciler.daemon.drift import drifts_in, track
from reconciler.kinds import KINDS


def env_change(name: str, value: str) -> Any:
    return redact_at(f"containerDefinitions.app.environment.{name}", value)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_credential_shaped_value_is_masked_whatever_its_name(shape):
    value = SHAPES[shape]
    assert credential_shape(value) is not None, shape
    spec = {"containerDefinitions": [{"name": "app", "environment": [{"name": "SETTING", "value": value}]}]}
    assert redact(spec)["containerDefinitions"][0]["environment"] == [{"name": "SETTING", "value": MASK}]
    assert env_change("SETTING", value) == MASK
    assert redact_at("containerDefinitions.app.environment", {"SETTING": value}) == {"SETTING": MASK}
    assert redact_at("containerDefinitions", {"app": {"environment": {"SETTING": f"x {value} y"}}}) == {
        "app": {"environment": {"SETTING": MASK}}
    }


@pytest.mark.parametrize("shape", SHAPES)
def test_a_credential_inside_any_other_string_is_masked_and_the_rest_kept(shape):
    value = SHAPES[shape]
    command = ["sh", "-c", f"connect --with {value}"]
    shown = redact_at("containerDefinitions.app.command", command)
    assert shown[:2] == ["sh", "-c"]
    assert shown[2].startswith("connect --with ")
    assert MASK in shown[2]
    secret_part = value.split("=", 1)[-1].split(":", 2)[-1]  # the part after a name, a user or a key id
    assert secret_part not in json.dumps(shown)


@pytest.mark.parametrize(
    "name",
    ["DB_PASSWORD", "GITHUB_PAT", "PAT", "SENTRY_DSN", "DSN", "DATABASE_URL", "DB_CONNECTION_STRING", "CONN_STRING"]
    + ["SLACK_WEBHOOK_URL", "api_key", "SESSION_TOKEN", "AWS_SECRET_ACCESS_KEY", "spring.datasource.password"],
)
def test_a_credential_name_masks_any_value(name):
    assert is_sensitive(name)
    assert env_change(name, "plain") == MASK


@pytest.mark.parametrize("name", ["PATH", "PATTERN", "DSNAME", "PUBLIC_URL", "STAGE", "LOG_LEVEL"])
def test_ordinary_names_and_values_are_shown(name):
    assert not is_sensitive(name)
    assert env_change(name, "info") == "info"


@pytest.mark.parametrize(
    "value",
    [
        "https://api.example.com/v1?user=a@b.c",
        "http://user@host.internal/",
        "http://host.internal:8080/path",
        "arn:aws:sqs:us-east-1:123456789012:orders",
        "example/api:1.4.2",
        "0123456789abcdef0123456789abcdef01234567",  # a 40-character commit id, not under a key's name
        "ghp_short",
    ],
)
def test_ordinary_values_are_not_taken_for_credentials(value):
    assert credential_shape(value) is None
    assert env_change("SETTING", value) == value
    assert mask_text(value) == value


def test_a_bare_40_character_key_is_a_secret_under_a_key_name_only():
    assert env_change("SIGNING_KEY", AWS_SECRET) == MASK
    assert env_change("S3_KEY", AWS_SECRET) == MASK
    assert env_change("BUILD_ID", AWS_SECRET) == AWS_SECRET


def test_neither_plans_nor_drift_alerts_show_a_credential_shaped_value():
    token = SHAPES["GitHub token"]
    url = SHAPES["URL with a password"]
    container = {"name": "app", "image": "x:1", "command": ["run", f"--token={token}"]}
    desired = Resource(
        Address("TaskDefinition", "api"),
        {"containerDefinitions": [{**container, "environment": [{"name": "UPSTREAM", "value": url}]}]},
        "api.yaml",
        1,
    )
    created = make_plan([desired], {}, ApplySettings(), KINDS)
    live_body = {
        "containerDefinitions": [{**container, "environment": [{"name": "UPSTREAM", "value": "https://old"}]}],
        "tags": [{"key": MANAGED_TAG_KEY, "value": "ecs-reconciler"}],
    }
    updated = make_plan([desired], {desired.address: Live(desired.address, live_body, True)}, ApplySettings(), KINDS)
    assert updated.actions and updated.actions[0].verb == "update"
    _, events = track({}, drifts_in(updated))
    alert = drift_alert(events[0], revision="abc", healed=False)
    for shown in (repr(created), repr(updated), text_of(alert), json.dumps(alert.as_dict(), default=str)):
        assert token not in shown and "hunter2" not in shown
        assert MASK in shown
    assert "https://old" in text_of(alert)  # the ordinary before-value is still shown
