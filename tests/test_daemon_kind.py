"""Daemon end to end against the emulator: the example's cluster, Managed Instances provider and Managed Daemon
created in one apply (its daemon task definition registered first), then an empty plan; each field changed in
place (a task definition change registers a new revision), its deployment shown by status; prune deletes the
daemon and its daemon task definitions; export writes it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_state import daemon_arn, daemon_revision, tags_of
from builders import copy_example, keep_documents
from cli_flows import changed_in_place, created_then_planned_empty, exported_text, status_entry

from reconciler.core.settings import MANAGED_TAG_KEY


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example("daemon", tmp_path)


def definition(ecs: Any) -> dict[str, Any]:
    arn = daemon_revision(ecs)["daemonTaskDefinitionArn"]
    found: dict[str, Any] = ecs.describe_daemon_task_definition(daemonTaskDefinition=arn)["daemonTaskDefinition"]
    return found


def test_the_example_is_created_then_the_plan_is_empty(aws: Any, cli: Any, ecs: Any, example: Path) -> None:
    _, writes = created_then_planned_empty(
        cli, aws, example, first="ManagedInstancesProvider agents/fleet", then="Daemon agents/log-router"
    )
    assert writes.index("RegisterDaemonTaskDefinition") < writes.index("CreateDaemon")
    assert definition(ecs)["family"] == "log-router"
    assert set(tags_of(ecs, daemon_arn(ecs))) >= {MANAGED_TAG_KEY, "team"}


@pytest.mark.parametrize(
    ("old", "new", "path", "writes", "revision", "image"),
    [
        ("fluent-bit:2.32.0", "fluent-bit:2.32.1", "taskDefinition.containerDefinitions",
         ["RegisterDaemonTaskDefinition", "UpdateDaemon"], 2, ":2.32.1"),
        ("drainPercent: 20", "drainPercent: 50", "deploymentConfiguration.drainPercent",
         ["UpdateDaemon"], 1, ":2.32.0"),
    ],
    ids=["image-registers-a-revision", "deployment-setting-keeps-the-revision"],
)  # fmt: skip
def test_a_field_changes_in_place(
    aws: Any, cli: Any, ecs: Any, example: Path, old: str, new: str, path: str, writes: list[str], revision: int,
    image: str,
) -> None:  # fmt: skip
    assert changed_in_place(cli, aws, example, old, new, shows=[path]) == writes
    assert definition(ecs)["revision"] == revision
    assert definition(ecs)["containerDefinitions"][0]["image"].endswith(image)


def test_status_follows_the_daemon_deployment(aws: Any, cli: Any, example: Path) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    entry = status_entry(cli, example, "Daemon")
    assert entry["state"] == "in sync"
    assert entry["daemonDeployment"]["status"] == "SUCCESSFUL"
    assert cli("status", example).code == 0


def test_prune_deletes_the_daemon_and_its_task_definitions_and_export_writes_it_back(
    aws: Any, cli: Any, ecs: Any, example: Path, tmp_path: Path
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    text = exported_text(cli, "agents", tmp_path / "exported")
    assert "kind: Daemon" in text and "fluent-bit" in text and "propagateTags" not in text

    keep_documents(example, lambda doc: "kind: Daemon" not in doc)
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
