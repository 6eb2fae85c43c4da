"""Targets: one manifest tree, several AWS accounts and regions (a Target document per folder, its role assumed).

The emulator keeps each account apart as AWS does: credentials from STS AssumeRole act in the role's account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import REGION

PAYMENTS, SEARCH = "111111111111", "222222222222"

TREE = {
    "payments/target.yaml": f"""
        apiVersion: ecs-reconciler/v1
        kind: Target
        metadata: {{name: payments}}
        spec:
          region: {REGION}
          roleArn: arn:aws:iam::{PAYMENTS}:role/ecs-reconciler-target
    """,
    "payments/cluster.yaml": """
        apiVersion: ecs-reconciler/v1
        kind: Cluster
        metadata: {name: apps}
        spec: {}
    """,
    "search/target.yaml": f"""
        apiVersion: ecs-reconciler/v1
        kind: Target
        metadata: {{name: search}}
        spec:
          region: eu-west-1
          roleArn: arn:aws:iam::{SEARCH}:role/ecs-reconciler-target
          accountId: "{SEARCH}"
    """,
    "search/apps/cluster.yaml": """
        apiVersion: ecs-reconciler/v1
        kind: Cluster
        metadata: {name: apps}
        spec: {}
    """,
    "search/apps/logs.yaml": """
        apiVersion: ecs-reconciler/v1
        kind: LogGroup
        metadata: {name: /ecs/search}
        spec: {retentionInDays: 7}
    """,
}


def client(aws: Any, service: str, account: str, region: str) -> Any:
    """A boto3 client acting in ``account`` (a role assumed there, as the tool does)."""
    sts = boto3.client("sts", endpoint_url=aws.endpoint_url, region_name=region)
    found = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/test", RoleSessionName="test")["Credentials"]
    return boto3.client(
        service,
        endpoint_url=aws.endpoint_url,
        region_name=region,
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    )


def clusters(ecs: Any) -> set[str]:
    return {arn.rsplit("/", 1)[-1] for arn in ecs.list_clusters()["clusterArns"]}


def test_two_targets_in_two_accounts_each_get_only_their_own_resources(aws, cli, ecs, manifests):
    root = manifests(TREE)

    plan = cli("plan", root)
    assert plan.code == 2, plan.err
    assert f"Planned against target payments (account {PAYMENTS}, region {REGION})." in plan.out
    assert f"Planned against target search (account {SEARCH}, region eu-west-1)." in plan.out
    assert plan.out.index("target payments") < plan.out.index("target search")

    applied = cli("apply", root, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err

    payments = client(aws, "ecs", PAYMENTS, REGION)
    search = client(aws, "ecs", SEARCH, "eu-west-1")
    assert clusters(payments) == {"apps"}
    assert clusters(search) == {"apps"}
    assert clusters(ecs) == set()  # the process's own account: nothing declared there
    assert client(aws, "ecs", SEARCH, REGION).list_clusters()["clusterArns"] == []  # the target's region only
    groups = client(aws, "logs", SEARCH, "eu-west-1").describe_log_groups()["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [("/ecs/search", 7)]
    assert client(aws, "logs", PAYMENTS, REGION).describe_log_groups()["logGroups"] == []

    again = cli("plan", root)
    assert again.code == 0, again.out + again.err
    assert again.out.count("No changes.") == 2


def test_prune_in_one_target_leaves_the_other_account_alone(aws, cli, manifests):
    root = manifests(TREE)
    assert cli("apply", root, "--auto-approve").code == 0
    manifests({"search/apps/cluster.yaml": "# gone\n"})

    pruned = cli("apply", root, "--auto-approve", "--prune")

    assert pruned.code == 0, pruned.out + pruned.err
    assert clusters(client(aws, "ecs", SEARCH, "eu-west-1")) == set()
    assert clusters(client(aws, "ecs", PAYMENTS, REGION)) == {"apps"}


def test_the_pull_request_plan_groups_changes_by_target(aws, cli, manifests):
    root = manifests(TREE)

    markdown = cli("plan", root, "--format", "markdown")
    document = json.loads(cli("plan", root, "--format", "json").out)

    assert markdown.code == 2
    assert markdown.out.count("<!-- ecs-reconciler-plan -->") == 1
    assert f"### ecs-reconciler plan for target payments (account {PAYMENTS}, region {REGION})" in markdown.out
    assert f"### ecs-reconciler plan for target search (account {SEARCH}, region eu-west-1)" in markdown.out
    assert [(t["target"], t["account"], t["region"]) for t in document["targets"]] == [
        ("payments", PAYMENTS, REGION),
        ("search", SEARCH, "eu-west-1"),
    ]
    assert {(c["kind"], c["name"]) for c in document["targets"][1]["changes"]} == {
        ("Cluster", "apps"),
        ("LogGroup", "/ecs/search"),
    }


def test_manifests_under_no_target_stay_in_the_processs_own_account(aws, cli, ecs, manifests):
    root = manifests({**TREE, "shared.yaml": TREE["payments/cluster.yaml"].replace("apps", "shared")})

    assert cli("apply", root, "--auto-approve").code == 0

    assert clusters(ecs) == {"shared"}
    assert clusters(client(aws, "ecs", PAYMENTS, REGION)) == {"apps"}


def test_two_targets_reaching_one_account_and_region_are_refused(aws, cli, manifests):
    tree = dict(TREE)
    tree["search/target.yaml"] = TREE["payments/target.yaml"].replace("payments}", "search}")
    root = manifests(tree)

    result = cli("apply", root, "--auto-approve")

    assert result.code == 1
    assert f"targets payments and search both reach account {PAYMENTS}, region {REGION}" in result.err
    assert set(aws.writes()) <= {"AssumeRole"}


@pytest.mark.parametrize(
    ("spec", "field", "says"),
    [
        ("{region: eu-west}", "spec.region", "expected an AWS region"),
        ("{region: eu-west-1, roleArn: my-role}", "spec.roleArn", "expected an IAM role ARN"),
        (
            f"{{region: eu-west-1, roleArn: 'arn:aws:iam::{PAYMENTS}:role/x', accountId: '{SEARCH}'}}",
            "spec.accountId",
            f"not the account of spec.roleArn ({PAYMENTS})",
        ),
        ("{region: eu-west-1, rolearn: x}", "spec.rolearn", "unknown field 'rolearn'"),
    ],
)
def test_a_bad_target_fails_validate_and_plan_naming_file_and_field_with_no_aws_call(
    aws, cli, manifests, spec, field, says
):
    tree = dict(TREE)
    tree["search/target.yaml"] = (
        "apiVersion: ecs-reconciler/v1\nkind: Target\nmetadata: {name: search}\nspec: " + spec + "\n"
    )
    root = manifests(tree)

    for command in ("validate", "plan"):
        result = cli(command, root)
        assert result.code == 1, result.out
        assert "search/target.yaml" in result.err and field in result.err and says in result.err
    assert aws.calls == []


def test_a_target_whose_credentials_reach_another_account_is_refused_before_any_read(aws, cli, manifests, monkeypatch):
    tree = dict(TREE)
    tree["search/target.yaml"] = f"""
        apiVersion: ecs-reconciler/v1
        kind: Target
        metadata: {{name: search}}
        spec: {{region: eu-west-1, accountId: "{SEARCH}"}}
    """
    root = manifests(tree)

    result = cli("plan", root)

    assert result.code == 1
    assert "target search (search/target.yaml): the credentials reach AWS account 123456789012, not" in result.err
    assert not [c for c in aws.calls if c.startswith(("Describe", "List"))]


def test_validate_counts_resources_per_target(cli, manifests, tmp_path: Path):
    result = cli("validate", manifests(TREE))

    assert result.code == 0, result.err
    assert "3 resources valid in" in result.out and "(payments: 1, search: 2)" in result.out
