"""Targets: one manifest tree, several AWS accounts and regions (a Target document per folder, its role assumed).

The emulator keeps each account apart as AWS does: credentials from STS AssumeRole act in the role's account."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_state import make_lease_table
from conftest import REGION, eventually
from daemon_io import get

from reconciler.aws import Aws
from reconciler.core.errors import ManifestError
from reconciler.core.loader import load_text
from reconciler.core.settings import AwsSettings, PaceSettings
from reconciler.core.targets import Target, split
from reconciler.daemon.source import Snapshot, fingerprint, select
from reconciler.pacing import Bucket, Pacer

PAYMENTS, SEARCH = "111111111111", "222222222222"
INSTANCE = "instance ecs-reconciler"
"""How a plan header names the default instance."""

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
    assert f"Planned against target payments (account {PAYMENTS}, region {REGION}, {INSTANCE})." in plan.out
    assert f"Planned against target search (account {SEARCH}, region eu-west-1, {INSTANCE})." in plan.out
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
    status = cli("status", root)
    assert status.code == 0, status.out
    rows = {line.split("  ")[0] for line in status.out.splitlines()[1:]}
    assert rows == {"payments: Cluster apps", "search: Cluster apps", "search: LogGroup /ecs/search"}


def test_prune_in_one_target_leaves_the_other_account_alone(aws, cli, manifests):
    root = manifests(TREE)
    assert cli("apply", root, "--auto-approve").code == 0
    manifests({"search/apps/cluster.yaml": "# gone\n"})

    pruned = cli("apply", root, "--auto-approve", "--prune")

    assert pruned.code == 0, pruned.out + pruned.err
    assert clusters(client(aws, "ecs", SEARCH, "eu-west-1")) == set()
    assert clusters(client(aws, "ecs", PAYMENTS, REGION)) == {"apps"}


def test_targets_are_applied_in_turn_and_a_failing_one_stops_those_after_it(aws, cli, manifests):
    root = manifests(TREE)
    aws.hooks.append(lambda operation: (400, "ClientException", "refused") if operation == "CreateCluster" else None)

    result = cli("apply", root, "--auto-approve")

    assert result.code == 1
    failed = f"target payments (account {PAYMENTS}, region {REGION}, {INSTANCE}) failed"
    assert f"Not applied, as {failed}: target search" in result.err
    assert clusters(client(aws, "ecs", SEARCH, "eu-west-1")) == set()
    assert not client(aws, "logs", SEARCH, "eu-west-1").describe_log_groups()["logGroups"]


def test_the_pull_request_plan_groups_changes_by_target(aws, cli, manifests):
    root = manifests(TREE)

    markdown = cli("plan", root, "--format", "markdown")
    document = json.loads(cli("plan", root, "--format", "json").out)

    assert markdown.code == 2
    assert markdown.out.count("<!-- ecs-reconciler-plan -->") == 1
    heading = "### ecs-reconciler plan for target"
    assert f"{heading} payments (account {PAYMENTS}, region {REGION}, {INSTANCE})" in markdown.out
    assert f"{heading} search (account {SEARCH}, region eu-west-1, {INSTANCE})" in markdown.out
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
        ("{region: eu-wset-1}", "spec.region", "'eu-wset-1' is not an AWS region (did you mean eu-west-1?)"),
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


def test_a_role_that_cannot_be_assumed_is_named_with_aws_s_answer(aws, cli, manifests):
    denied = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole"
    aws.hooks.append(lambda operation: (403, "AccessDenied", denied) if operation == "AssumeRole" else None)

    result = cli("plan", manifests(TREE))

    assert result.code == 1
    assert "target payments (payments/target.yaml): the credentials reach AWS account (unknown: AccessDenied: " in (
        result.err
    )
    assert denied in result.err
    assert not [c for c in aws.calls if c.startswith(("Describe", "List"))]


def test_validate_counts_resources_per_target(cli, manifests, tmp_path: Path):
    result = cli("validate", manifests(TREE))

    assert result.code == 0, result.err
    assert "3 resources valid in" in result.out and "(payments: 1, search: 2)" in result.out


def test_one_daemon_serves_every_target_with_its_own_lease_and_metrics(aws, daemon, gitsync):
    make_lease_table(aws)
    gitsync.publish(TREE)
    proc = daemon(
        gitsync.link, "--resync-interval", "1", "--metrics-port", "0", "--prune",
        "--lease-table", "leases", "--lease-duration", "3", "--lease-renew", "0.5",
    )  # fmt: skip
    payments, search = client(aws, "ecs", PAYMENTS, REGION), client(aws, "ecs", SEARCH, "eu-west-1")

    eventually(lambda: clusters(payments) == {"apps"} and clusters(search) == {"apps"}, what="both targets applied")
    port = proc.wait_for_event("serving metrics")["port"]
    eventually(lambda: get(f"http://127.0.0.1:{port}/readyz")[0] == 200, what="every target ready")
    status = json.loads(get(f"http://127.0.0.1:{port}/status")[1])
    assert set(status["targets"]) == {"payments", "search"}
    metrics = get(f"http://127.0.0.1:{port}/metrics")[1]
    assert 'ecs_reconciler_leader{target="payments"} 1.0' in metrics
    assert 'ecs_reconciler_leader{target="search"} 1.0' in metrics
    assert 'operation="CreateCluster",service="ecs",target="search"' in metrics
    leases = boto3.client("dynamodb", endpoint_url=aws.endpoint_url, region_name=REGION).scan(TableName="leases")
    names = {item["name"]["S"] for item in leases["Items"]}
    heartbeats = {n for n in names if n.startswith("ecs-reconciler/replicas/")}
    assert names - heartbeats == {"ecs-reconciler/payments", "ecs-reconciler/search"}
    assert len(heartbeats) == 1, "the replica's heartbeat"

    # The search Target leaves git: its daemon stops, and nothing of it is pruned (its manifests went with it).
    later = {k: v for k, v in TREE.items() if k != "search/target.yaml"}
    later = {k: v for k, v in later.items() if not k.startswith("search/")}
    gitsync.publish({**later, "payments/more.yaml": TREE["payments/cluster.yaml"].replace("apps", "more")})
    eventually(lambda: clusters(payments) == {"apps", "more"}, what="the payments target follows git")
    proc.wait_for_event("target no longer declared as it was; its daemon stops", target="search")
    assert clusters(search) == {"apps"}
    assert proc.stop() == 0


def snapshot_of(files: dict[str, str]) -> Snapshot:
    documents = [d for name, text in files.items() for d in load_text(textwrap.dedent(text).encode(), file=name)[0]]
    return Snapshot("/worktree", "abc", documents, [], fingerprint(documents, []))


SEARCH_TARGET = split(snapshot_of(TREE).documents).targets[1]


def test_a_targets_daemon_plans_nothing_once_its_target_is_gone_or_changed():
    assert SEARCH_TARGET.name == "search"
    mine = select(snapshot_of(TREE), SEARCH_TARGET, {})
    assert mine is not None and {d.file for d in mine.documents} == {
        "search/apps/cluster.yaml",
        "search/apps/logs.yaml",
    }

    removed = {k: v for k, v in TREE.items() if k != "search/target.yaml"}
    moved = {**TREE, "search/target.yaml": TREE["search/target.yaml"].replace("eu-west-1", "eu-central-1")}
    assert select(snapshot_of(removed), SEARCH_TARGET, {}) is None  # its manifests now belong to the default target
    assert select(snapshot_of(moved), SEARCH_TARGET, {}) is None  # another region: a new daemon serves it
    assert select(snapshot_of(TREE), Target(), {}) is None  # every manifest is under a Target: no default daemon


def test_a_broken_target_document_stops_every_targets_plan_and_is_reported():
    broken = {**TREE, "search/target.yaml": TREE["search/target.yaml"].replace("eu-west-1", "eu-west")}
    payments = split(snapshot_of(TREE).documents).targets[0]

    mine = select(snapshot_of(broken), payments, {})

    assert mine is not None and mine.documents == []
    assert [(e.file, e.field) for e in mine.errors] == [("search/target.yaml", "spec.region")]


def test_a_broken_manifest_under_one_target_stops_that_target_only():
    payments, search = split(snapshot_of(TREE).documents).targets
    good = snapshot_of(TREE)
    error = ManifestError("search/apps/bad.yaml", "expected a mapping", line=3)
    snapshot = Snapshot(good.folder, "abc", good.documents, [error], fingerprint(good.documents, [error]))

    theirs, mine = select(snapshot, search, {}), select(snapshot, payments, {})

    assert theirs is not None and [e.file for e in theirs.errors] == ["search/apps/bad.yaml"]
    assert mine is not None and mine.errors == [], "the other target plans as before"
    before = select(good, payments, {})
    assert before is not None and mine.fingerprint == before.fingerprint, "no new revision for the other target"


def test_a_targets_credential_refresh_waits_for_a_token_of_the_assuming_accounts_sts_bucket(aws):
    """botocore sends the refresh's AssumeRole itself, not through ``Aws.call``: it still takes a token from the STS
    bucket of the boundary whose credentials assume the role (STS charges that account), waiting when it is empty."""
    waits: list[float] = []
    parent = Aws(AwsSettings(region=REGION, endpoint_url=aws.endpoint_url, pace=PaceSettings(enabled=True)))
    sts = Bucket("sts", "sts", frozenset({"AssumeRole"}), 2, 1, "one token, then one a second")
    parent.pacer = Pacer(PaceSettings(), buckets=(sts,), clock=lambda: 0.0, sleep=waits.append)
    parent.pacer.take("sts", "AssumeRole")  # the bucket is now empty
    role = f"arn:aws:iam::{PAYMENTS}:role/ecs-reconciler-target"
    aws.reset_calls()

    child = parent.for_target(Target(name="payments", region=REGION, role_arn=role))

    assert child.account() == PAYMENTS
    assert waits == [pytest.approx(1.0)], "the refresh waited one second for its token"
    assert aws.calls.count("AssumeRole") == 1 and parent.calls["AssumeRole"] == 1
