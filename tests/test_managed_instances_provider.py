"""ManagedInstancesProvider end to end against the emulator: the example's cluster, Managed Instances provider, task
definition and service created in one apply (cluster first, then the provider in it), then an empty plan; each
field changed in place or, where AWS cannot update it, a replace refused unless allowed; prune deletes it naming its
cluster; export writes it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from builders import copy_example, edit_example, keep_documents
from cli_flows import changed_in_place, created_then_planned_empty, exported_text, replaced_when_allowed

from reconciler.core.settings import MANAGED_TAG_KEY


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example("managed-instances", tmp_path)


def provider(ecs: Any) -> dict[str, Any]:
    answer = ecs.describe_capacity_providers(cluster="managed", capacityProviders=["general"], include=["TAGS"])
    found: dict[str, Any] = answer["capacityProviders"][0]
    return found


def test_the_example_is_created_in_its_cluster_then_the_plan_is_empty(aws, cli, ecs, example):
    _, writes = created_then_planned_empty(
        cli, aws, example, first="Cluster managed", then="ManagedInstancesProvider managed/general"
    )
    body = provider(ecs)
    assert body["cluster"] == "managed" and "autoScalingGroupProvider" not in body
    template = body["managedInstancesProvider"]["instanceLaunchTemplate"]
    assert template["instanceRequirements"]["vCpuCount"] == {"min": 2, "max": 8}
    assert {t["key"] for t in body["tags"]} >= {MANAGED_TAG_KEY}
    # Cluster-scoped: not answered without its cluster, and never associated through PutClusterCapacityProviders.
    assert "general" not in [p["name"] for p in ecs.describe_capacity_providers()["capacityProviders"]]
    assert "PutClusterCapacityProviders" not in writes
    service = ecs.describe_services(cluster="managed", services=["worker"])["services"][0]
    assert service["capacityProviderStrategy"][0]["capacityProvider"] == "general"


def test_the_cluster_lists_its_managed_instances_provider_and_its_own_providers_plan_no_change(
    aws, cli, ecs, example, tmp_path
):
    """AWS lists a cluster's Managed Instances provider in its capacityProviders, though the cluster never names it
    (PutClusterCapacityProviders cannot add or remove one): a cluster declaring only Fargate plans no change for it,
    and its export leaves it out (an apply of that export would otherwise be refused)."""
    edit_example(example, "      value: enabled\n---", "      value: enabled\n  capacityProviders: [FARGATE]\n---")
    applied = cli("apply", example, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    listed = ecs.describe_clusters(clusters=["managed"])["clusters"][0]["capacityProviders"]
    assert sorted(listed) == ["FARGATE", "general"]

    aws.reset_calls()
    again = cli("plan", example)
    assert again.code == 0, again.out + again.err
    assert aws.writes() == []

    out = tmp_path / "exported"
    assert cli("export", "--cluster", "managed", "--output", out).code == 0
    clusters = [d for p in sorted(out.glob("*.yaml")) for d in p.read_text().split("---") if "kind: Cluster" in d]
    assert clusters and "FARGATE" in clusters[0] and "general" not in clusters[0]


def test_a_cluster_naming_its_managed_instances_provider_is_refused_before_any_write(aws, cli, example):
    edit_example(example, "      value: enabled\n---", "      value: enabled\n  capacityProviders: [general]\n---")
    result = cli("plan", example)
    assert result.code == 1, result.out
    assert "spec.capacityProviders[0]" in result.err and "ManagedInstancesProvider managed/general" in result.err
    assert aws.writes() == []


@pytest.mark.parametrize(
    ("old", "new", "path", "read", "value"),
    [
        ("monitoring: BASIC", "monitoring: DETAILED", "instanceLaunchTemplate.monitoring",
         lambda t: t["monitoring"], "DETAILED"),
        ("storageSizeGiB: 50", "storageSizeGiB: 80", "storageConfiguration.storageSizeGiB",
         lambda t: t["storageConfiguration"]["storageSizeGiB"], 80),
        ("vCpuCount: {min: 2, max: 8}", "vCpuCount: {min: 2, max: 16}", "instanceRequirements.vCpuCount.max",
         lambda t: t["instanceRequirements"]["vCpuCount"]["max"], 16),
        ("subnets: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]\n      storage",
         "subnets: [subnet-0a1b2c3d4e5f60001]\n      storage", "networkConfiguration.subnets",
         lambda t: t["networkConfiguration"]["subnets"], ["subnet-0a1b2c3d4e5f60001"]),
    ],
    ids=["monitoring", "storage", "requirements", "subnets"],
)  # fmt: skip
def test_a_launch_template_field_changes_in_place(aws, cli, ecs, example, old, new, path, read, value):
    assert changed_in_place(cli, aws, example, old, new, shows=[path]) == ["UpdateCapacityProvider"]
    assert read(provider(ecs)["managedInstancesProvider"]["instanceLaunchTemplate"]) == value


def test_the_capacity_option_type_is_a_replace_refused_unless_allowed(aws, cli, ecs, example):
    old, new = "capacityOptionType: ON_DEMAND", "capacityOptionType: SPOT"
    shown = ["ManagedInstancesProvider managed/general", "capacityOptionType"]
    writes = replaced_when_allowed(cli, aws, example, old, new, shows=shown)
    assert writes[:2] == ["DeleteCapacityProvider", "CreateCapacityProvider"]
    assert provider(ecs)["managedInstancesProvider"]["instanceLaunchTemplate"]["capacityOptionType"] == "SPOT"


def test_drift_made_out_of_band_is_planned_and_corrected(aws, cli, ecs, example):
    assert cli("apply", example, "--auto-approve").code == 0
    config = provider(ecs)["managedInstancesProvider"]
    template = {k: v for k, v in config["instanceLaunchTemplate"].items() if k != "capacityOptionType"}
    ecs.update_capacity_provider(
        name="general",
        cluster="managed",
        managedInstancesProvider={
            "infrastructureRoleArn": config["infrastructureRoleArn"],
            "instanceLaunchTemplate": {**template, "monitoring": "DETAILED"},
        },
    )
    drift = cli("plan", example)
    assert drift.code == 2 and "instanceLaunchTemplate.monitoring" in drift.out
    assert cli("apply", example, "--auto-approve").code == 0
    assert provider(ecs)["managedInstancesProvider"]["instanceLaunchTemplate"]["monitoring"] == "BASIC"


def test_prune_deletes_the_provider_in_its_cluster_and_export_writes_it_back(aws, cli, ecs, example, tmp_path):
    assert cli("apply", example, "--auto-approve").code == 0
    text = exported_text(cli, "managed", tmp_path / "exported")
    assert "kind: ManagedInstancesProvider" in text and "cluster: managed" in text
    assert "monitoring" not in text  # AWS's default (BASIC) is left out

    keep_documents(example, lambda doc: "kind: Cluster" in doc)
    aws.reset_calls()
    pruned = cli("apply", example, "--auto-approve", "--prune")
    # The draining service's revision is deregistered by a later pass: only the provider is asserted here.
    assert "ManagedInstancesProvider managed/general" not in pruned.out.split("Plan after apply:")[1]
    assert aws.writes().index("DeleteService") < aws.writes().index("DeleteCapacityProvider")
    assert ecs.describe_capacity_providers(cluster="managed", capacityProviders=["general"])["capacityProviders"] == []


def test_a_managed_instances_provider_under_kind_capacity_provider_is_pointed_to_its_kind(cli, manifests):
    root = manifests(
        {
            "p.yaml": """\
                apiVersion: ecs-reconciler/v1
                kind: CapacityProvider
                metadata: {name: general}
                spec:
                  cluster: managed
                  managedInstancesProvider:
                    infrastructureRoleArn: arn:aws:iam::123456789012:role/ecsInfrastructureRole
                    instanceLaunchTemplate:
                      ec2InstanceProfileArn: arn:aws:iam::123456789012:instance-profile/ecsInstanceRole
                      networkConfiguration: {subnets: [subnet-1]}
                """
        }
    )
    result = cli("validate", root)
    assert result.code == 1
    assert "p.yaml:6: spec.managedInstancesProvider" in result.err and "kind ManagedInstancesProvider" in result.err
