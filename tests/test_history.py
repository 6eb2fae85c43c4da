"""`history PATH [SERVICE]`: the deployments ECS lists for each declared service, oldest first, with the task
definition each rolled out, its strategy and outcome; text and JSON; a service not declared is a usage error."""

from __future__ import annotations

import json

import pytest
from builders import cluster, documents, service, task_definition

pytestmark = pytest.mark.emulator


def test_history_after_three_applies_lists_three_deployments_in_order(aws, cli, manifests):
    root = manifests({"prod.yaml": cluster()})
    for image in ("example/api:1.0", "example/api:1.1", "example/api:1.2"):
        manifests({"api.yaml": documents(task_definition(image=image), service())})
        assert cli("apply", root, "--auto-approve").code == 0

    shown = cli("history", root, "--format", "json")
    assert shown.code == 0, shown.err
    (api,) = json.loads(shown.out)["services"]
    assert api["service"] == "Service prod/api" and api["live"]
    deployments = api["deployments"]
    assert [d["taskDefinition"] for d in deployments] == ["api:1", "api:2", "api:3"]
    assert [d["startedAt"] for d in deployments] == sorted(d["startedAt"] for d in deployments)
    assert {(d["strategy"], d["status"], d["outcome"]) for d in deployments} == {("ROLLING", "SUCCESSFUL", "completed")}
    assert all(d["serviceRevision"] and d["deployment"] for d in deployments)

    text = cli("history", root, "Service/api")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == "Service prod/api"
    assert lines[1].split() == ["STARTED", "STRATEGY", "OUTCOME", "STATUS", "TASK", "DEFINITION", "GIT", "REVISION",
                                "DEPLOYMENT"]  # fmt: skip
    rows = [line.split() for line in lines[2:5]]
    assert [row[4] for row in rows] == ["api:1", "api:2", "api:3"]


def test_history_of_a_service_not_declared_is_a_usage_error(aws, cli, manifests):
    root = manifests({"prod.yaml": cluster(), "api.yaml": documents(task_definition(), service())})
    shown = cli("history", root, "Service/nope")
    assert shown.code == 1
    assert "Service/nope: no such Service in the manifests" in shown.err


def test_history_of_a_service_not_live_says_so(aws, cli, manifests):
    root = manifests({"prod.yaml": cluster(), "api.yaml": documents(task_definition(), service())})
    shown = cli("history", root)
    assert shown.code == 0, shown.err
    assert shown.out.splitlines()[:2] == ["Service prod/api", "  not found live: no deployments"]
