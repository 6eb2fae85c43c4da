"""The deployments room, pure: ServiceDeployment answers (AWS's published examples, and answers in the API
reference's shape) read into where a deployment stands, what `status` shows of it and what `continue` would send."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

from reconciler import rollout
from reconciler.core.actions import ContinueDeployment
from reconciler.core.model import Address, Live
from reconciler.core.plan import Plan
from reconciler.core.render import render_text
from reconciler.deployments.approvals import approval, continue_plan
from reconciler.deployments.read import current_arn
from reconciler.deployments.stages import Deployment, standing, status_entry

FIXTURES = Path(__file__).parent / "fixtures" / "aws" / "deployments"
WEB = Address("Service", "web", "demo")
NOW = datetime.datetime(2024, 1, 14, 12, 30, tzinfo=datetime.UTC)


def load(name: str) -> Deployment:
    doc: dict[str, Any] = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())
    return Deployment.of(doc)


def test_a_successful_deployment_is_completed():
    found = standing(load("cli-describe-successful"), NOW)
    assert found.state == "completed"
    assert found.detail == "ROLLING SUCCESSFUL: 1/1 running, 0 pending"


def test_a_paused_canary_is_awaiting_approval_with_its_expiry():
    deployment = load("devguide-pause-awaiting")
    found = standing(deployment, NOW)
    assert found.state == "paused"
    assert found.paused is not None and found.paused.hook_id.startswith("ecs-pause-e7tK9G")
    assert (
        "paused: at PRODUCTION_TRAFFIC_SHIFT, 10% of production traffic on the new revision, 2/2 running, 0 pending"
        in found.detail
    )
    assert "expires 2024-01-15T12:00:00+00:00 (in 23 h 30 min, then ROLLBACK)" in found.detail


def test_an_alarm_rollback_is_a_failure_naming_the_stage_and_the_alarm():
    found = standing(load("alarm-rollback"), NOW)
    assert found.state == "failed"
    assert found.alarms == ("web-5xx",)
    assert "CANARY ROLLBACK_IN_PROGRESS: at PRODUCTION_TRAFFIC_SHIFT" in found.detail
    assert "alarms in ALARM: web-5xx" in found.detail
    assert found.rollback == "Rolling back because alarm web-5xx is in ALARM"


def test_apply_waits_on_the_deployment_and_stops_at_a_pause():
    body = {"status": "ACTIVE", "currentServiceDeployment": "arn:x", "deployments": []}
    paused = rollout.assess(WEB, body, load("devguide-pause-awaiting"), now=NOW)
    assert paused.state == "paused" and paused.finished and not paused.settled
    failed = rollout.assess(WEB, body, load("alarm-rollback"), now=NOW)
    assert failed.state == "failed" and failed.settled


def test_an_earlier_completed_deployment_is_not_the_one_waited_for():
    body = {"status": "ACTIVE"}
    since = datetime.datetime(2024, 10, 31, 13, 0, tzinfo=datetime.UTC)
    progress = rollout.assess(WEB, body, load("cli-describe-successful"), now=NOW, since=since)
    assert progress.state == "waiting"
    assert rollout.assess(WEB, body, load("cli-describe-successful"), now=NOW).state == "completed"


def test_status_json_shows_the_stage_and_the_expiry():
    deployment = load("devguide-pause-awaiting")
    progress = rollout.assess(WEB, {"status": "ACTIVE"}, deployment, now=NOW)
    entry = status_entry(deployment, progress.state, progress.detail)
    assert entry["strategy"] == "CANARY"
    assert entry["stage"] == "PRODUCTION_TRAFFIC_SHIFT"
    assert entry["state"] == "paused"
    assert entry["awaitingApproval"] == {
        "hookId": "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw",
        "expiresAt": "2024-01-15T12:00:00+00:00",
        "timeoutAction": "ROLLBACK",
    }
    assert entry["productionTrafficPercent"] == 10.0


def test_continue_answers_the_paused_hook_and_refuses_when_nothing_is_paused():
    deployment = load("devguide-pause-awaiting")
    assert approval(WEB, deployment, rollback=True) == ContinueDeployment(
        WEB,
        deployment.arn,
        "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw",
        "ROLLBACK",
        "PRODUCTION_TRAFFIC_SHIFT",
    )
    refused = approval(WEB, load("cli-describe-successful"), rollback=False)
    assert refused == "nothing is paused: deployment ejGvqq2ilnbKT9qj0vLJe is SUCCESSFUL"
    assert "names no deployment" in str(approval(WEB, None, rollback=False))


def test_answering_a_pause_is_a_plan_of_one_action_and_only_for_this_instances_service():
    deployment = load("devguide-pause-awaiting")
    ours = Live(WEB, {}, managed=True, owner="team-a")
    [answer] = continue_plan(WEB, ours, deployment, instance="team-a", rollback=False).actions
    assert isinstance(answer, ContinueDeployment) and answer.answer == "CONTINUE"
    assert render_text(Plan((answer,))).splitlines()[:3] == [
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 paused deployment to answer.",
        "",
        "> Service demo/web  (its deployment waits at a PAUSE hook: continue to the next stage)",
    ]
    other = Live(WEB, {}, managed=True, owner="team-b")
    theirs = continue_plan(WEB, other, deployment, instance="team-a", rollback=True)
    assert theirs.actions == () and [n.blocking for n in theirs.notes] == [True]
    assert "managed by another ecs-reconciler instance ('team-b'" in theirs.notes[0].message
    unmanaged = continue_plan(WEB, Live(WEB, {}, managed=False), deployment, instance="team-a", rollback=True)
    assert unmanaged.actions == () and "not managed by ecs-reconciler" in unmanaged.notes[0].message
    settled = continue_plan(WEB, ours, load("cli-describe-successful"), instance="team-a", rollback=False)
    assert settled.actions == () and not settled.notes[0].blocking


def test_a_service_names_its_current_deployment():
    assert current_arn({"currentServiceDeployment": "arn:aws:ecs:x"}) == "arn:aws:ecs:x"
    assert current_arn({}) is None and current_arn(None) is None
