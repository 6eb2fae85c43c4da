"""The pull-request deploy files: plan and export make no write call, and every call they make is allowed by the
read-only policy in deploy/iam-policy-plan.json; the workflow runs validate and the markdown plan."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import yaml
from conftest import NEEDS_NO_PERMISSION, allowed_actions

from reconciler.core.render import COMMENT_MARKER

ROOT = Path(__file__).resolve().parent.parent
POLICY = json.loads((ROOT / "deploy" / "iam-policy-plan.json").read_text())
WORKFLOW = ROOT / "deploy" / "github-actions" / "plan.yml"


def test_plan_and_export_only_read_and_the_policy_allows_every_read(aws, cli, ecs, example, tmp_path):
    assert cli("apply", example).code == 0
    boto3.client("ssm").put_parameter(Name="/web/level", Value="debug", Type="String")
    web = (example / "web.yaml").read_text()
    (example / "web.yaml").write_text(web.replace("value: ${LOG_LEVEL:-info}", 'value: "${ssm:/web/level}"'))
    (example / "gone.yaml").write_text("")  # the tree still plans with --prune when a file is empty
    aws.reset_calls()
    before = len(aws.tool_calls)

    plan = cli("plan", example, "--prune", "--format", "markdown")
    assert plan.code == 2, plan.err
    planned = len(aws.tool_calls)
    exported = cli("export", "--cluster", "demo", "--output", tmp_path / "exported")
    assert exported.code == 0, exported.err

    assert aws.writes() == []
    used = set(aws.tool_calls[before:])
    assert {"ecs:DescribeServices", "ecs:ListServices", "ssm:GetParameters"} <= used
    # export reads the example's log group and its auto scaling too
    assert {
        "logs:DescribeLogGroups",
        "logs:ListTagsForResource",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DescribeScheduledActions",
        "application-autoscaling:ListTagsForResource",
    } <= set(aws.tool_calls[planned:])
    needed = used - NEEDS_NO_PERMISSION  # the plan's header names the account: GetCallerIdentity is always allowed
    assert needed <= allowed_actions(POLICY), needed - allowed_actions(POLICY)
    assert not any(
        a.split(":")[1].startswith(("Create", "Update", "Delete", "Put", "Register")) for a in allowed_actions(POLICY)
    )


def test_workflow_validates_and_posts_one_sticky_markdown_comment():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["permissions"]["id-token"] == "write"
    steps = workflow["jobs"]["plan"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "ecs-reconciler validate" in commands
    assert "--format markdown --output plan.md" in commands
    role = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert "role-to-assume" in role["with"]
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script"))["with"]["script"]
    assert COMMENT_MARKER in comment and "updateComment" in comment and "createComment" in comment
