"""With --format json every error is also one JSON document on standard output ({"error": {...}}, with file, line and
field where known), besides its line on standard error; exit 1 either way."""

from __future__ import annotations

import json

import pytest
from builders import CLUSTER, SERVICE, TASK, documents, service

from reconciler.cli import main


def test_a_usage_error_is_a_json_document_and_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["plan", "manifests", "--format", "json", "--adpot"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "error": {"type": "usage", "message": "unrecognized arguments: --adpot (did you mean --adopt?)"}
    }
    assert captured.err.count("\n") == 1


def test_without_json_a_usage_error_leaves_stdout_empty(capsys):
    with pytest.raises(SystemExit):
        main(["plan", "manifests", "--adpot"])
    assert capsys.readouterr().out == ""


def test_plan_on_invalid_manifests_prints_the_problems_as_json(manifests, cli, aws):
    path = manifests({"app.yaml": documents(CLUSTER, TASK, service(desiredCount="two"))})
    result = cli("plan", path, "--format", "json")
    assert result.code == 1 and "Invalid manifests (1 problem):" in result.err
    error = json.loads(result.out)["error"]
    assert error["type"] == "manifest" and error["file"] == "app.yaml" and error["field"] == "spec.desiredCount"
    assert error["line"] == error["problems"][0]["line"] > 1
    assert [p["field"] for p in error["problems"]] == ["spec.desiredCount"]
    assert aws.writes() == []


def test_an_aws_error_is_a_json_document_naming_the_call(manifests, cli, aws):
    path = manifests({"app.yaml": documents(CLUSTER, TASK, SERVICE)})
    denied = (400, "AccessDeniedException", "not authorized to perform ecs:DescribeClusters")
    aws.hooks.append(lambda op: denied if op == "DescribeClusters" else None)
    result = cli("plan", path, "--format", "json")
    assert result.code == 1 and result.err.startswith("Error: ")
    error = json.loads(result.out)["error"]
    assert error["type"] == "aws" and error["operation"] == "DescribeClusters"
    assert error["code"] == "AccessDeniedException" and error["retryable"] is False


def test_a_refused_option_value_is_a_usage_document(manifests, cli):
    result = cli("status", manifests({"app.yaml": CLUSTER}), "--format", "json", "--region", "us-east1")
    assert result.code == 1
    assert json.loads(result.out)["error"] == {
        "type": "usage",
        "message": "region 'us-east1' is not an AWS region (did you mean us-east-1?)",
    }
