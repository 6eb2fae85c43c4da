"""What a plan reads: task definition revisions described once per plan (CLI), kept between the daemon's passes and
checked against one account-wide listing, which still notices every revision registered or deregistered since."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.fleet import write_fleet
from reconciler.aws import Aws
from reconciler.core.settings import AwsSettings, ReadSettings, Settings
from reconciler.pipeline import Pipeline

SERVICES = 12


@pytest.fixture
def fleet(aws: Any, tmp_path: Path) -> Path:
    root = write_fleet(tmp_path / "fleet", services=SERVICES, clusters=2)
    pipeline = Pipeline(Aws(AwsSettings()), Settings())
    pipeline.apply(pipeline.plan(pipeline.load(root)))
    return root


def daemon_pipeline(**read: Any) -> Pipeline:
    settings = Settings(aws=AwsSettings(read=ReadSettings(**read)))
    pipeline = Pipeline(Aws(settings.aws), settings)
    pipeline.keep_between_passes()
    return pipeline


def plan_calls(pipeline: Pipeline, root: Path) -> tuple[Any, dict[str, int]]:
    before = dict(pipeline.aws.calls)
    planned = pipeline.plan(pipeline.load(root))
    return planned.plan, {op: n - before.get(op, 0) for op, n in pipeline.aws.calls.items() if n - before.get(op, 0)}


def test_a_cli_plan_describes_each_family_once(fleet):
    pipeline = Pipeline(Aws(AwsSettings()), Settings())
    for _ in range(2):
        plan, calls = plan_calls(pipeline, fleet)
        assert not plan.pending
        assert calls["DescribeTaskDefinition"] == SERVICES
        assert "ListTaskDefinitions" not in calls


def test_an_idle_daemon_pass_lists_revisions_instead_of_describing_them(fleet):
    pipeline = daemon_pipeline()
    plan_calls(pipeline, fleet)
    plan, calls = plan_calls(pipeline, fleet)
    assert not plan.pending
    assert calls.get("DescribeTaskDefinition", 0) == 0
    assert calls["ListTaskDefinitions"] == 1
    assert calls["DescribeServices"] == 2 * 1  # still read every pass: a level-triggered comparison


def test_a_revision_registered_out_of_band_is_noticed_by_the_next_pass(fleet, ecs):
    pipeline = daemon_pipeline()
    plan_calls(pipeline, fleet)
    answer = ecs.describe_task_definition(taskDefinition="svc-0007", include=["TAGS"])
    described = answer["taskDefinition"]
    fields = ("family", "containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities")
    changed = {k: described[k] for k in fields}
    changed["containerDefinitions"] = [{**changed["containerDefinitions"][0], "image": "example/hijacked:6.6.6"}]
    ecs.register_task_definition(**changed, tags=answer["tags"])  # still carries the managed-by tag
    plan, calls = plan_calls(pipeline, fleet)
    assert calls["DescribeTaskDefinition"] == 1, "only the new revision is described"
    assert [str(a.address) for a in plan.actions if a.address.kind == "TaskDefinition"] == ["TaskDefinition svc-0007"]


def test_kept_descriptions_are_read_again_once_they_are_older_than_the_setting(fleet):
    pipeline = daemon_pipeline(keep_for=0.000001)
    plan_calls(pipeline, fleet)
    _, calls = plan_calls(pipeline, fleet)
    assert calls["DescribeTaskDefinition"] == SERVICES, "tags can change: what is kept expires"


def test_the_emulator_pages_the_listing_as_aws_does(fleet, ecs):
    first = ecs.list_task_definitions(status="ACTIVE", maxResults=10, sort="DESC")
    assert len(first["taskDefinitionArns"]) == 10 and first["nextToken"]
    assert first["taskDefinitionArns"][0].endswith("svc-0011:1")
