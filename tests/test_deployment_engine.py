"""A canary with a PAUSE hook on ECS's deployment engine, as the emulator models it: apply stops at the pause
(exit 0, saying how to continue), `status --format json` shows the stage and the hook's expiry, `continue` carries
the deployment on to completion, `continue --rollback` makes ECS roll it back, and `continue` with nothing paused is
refused."""

from __future__ import annotations

import json
from typing import Any

from builders import CLUSTER, TASK, documents, service, task_definition

CANARY = service(
    deploymentConfiguration={
        "strategy": "CANARY",
        "bakeTimeInMinutes": 1,
        "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": 1},
        "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}],
    }
)


def _deployment(cli, root) -> dict[str, Any]:
    shown = cli("status", root, "--format", "json")
    (service,) = [r for r in json.loads(shown.out)["resources"] if r["kind"] == "Service"]
    deployment: dict[str, Any] = service["deployment"]
    return deployment


def _continue_until_settled(cli, root, *extra) -> dict[str, Any]:
    """Answer each pause (a canary pauses before each of its two production traffic shifts) until none is left."""
    for _ in range(20):
        found = _deployment(cli, root)
        if found["state"] != "paused" and found["state"] != "waiting":
            return found
        if found["state"] == "paused":
            assert cli("continue", root, "Service/api", *extra).code == 0
        else:
            cli("apply", root)  # waits (no sleeping here) until the next pause or the end
    raise AssertionError(found)


def test_a_paused_canary_is_applied_shown_and_continued(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, CANARY)})
    applied = cli("apply", root)
    assert applied.code == 0, applied.err
    assert "Paused: Service prod/api: CANARY paused: at PRE_PRODUCTION_TRAFFIC_SHIFT" in applied.out
    assert f"ecs-reconciler continue {root} Service/api" in applied.out

    found = _deployment(cli, root)
    assert (found["strategy"], found["stage"], found["state"]) == ("CANARY", "PRE_PRODUCTION_TRAFFIC_SHIFT", "paused")
    assert found["awaitingApproval"]["expiresAt"] and found["awaitingApproval"]["timeoutAction"] == "ROLLBACK"
    assert cli("status", root).code == 2  # paused is not settled

    done = _continue_until_settled(cli, root)
    assert (done["status"], done["state"]) == ("SUCCESSFUL", "completed")
    refused = cli("continue", root, "Service/api")
    assert refused.code == 1
    assert "nothing is paused" in refused.err and "nothing was sent" in refused.err


def test_continue_rollback_rolls_the_canary_back(aws, cli, manifests, ecs):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, CANARY)})
    assert cli("apply", root).code == 0
    assert _continue_until_settled(cli, root)["state"] == "completed"
    manifests({"api.yaml": documents(task_definition(image="example/api:1.1"), CANARY)})
    assert cli("apply", root).code == 0  # paused before the canary's traffic
    rolled = cli("continue", root, "Service/api", "--rollback")
    assert rolled.code == 0, rolled.err
    assert "rolling back to the previous service revision" in rolled.out
    assert "1 paused deployment to answer" in rolled.out, "the answer is shown as a plan"
    assert "> Service prod/api  (its deployment waits at a PAUSE hook: roll back to the previous service revision)" in (
        rolled.out
    )
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["currentServiceDeployment"]
    status = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["status"]
    assert status.startswith("ROLLBACK")
