"""End to end through the command line, against the emulator over HTTP: what a user sees and what AWS holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_state import described_service, tags_of
from builders import APP, CLUSTER, SECRET, SERVICE, TASK, cluster, documents, service, tags, task_definition

from reconciler.core.settings import MANAGED_TAG_KEY


def test_bundled_example_plans_applies_and_converges(aws, cli, example):
    first = cli("plan", example)
    assert first.code == 2
    assert "5 to create" in first.out

    applied = cli("apply", example)
    assert applied.code == 0, applied.err
    assert "No changes" in applied.out.split("Plan after apply:")[1]

    aws.reset_calls()
    again = cli("plan", example)
    assert again.code == 0
    assert again.out.splitlines()[1] == "No changes. Live ECS matches the manifests."
    assert aws.writes() == []

    second_apply = cli("apply", example)
    assert second_apply.code == 0
    assert aws.writes() == []


def test_apply_creates_what_the_manifests_say(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    assert cli("apply", root).code == 0

    cluster = ecs.describe_clusters(clusters=["prod"], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert {"key": MANAGED_TAG_KEY, "value": "ecs-reconciler"} in cluster["tags"], "the default instance"
    svc = described_service(ecs)
    assert svc["taskDefinition"].endswith("task-definition/api:1")
    assert svc["desiredCount"] == 2
    assert svc["launchType"] == "FARGATE"
    assert tags_of(ecs, svc["serviceArn"])[MANAGED_TAG_KEY] == "ecs-reconciler"
    # AWS's own defaults are what the service runs with when the manifest says nothing.
    assert svc["deploymentConfiguration"]["maximumPercent"] == 200


def test_plan_never_shows_secret_values(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    text = cli("plan", root)
    as_json = cli("plan", root, "--format", "json")
    for output in (text.out, as_json.out, text.err):
        assert SECRET not in output
    assert "(sensitive value)" in text.out
    assert "prod" in text.out  # ordinary values are shown


def test_json_plan_contract(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    result = cli("plan", root, "--format", "json")
    assert result.code == 2
    plan = json.loads(result.out)
    assert plan["summary"] == {
        "create": 3,
        "update": 0,
        "replace": 0,
        "delete": 0,
        "retag": 0,
        "run": 0,
        "continue": 0,
        "stop": 0,
    }
    assert [c["reason"] for c in plan["changes"]] == ["missing"] * 3
    assert [(c["action"], c["kind"], c["name"], c["scope"]) for c in plan["changes"]] == [
        ("create", "Cluster", "prod", None),
        ("create", "TaskDefinition", "api", None),
        ("create", "Service", "api", "prod"),
    ]
    assert {"path": "desiredCount", "before": None, "after": 2} in plan["changes"][2]["diff"]

    cli("apply", root)
    empty = json.loads(cli("plan", root, "--format", "json").out)
    assert empty["changes"] == [] and empty["summary"]["update"] == 0


def test_drift_out_of_band_is_reported_on_the_right_field_and_healed(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cli("apply", root)
    ecs.update_service(cluster="prod", service="api", desiredCount=7)
    ecs.update_cluster(cluster="prod", settings=[{"name": "containerInsights", "value": "disabled"}])

    drift = cli("plan", root, "--format", "json")
    assert drift.code == 2
    changes = {(c["kind"], c["name"]): c for c in json.loads(drift.out)["changes"]}
    assert set(changes) == {("Service", "api"), ("Cluster", "prod")}
    assert changes[("Service", "api")]["diff"] == [{"path": "desiredCount", "before": 7, "after": 2}]
    assert changes[("Cluster", "prod")]["diff"] == [
        {"path": "settings.containerInsights", "before": "disabled", "after": "enabled"}
    ]

    healed = cli("apply", root)
    assert healed.code == 0
    assert described_service(ecs)["desiredCount"] == 2
    assert cli("plan", root).code == 0


def test_image_change_registers_exactly_one_revision_and_rolls_the_service(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cli("apply", root)
    manifests({"api.yaml": documents(task_definition(image="example/api:1.1"), SERVICE)})

    plan = cli("plan", root)
    assert plan.code == 2
    assert '~ containerDefinitions.app.image: "example/api:1.0" -> "example/api:1.1"' in plan.out
    assert '~ taskDefinition: "api:1" -> "api:(new revision)"' in plan.out

    assert cli("apply", root).code == 0
    revisions = ecs.list_task_definitions(familyPrefix="api")["taskDefinitionArns"]
    assert sorted(r.rsplit(":", 1)[1] for r in revisions) == ["1", "2"]
    assert described_service(ecs)["taskDefinition"].endswith("task-definition/api:2")
    assert cli("apply", root).code == 0
    assert len(ecs.list_task_definitions(familyPrefix="api")["taskDefinitionArns"]) == 2


def test_old_revisions_beyond_the_limit_are_deregistered_but_not_one_in_use(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cli("apply", root)
    for version in range(2, 6):
        manifests({"api.yaml": documents(task_definition(image=f"example/api:{version}"), SERVICE)})
        assert cli("apply", root, "--keep-revisions", "2").code == 0
    active = ecs.list_task_definitions(familyPrefix="api", status="ACTIVE")["taskDefinitionArns"]
    assert sorted(int(a.rsplit(":", 1)[1]) for a in active) == [4, 5]

    # A revision a service still runs survives, even when it is old.
    ecs.update_service(cluster="prod", service="api", taskDefinition="api:4")
    manifests({"api.yaml": documents(task_definition(image="example/api:6"), SERVICE)})
    cli("apply", root, "--keep-revisions", "1")
    active = ecs.list_task_definitions(familyPrefix="api", status="ACTIVE")["taskDefinitionArns"]
    assert sorted(int(a.rsplit(":", 1)[1]) for a in active) == [4, 6]


def test_prune_deletes_only_managed_resources_and_only_when_asked(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cli("apply", root)
    # Something the tool does not manage, in the same cluster.
    ecs.create_service(
        cluster="prod",
        serviceName="hand-made",
        taskDefinition="api:1",
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d4e5f60001"], "securityGroups": ["sg-0a1b2c3d4e5f60001"]}
        },
    )
    manifests({"api.yaml": TASK}, fresh=True)
    manifests({"prod.yaml": CLUSTER})

    without = cli("plan", root)
    assert without.code == 0, without.out
    assert described_service(ecs)["status"] == "ACTIVE"

    planned = cli("plan", root, "--prune", "--format", "json")
    assert planned.code == 2
    assert [(c["action"], c["kind"], c["name"]) for c in json.loads(planned.out)["changes"]] == [
        ("delete", "Service", "api")
    ]
    assert cli("apply", root, "--prune").code == 0
    assert described_service(ecs)["status"] == "INACTIVE"
    assert described_service(ecs, "hand-made")["status"] == "ACTIVE"


def test_prune_refuses_beyond_the_deletion_guard_and_on_an_empty_manifest_set(aws, cli, ecs, manifests, tmp_path):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cli("apply", root)
    only_cluster = manifests({"prod.yaml": CLUSTER}, fresh=True)

    aws.reset_calls()
    refused = cli("apply", only_cluster, "--prune", "--max-deletions", "1")
    assert refused.code == 1
    assert "more than the limit of 1" in refused.err
    assert aws.writes() == []

    empty = tmp_path / "empty"
    empty.mkdir()
    skipped = cli("apply", empty, "--prune")
    assert skipped.code == 1
    assert "no manifests found in" in skipped.err
    assert aws.writes() == []
    assert described_service(ecs)["status"] == "ACTIVE"


def test_unmanaged_same_named_resource_is_left_alone_unless_adopted(aws, cli, ecs, manifests):
    ecs.create_cluster(clusterName="prod")
    root = manifests({"prod.yaml": CLUSTER})

    plan = cli("plan", root)
    assert plan.code == 2
    assert "Cluster prod exists but is not managed by ecs-reconciler" in plan.out
    aws.reset_calls()
    left = cli("apply", root)
    assert left.code == 1
    assert aws.writes() == []

    adopted = cli("apply", root, "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    cluster = ecs.describe_clusters(clusters=["prod"], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert tags_of(ecs, cluster["clusterArn"])[MANAGED_TAG_KEY] == "ecs-reconciler"
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cli("plan", root).code == 0


SPOT = {"capacityProvider": "FARGATE_SPOT", "weight": 1}


def test_a_change_aws_cannot_make_in_place_is_a_replace_refused_without_the_flag(aws, cli, ecs, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cli("apply", root)
    old_arn = described_service(ecs)["serviceArn"]
    manifests({"api.yaml": documents(TASK, service(launchType=None, capacityProviderStrategy=[SPOT]))})

    plan = cli("plan", root)
    assert plan.code == 2
    assert "-/+ Service prod/api" in plan.out
    assert "(forced by capacityProviderStrategy; delete, then create)" in plan.out
    assert "apply needs --allow-replace" in plan.out
    [change] = json.loads(cli("plan", root, "--format", "json").out)["changes"]
    assert (change["reason"], change["order"], change["forcedBy"]) == (
        "launch-switch",
        "delete-then-create",
        ["capacityProviderStrategy"],
    )

    aws.reset_calls()
    refused = cli("apply", root)
    assert refused.code == 1
    assert "--allow-replace" in refused.err
    assert aws.writes() == []

    replaced = cli("apply", root, "--allow-replace")
    assert replaced.code == 0, replaced.out + replaced.err
    svc = described_service(ecs)
    assert svc["status"] == "ACTIVE" and "launchType" not in svc
    assert svc["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    assert svc["serviceArn"] == old_arn  # same name, new service


def test_tag_only_change_retags_without_a_new_revision(aws, cli, ecs, manifests):
    root = manifests({"api.yaml": task_definition(tags=tags(owner="a"))})
    cli("apply", root)
    manifests({"api.yaml": task_definition(tags=tags(owner="b"))})
    plan = cli("plan", root)
    assert '~ tags.owner: "a" -> "b"' in plan.out
    assert cli("apply", root).code == 0
    arns = ecs.list_task_definitions(familyPrefix="api")["taskDefinitionArns"]
    assert len(arns) == 1
    assert tags_of(ecs, arns[0])["owner"] == "b"


def test_service_may_use_a_live_family_not_in_the_manifests(aws, cli, ecs, manifests):
    ecs.create_cluster(clusterName="shared")
    ecs.register_task_definition(family="legacy", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}])
    root = manifests({"svc.yaml": service(cluster="shared", taskDefinition="legacy", launchType="EC2")})
    result = cli("apply", root)
    assert result.code == 0, result.out + result.err
    assert described_service(ecs, cluster="shared")["taskDefinition"].endswith("legacy:1")


def test_retryable_errors_are_retried_and_others_fail_fast(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER})
    failures = {"CreateCluster": 2}

    def throttle(operation: str):
        if failures.get(operation, 0) > 0:
            failures[operation] -= 1
            return (400, "ThrottlingException", "Rate exceeded")
        return None

    aws.hooks.append(throttle)
    assert cli("apply", root).code == 0
    assert aws.calls.count("CreateCluster") == 3

    aws.hooks[:] = [lambda op: (400, "AccessDeniedException", "not allowed") if op == "UpdateCluster" else None]
    manifests({"prod.yaml": cluster(settings=[{"name": "containerInsights", "value": "disabled"}])})
    aws.reset_calls()
    denied = cli("apply", root)
    assert denied.code == 1
    assert "UpdateCluster prod: AccessDeniedException: not allowed" in denied.err
    assert aws.calls.count("UpdateCluster") == 1


def test_validate_is_offline(aws, cli, example):
    result = cli("validate", example)
    assert result.code == 0
    assert "5 resources valid" in result.out
    assert aws.calls == []


@pytest.mark.emulator
def test_embedded_aws_needs_no_account(cli, example, monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(Path("/nonexistent")))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path("/nonexistent")))
    result = cli("apply", example, "--embedded-aws")
    assert result.code == 0, result.err
    assert "Embedded AWS emulator" in result.err
    assert "Plan after apply:\nNo changes." in result.out


def test_prune_keeps_the_cluster_and_family_a_declared_service_uses(aws, cli, ecs, example, manifests):
    assert cli("apply", example).code == 0
    root = manifests(
        {
            "api.yaml": """\
            apiVersion: ecs-reconciler/v1
            kind: Service
            metadata: {name: api}
            spec: {cluster: demo, taskDefinition: web, desiredCount: 1, launchType: EC2}
            """
        }
    )

    planned = cli("plan", root, "--prune", "--format", "json")  # the same (default) instance, whatever the folder

    changes = {(c["action"], c["kind"], c["name"]) for c in json.loads(planned.out)["changes"]}
    # web's scaling goes with web; the cluster, the family api runs and the log group it writes to stay.
    assert changes == {("create", "Service", "api"), ("delete", "Service", "web"), ("delete", "ScalingPolicy", "web")}
    assert "Cluster demo is not in the manifests but a declared resource uses it; kept" in planned.out
    assert "LogGroup /ecs/demo/web is not in the manifests but a declared resource uses it; kept" in planned.out
    assert cli("apply", root, "--prune").code == 0
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["status"] == "ACTIVE"
    assert ecs.list_task_definitions(familyPrefix="web", status="ACTIVE")["taskDefinitionArns"]
    assert described_service(ecs, "api", cluster="demo")["status"] == "ACTIVE"
