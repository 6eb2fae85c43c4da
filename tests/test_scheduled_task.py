"""ScheduledTask end to end against the emulator's EventBridge Scheduler: the schedule runs the revision the tool
manages and follows a new one; the plan is empty after apply; prune deletes a schedule removed from the manifests."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from builders import CLUSTER, TASK, scheduled_task, task_definition
from conftest import REGION

from reconciler.core.settings import MANAGED_TAG_KEY

SCHEDULE = scheduled_task()


@pytest.fixture
def scheduler(aws):
    return boto3.client("scheduler", endpoint_url=aws.endpoint_url, region_name=REGION)


def schedule(scheduler: Any) -> dict[str, Any]:
    found: dict[str, Any] = scheduler.get_schedule(Name="nightly-report", GroupName="ecs-reconciler")
    return found


def test_a_scheduled_task_runs_the_managed_revision_and_follows_a_new_one(aws, cli, scheduler, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK, "report.yaml": SCHEDULE})
    planned = cli("plan", root)
    assert planned.code == 2, planned.err
    assert "ScheduledTask ecs-reconciler/nightly-report" in planned.out
    assert cli("apply", root).code == 0

    first = schedule(scheduler)
    ecs = first["Target"]["EcsParameters"]
    assert ecs["TaskDefinitionArn"].endswith(":task-definition/api:1")
    assert first["Target"]["Arn"].endswith(":cluster/prod")
    assert first["ScheduleExpressionTimezone"] == "Europe/Berlin"
    group = scheduler.get_schedule_group(Name="ecs-reconciler")
    tags = scheduler.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"]
    assert MANAGED_TAG_KEY in {t["Key"] for t in tags}

    aws.reset_calls()
    assert cli("plan", root).out.splitlines()[1].startswith("No changes.")
    assert aws.writes() == []

    manifests({"api.yaml": task_definition(image="example/api:1.1")})
    planned = cli("plan", root)
    assert "ScheduledTask ecs-reconciler/nightly-report" in planned.out
    assert "api:(new revision)" in planned.out
    applied = cli("apply", root)
    assert applied.code == 0, applied.err
    assert schedule(scheduler)["Target"]["EcsParameters"]["TaskDefinitionArn"].endswith(":task-definition/api:2")
    assert cli("plan", root).out.splitlines()[1].startswith("No changes.")


def test_a_schedule_changed_out_of_band_is_drift_and_prune_deletes_a_removed_one(aws, cli, scheduler, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK, "report.yaml": SCHEDULE})
    assert cli("apply", root).code == 0
    live = schedule(scheduler)
    scheduler.update_schedule(
        Name="nightly-report",
        GroupName="ecs-reconciler",
        ScheduleExpression="cron(0 4 * * ? *)",
        ScheduleExpressionTimezone=live["ScheduleExpressionTimezone"],
        FlexibleTimeWindow=live["FlexibleTimeWindow"],
        Target=live["Target"],
    )
    drift = cli("plan", root)
    assert drift.code == 2
    assert "scheduleExpression" in drift.out
    assert cli("apply", root).code == 0
    assert schedule(scheduler)["ScheduleExpression"] == "cron(0 3 * * ? *)"

    root = manifests({"prod.yaml": CLUSTER, "api.yaml": TASK}, fresh=True)
    assert cli("apply", root, "--prune").code == 0
    assert scheduler.list_schedules(GroupName="ecs-reconciler")["Schedules"] == []


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (("cron(0 3 * * ? *)", "every night"), "spec.scheduleExpression", "is not a schedule: use at("),
        (("    roleArn: arn:aws:iam::123456789012:role/scheduler-run-task\n", ""), "spec.target", "'roleArn'"),
        (("arn: prod", "arn: prod cluster"), "spec.target.arn", "the cluster to run in"),
    ],
)
def test_a_bad_schedule_fails_validate_naming_the_field(cli, manifests, change, where, message):
    result = cli("validate", manifests({"report.yaml": SCHEDULE.replace(*change)}))
    assert result.code == 1
    assert "report.yaml:" in result.err and where in result.err and message in result.err
