"""Ownership that does not depend on paths: the instance a tree declares (or --instance, or the fixed default) is
the one every run of that tree agrees on, and names earlier versions derived from folders are taken over."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from builders import SHOP

from reconciler.aws import Aws
from reconciler.core.settings import MANAGED_TAG_KEY, Settings
from reconciler.daemon.alerts import Alerter
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.pipeline import Pipeline

pytestmark = pytest.mark.emulator

INSTANCE = """\
apiVersion: ecs-reconciler/v1
kind: Instance
metadata: {name: shop}
"""


def owner(ecs: Any, cluster: str) -> str | None:
    found = ecs.describe_clusters(clusters=[cluster], include=["TAGS"])["clusters"]
    tags = {t["key"]: t["value"] for t in found[0].get("tags", [])} if found else {}
    return tags.get(MANAGED_TAG_KEY)


def tree(folder: Path, *, instance: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "fleet.yaml").write_text(SHOP)
    if instance:
        (folder / "instance.yaml").write_text(INSTANCE)
    return folder


def test_a_create_through_a_saved_plan_is_owned_as_a_plain_apply_is(aws, cli, ecs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shop = tree(tmp_path / "shop", instance=False)
    assert cli("plan", "shop", "--out", "shop.plan").code == 2
    applied = cli("apply", "shop.plan")
    assert applied.code == 0, applied.err
    assert owner(ecs, "shop") == "ecs-reconciler", "the fixed default, not the plan file's name"
    again = cli("plan", "shop")
    assert again.code == 0 and "No changes. Live ECS matches the manifests." in again.out
    assert cli("apply", shop, "--adopt").code == 0


def test_ci_a_laptop_copy_and_the_daemon_through_a_link_agree_on_ownership(aws, cli, ecs, tmp_path):
    ci = tree(tmp_path / "infra" / "ecs")
    assert cli("apply", ci).code == 0
    assert owner(ecs, "shop") == "shop"
    laptop = tmp_path / "laptop" / "my-copy"
    shutil.copytree(ci, laptop)
    plan = cli("plan", laptop, "--prune")
    assert plan.code == 0, plan.out + plan.err

    revision = tmp_path / "git" / ".worktrees" / ("a1" * 20)
    shutil.copytree(ci, revision / "ecs")
    (tmp_path / "git" / "current").symlink_to(revision)
    settings = Settings()
    daemon = Daemon(
        str(tmp_path / "git" / "current" / "ecs"),
        Pipeline(Aws(settings.aws), settings),
        alerter=Alerter([]),
        metrics=Metrics(),
    )
    aws.reset_calls()
    assert daemon.run_pass() == "in_sync"
    assert aws.writes() == []


def test_a_name_derived_from_the_folder_by_an_earlier_version_is_taken_over_and_never_pruned(aws, cli, ecs, tmp_path):
    root = tree(tmp_path / "ecs")
    earlier = [{"key": MANAGED_TAG_KEY, "value": "ecs"}]  # what the previous version derived from the folder
    ecs.create_cluster(clusterName="shop", tags=earlier)
    ecs.create_cluster(clusterName="gone", tags=earlier)
    plan = cli("plan", root, "--prune")
    assert plan.code == 2
    assert f'~ tags.{MANAGED_TAG_KEY}: "ecs" -> "shop"' in plan.out
    assert "Cluster gone carries a managed-by value this instance had before ('ecs')" in plan.out
    aws.reset_calls()
    assert cli("apply", root, "--prune").code == 0
    assert not [op for op in aws.writes() if op.startswith("Delete")]
    assert (owner(ecs, "shop"), owner(ecs, "gone")) == ("shop", "ecs")


def test_a_former_name_listed_in_the_instance_document_is_taken_over(aws, cli, ecs, tmp_path):
    root = tree(tmp_path / "renamed")
    (root / "instance.yaml").write_text(INSTANCE + "spec: {formerNames: [old-folder]}\n")
    ecs.create_cluster(clusterName="shop", tags=[{"key": MANAGED_TAG_KEY, "value": "old-folder"}])
    ecs.create_cluster(clusterName="other", tags=[{"key": MANAGED_TAG_KEY, "value": "team-x"}])
    assert cli("apply", root).code == 0
    assert owner(ecs, "shop") == "shop"
    (root / "other.yaml").write_text("apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: other}\n")
    plan = cli("plan", root)
    assert "managed by another ecs-reconciler instance ('team-x'" in plan.out and "spec.formerNames" in plan.out


def test_the_instance_document_is_checked_and_instance_flags_cannot_disagree(aws, cli, tmp_path):
    root = tree(tmp_path / "m")
    (root / "team").mkdir()
    (root / "team" / "instance.yaml").write_text(INSTANCE.replace("shop", "team"))
    nested = cli("validate", root)
    assert nested.code == 1 and "team/instance.yaml:2: kind: an Instance document belongs in a file at the root" in (
        nested.err
    )
    shutil.rmtree(root / "team")
    (root / "instance.yaml").write_text(INSTANCE.replace("shop", "has space"))
    assert "instance.yaml:3: metadata.name: an instance name is" in cli("validate", root).err
    (root / "instance.yaml").write_text(INSTANCE)
    aws.reset_calls()
    clash = cli("plan", root, "--instance", "other")
    assert clash.code == 1
    assert clash.err == (
        "Error: --instance other differs from the instance 'shop' declared in instance.yaml: drop --instance "
        "(the manifests name their instance)\n"
    )
    logs = boto3.client("logs", endpoint_url=aws.endpoint_url, region_name="us-east-1")
    assert logs.describe_log_groups()["logGroups"] == []
