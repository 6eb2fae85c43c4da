"""The markdown plan (a PR comment): snapshot of a multi-resource change, truncation under GitHub's limit,
the one-line empty plan, and --output for every format."""

from __future__ import annotations

import json
import os
from pathlib import Path

from builders import SECURITY_GROUP, SERVICE, SUBNET, cluster, container, documents, service, task_definition

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Action, Plan, Reason, Update
from reconciler.core.render import COMMENT_LIMIT, COMMENT_MARKER, render_markdown

SNAPSHOT = Path(__file__).parent / "snapshots" / "plan.md"

CLUSTER = cluster(settings=None, capacityProviders=["FARGATE", "FARGATE_SPOT"])


def task(image: str = "example/api:1.0", mode: str = "prod") -> str:
    app = container(image=image, port=None, environment={"MODE": mode}, user="1000", readonlyRootFilesystem=True)
    return task_definition(taskRoleArn="arn:aws:iam::123456789012:role/api", containers=[app])


TASK = task()


def test_markdown_plan_of_a_multi_resource_change(aws, cli, manifests, roles, tmp_path):
    roles("api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, SERVICE)})
    assert cli("apply", root).code == 0
    changed_task = task("example/api:1.1", mode="production")
    vpc = {"subnets": [SUBNET], "assignPublicIp": "ENABLED", "securityGroups": [SECURITY_GROUP]}  # snapshot: line 12
    public = {"awsvpcConfiguration": vpc}
    worker = service("worker", taskDefinition="api", desiredCount=1, networkConfiguration=public)
    manifests({"api.yaml": documents(changed_task, service(desiredCount=3)), "worker.yaml": worker})
    out = tmp_path / "plan.md"

    result = cli("plan", root, "--format", "markdown", "--output", out)
    assert result.code == 2
    assert result.out == ""
    assert f"Plan written to {out}" in result.err
    text = out.read_text()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()


def test_the_readme_shows_the_snapshot():
    """The README's example PR comment is the snapshot above, so it stays what the tool really prints."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    shown = readme.split("````markdown\n", 1)[1].split("\n````\n", 1)[0] + "\n"
    assert shown == SNAPSHOT.read_text()


def test_no_changes_is_one_line(aws, cli, manifests, roles):
    roles("api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, SERVICE)})
    cli("apply", root)
    result = cli("plan", root, "--format", "markdown")
    assert result.code == 0
    assert result.out == (
        f"{COMMENT_MARKER}\n### ecs-reconciler plan for account 123456789012, region us-east-1, "
        "instance ecs-reconciler\n\n"
        "No changes. Live ECS matches the manifests.\n\n"
    )


def test_output_writes_any_format_and_keeps_the_exit_code(aws, cli, manifests, tmp_path):
    root = manifests({"prod.yaml": CLUSTER})
    for fmt in ("text", "json", "markdown"):
        out = tmp_path / f"plan.{fmt}"
        result = cli("plan", root, "--format", fmt, "--output", out)
        assert (result.code, result.out) == (2, "")
        assert "1 to create" in out.read_text() or json.loads(out.read_text())["summary"]["create"] == 1
    unwritable = cli("plan", root, "--output", tmp_path / "no" / "such" / "dir" / "plan.txt")
    assert unwritable.code == 1
    assert "cannot write" in unwritable.err


def big_plan(count: int) -> Plan:
    actions: list[Action] = []
    for i in range(count):
        env = [{"name": f"VAR_{j}", "value": "x" * 40} for j in range(20)]
        changes = tuple(FieldChange(f"containerDefinitions.app.environment.VAR_{j}", "old", "new") for j in range(20))
        changes += (FieldChange("containerDefinitions", ABSENT, [{"name": "app", "environment": env}]),)
        address = Address("TaskDefinition", f"family-{i:03d}")
        live, resource = Live(address, {}), Resource(address, {})
        actions.append(Update(address, resource, live, changes, Reason.NEW_REVISION))
    return Plan(tuple(actions))


def test_a_comment_over_the_limit_is_truncated_and_says_what_was_cut():
    plan = big_plan(120)
    whole = render_markdown(plan, limit=10**9)
    assert len(whole) > COMMENT_LIMIT

    comment = render_markdown(plan)
    assert len(comment) <= COMMENT_LIMIT
    assert comment.startswith(COMMENT_MARKER)
    assert "**Plan: 0 to create, 120 to update, 0 to replace, 0 to delete.**" in comment
    title = "`TaskDefinition family-{:03d}`\ncontent differs from the latest ACTIVE revision"
    shown = [i for i in range(120) if title.format(i) in comment]
    assert shown == list(range(len(shown))) and 0 < len(shown) < 120  # the first ones, whole
    assert (
        f"the diffs of {120 - len(shown)} of 120 resources are not shown (`TaskDefinition family-{len(shown):03d}`"
        in (comment)
    )
    assert comment.count("<details>") == comment.count("</details>") == len(shown)  # long diffs fold
    assert comment.count("```") % 2 == 0  # every fence that opens, closes


def test_a_small_plan_fits_whole():
    plan = big_plan(2)
    assert "Truncated" not in render_markdown(plan)
