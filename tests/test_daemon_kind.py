"""Daemon end to end against the emulator: the example's cluster, Managed Instances provider and Managed Daemon
created in one apply (its daemon task definition registered first), then an empty plan; each field changed in
place (a task definition change registers a new revision), its deployment shown by status; prune deletes the
daemon and its daemon task definitions; export writes it back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from builders import edit_example
from conftest import ROOT

from reconciler.core.settings import MANAGED_TAG_KEY

EXAMPLE = ROOT / "deploy" / "examples" / "daemon"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "daemon"
    shutil.copytree(EXAMPLE, target)
    return target


def daemon_arn(ecs: Any) -> str:
    return str(ecs.list_daemons(clusterArn="agents")["daemonSummariesList"][0]["daemonArn"])


def revision(ecs: Any) -> dict[str, Any]:
    current = ecs.describe_daemon(daemonArn=daemon_arn(ecs))["daemon"]["currentRevisions"][0]["arn"]
    found: dict[str, Any] = ecs.describe_daemon_revisions(daemonRevisionArns=[current])["daemonRevisions"][0]
    return found


def definition(ecs: Any) -> dict[str, Any]:
    arn = revision(ecs)["daemonTaskDefinitionArn"]
    found: dict[str, Any] = ecs.describe_daemon_task_definition(daemonTaskDefinition=arn)["daemonTaskDefinition"]
    return found


def test_the_example_is_created_then_the_plan_is_empty(aws: Any, cli: Any, ecs: Any, example: Path) -> None:
    planned = cli("plan", example)
    assert planned.code == 2, planned.err
    assert planned.out.index("ManagedInstancesProvider agents/fleet") < planned.out.index("Daemon agents/log-router")

    applied = cli("apply", example, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    writes = aws.writes()
    assert writes.index("RegisterDaemonTaskDefinition") < writes.index("CreateDaemon")
    assert definition(ecs)["family"] == "log-router"
    tags = ecs.list_tags_for_resource(resourceArn=daemon_arn(ecs))["tags"]
    assert {t["key"] for t in tags} >= {MANAGED_TAG_KEY, "team"}

    aws.reset_calls()
    again = cli("plan", example)
    assert again.code == 0, again.out + again.err
    assert aws.writes() == []


def test_an_image_change_registers_a_revision_and_updates_the_daemon(
    aws: Any, cli: Any, ecs: Any, example: Path
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    edit_example(example, "fluent-bit:2.32.0", "fluent-bit:2.32.1")
    planned = cli("plan", example)
    assert planned.code == 2 and "taskDefinition.containerDefinitions" in planned.out, planned.out
    aws.reset_calls()
    assert cli("apply", example, "--auto-approve").code == 0
    assert aws.writes() == ["RegisterDaemonTaskDefinition", "UpdateDaemon"]
    assert definition(ecs)["revision"] == 2
    assert definition(ecs)["containerDefinitions"][0]["image"].endswith(":2.32.1")
    assert cli("plan", example).code == 0


def test_a_deployment_setting_changes_without_a_new_revision(aws: Any, cli: Any, ecs: Any, example: Path) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    edit_example(example, "drainPercent: 20", "drainPercent: 50")
    planned = cli("plan", example)
    assert planned.code == 2 and "deploymentConfiguration.drainPercent" in planned.out, planned.out
    aws.reset_calls()
    assert cli("apply", example, "--auto-approve").code == 0
    assert aws.writes() == ["UpdateDaemon"]
    assert definition(ecs)["revision"] == 1
    assert cli("plan", example).code == 0


def test_status_follows_the_daemon_deployment(aws: Any, cli: Any, example: Path) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    entries = json.loads(cli("status", example, "--format", "json").out)["resources"]
    entry = next(e for e in entries if e["kind"] == "Daemon")
    assert entry["state"] == "in sync"
    assert entry["daemonDeployment"]["status"] == "SUCCESSFUL"
    assert cli("status", example).code == 0


def test_prune_deletes_the_daemon_and_its_task_definitions_and_export_writes_it_back(
    aws: Any, cli: Any, ecs: Any, example: Path, tmp_path: Path
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    out = tmp_path / "exported"
    exported = cli("export", "--cluster", "agents", "--output", out)
    assert exported.code == 0, exported.err
    text = "".join(p.read_text() for p in sorted(out.glob("*.yaml")))
    assert "kind: Daemon" in text and "fluent-bit" in text and "propagateTags" not in text

    docs = (example / "app.yaml").read_text().split("---\n")
    (example / "app.yaml").write_text("---\n".join(d for d in docs if "kind: Daemon" not in d))
    aws.reset_calls()
    pruned = cli("apply", example, "--auto-approve", "--prune")
    assert pruned.code == 0, pruned.out + pruned.err
    assert "DeleteDaemon" in aws.writes() and "DeleteDaemonTaskDefinition" in aws.writes()
    assert ecs.list_daemons(clusterArn="agents")["daemonSummariesList"] == []
    assert ecs.list_daemon_task_definitions(family="log-router")["daemonTaskDefinitions"] == []


def test_bad_input_names_the_field(cli: Any, manifests: Any) -> None:
    root = manifests(
        {
            "d.yaml": """\
                apiVersion: ecs-reconciler/v1
                kind: Daemon
                metadata: {name: agent}
                spec:
                  clusterArn: agents
                  deploymentConfiguration: {drainPercent: 150}
                  taskDefinition:
                    containerDefinitions:
                      - {name: agent, imagee: x}
                """
        }
    )
    result = cli("validate", root)
    assert result.code == 1
    assert "missing required field 'capacityProviderArns'" in result.err
    assert "spec.deploymentConfiguration.drainPercent" in result.err
    assert "spec.taskDefinition.containerDefinitions[0]" in result.err and "imagee" in result.err
