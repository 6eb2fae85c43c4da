"""The habits users bring from Terraform and kubectl: exit codes, saved plans, --target, confirmation, the plan's
header, colour, --version, completion, and paths that say what is wrong with them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest
from builders import APP, CLUSTER, SECRET, TASK, documents, service

from reconciler.cli import main
from reconciler.commands.common import colour_wanted


def test_a_usage_error_exits_1_never_2_which_means_changes_pending(example):
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(example), "--formt", "markdown"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "unrecognized arguments: --formt" in result.stderr


def test_argparse_usage_errors_exit_1_through_sys_exit(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["plan"])  # the path is missing
    assert exited.value.code == 1
    assert "the following arguments are required: path" in capsys.readouterr().err


def test_version_help_and_log_level_after_the_command(cli, example, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == "ecs-reconciler 0.1.0"
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    helped = " ".join(capsys.readouterr().out.split())
    assert "a directory of manifests" in helped and "a pull-request comment" in helped
    assert cli("validate", example, "--log-level", "info").code == 0


def test_a_region_aws_does_not_have_is_one_line(aws, cli, example):
    result = cli("plan", example, "--region", "us-east1")
    assert result.code == 1
    assert result.err == "Error: region 'us-east1' is not an AWS region (did you mean us-east-1?)\n"
    assert aws.calls == []


def test_a_missing_region_names_what_works(aws, cli, example, monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    result = cli("plan", example)
    assert result.code == 1
    for works in ("AWS_DEFAULT_REGION", "--region", "profile", "--embedded-aws"):
        assert works in result.err


def test_paths_a_wrong_one_a_single_file_and_an_empty_directory(aws, cli, manifests, tmp_path):
    missing = cli("validate", tmp_path / "nope")
    assert (missing.code, missing.err) == (1, f"Error: {tmp_path / 'nope'}: no such file or directory\n")
    assert "Invalid manifests" not in missing.err

    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    one = cli("validate", root / "prod.yaml")
    assert one.code == 0 and "1 resources valid" in one.out
    planned = cli("plan", root / "prod.yaml")
    assert planned.code == 2 and "+ Cluster prod" in planned.out and "api" not in planned.out

    empty = tmp_path / "empty"
    empty.mkdir()
    for command in ("validate", "plan", "apply"):
        result = cli(command, empty)
        assert result.code == 1, command
        assert "no manifests found in" in result.err
    assert aws.writes() == []


def test_the_plan_says_what_blocks_instead_of_no_changes(aws, cli, ecs, manifests):
    ecs.create_cluster(clusterName="prod")  # same name, not managed, and differs (no containerInsights)
    root = manifests({"prod.yaml": CLUSTER})
    for command, code in (("plan", 2), ("apply", 1)):
        result = cli(command, root)
        assert result.code == code
        assert "No changes" not in result.out
        assert "Nothing can be applied: 1 problem below stands between live ECS and the manifests." in result.out
        assert "Cluster prod exists but is not managed by ecs-reconciler" in result.out
    markdown = cli("plan", root, "--format", "markdown")
    assert "No changes" not in markdown.out and "Nothing can be applied" in markdown.out


def test_every_plan_format_names_the_account_and_region(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER})
    text = cli("plan", root)
    where = "account 123456789012, region us-east-1, instance ecs-reconciler"
    assert text.out.splitlines()[0] == f"Planned against {where}."
    markdown = cli("plan", root, "--format", "markdown")
    assert f"### ecs-reconciler plan for {where}" in markdown.out
    document = json.loads(cli("plan", root, "--format", "json").out)
    assert (document["account"], document["region"]) == ("123456789012", "us-east-1")
    assert document["instance"] == "ecs-reconciler"


def test_a_created_task_definition_is_shown_field_by_field(aws, cli, manifests, roles):
    root = manifests({"api.yaml": TASK})
    out = cli("plan", root).out
    assert '    + containerDefinitions[0].image: "example/api:1.0"' in out
    assert "    + containerDefinitions[0].portMappings[0].containerPort: 8080" in out
    assert '    + containerDefinitions[0].environment[1].value: "(sensitive value)"' in out
    assert SECRET not in out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_unless_no_color(aws, manifests, monkeypatch):
    root = manifests({"prod.yaml": CLUSTER})
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colour_wanted(_Tty()) and not colour_wanted(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_wanted(_Tty())
    monkeypatch.delenv("NO_COLOR")
    tty = _Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    assert main(["plan", str(root)]) == 2
    assert "\x1b[32m+ Cluster prod\x1b[0m" in tty.getvalue()


def test_apply_on_a_terminal_asks_and_only_yes_proceeds(aws, cli, ecs, manifests, monkeypatch):
    root = manifests({"prod.yaml": CLUSTER})
    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    answers = iter(["no"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    refused = cli("apply", root)
    assert refused.code == 1 and "Apply cancelled; nothing was changed." in refused.err
    assert aws.writes() == []
    approved = cli("apply", root, "--auto-approve")
    assert approved.code == 0, approved.err
    assert ecs.describe_clusters(clusters=["prod"])["clusters"][0]["status"] == "ACTIVE"


def test_a_saved_plan_is_applied_exactly_and_holds_no_secret(aws, cli, ecs, manifests, tmp_path):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    saved = tmp_path / "plan.json"
    planned = cli("plan", root, "--out", saved)
    assert planned.code == 2
    assert SECRET not in saved.read_text()
    assert json.loads(saved.read_text())["actions"] == [
        "create Cluster prod",
        "create TaskDefinition api",
        "create Service prod/api",
    ]
    applied = cli("apply", saved)
    assert applied.code == 0, applied.out + applied.err
    assert "Applying the saved plan" in applied.out
    assert ecs.describe_services(cluster="prod", services=["api"])["services"][0]["status"] == "ACTIVE"


def test_a_stale_saved_plan_is_refused_and_nothing_is_written(aws, cli, ecs, manifests, tmp_path):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    assert cli("apply", root).code == 0
    manifests({"api.yaml": documents(TASK, service(desiredCount=3))})
    saved = tmp_path / "plan.json"
    assert cli("plan", root, "--out", saved).code == 2

    ecs.update_service(cluster="prod", service="api", desiredCount=5)  # out of band, after the plan
    aws.reset_calls()
    live_changed = cli("apply", saved)
    assert live_changed.code == 1
    assert "is stale" in live_changed.err and "live state changed" in live_changed.err
    assert aws.writes() == []

    assert cli("plan", root, "--out", saved).code == 2
    manifests({"api.yaml": documents(TASK, service(desiredCount=4))})
    aws.reset_calls()
    manifests_changed = cli("apply", saved)
    assert manifests_changed.code == 1 and "the manifests in" in manifests_changed.err
    assert aws.writes() == []


def test_target_limits_the_plan_to_a_resource_and_what_it_references(aws, cli, manifests, roles):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    only_task = cli("plan", root, "--target", "TaskDefinition/api")
    assert "Plan: 1 to create" in only_task.out
    assert "+ TaskDefinition api" in only_task.out and "Cluster prod" not in only_task.out

    service = cli("plan", root, "--target", "Service/api")
    assert "Plan: 3 to create" in service.out  # the service, its cluster and its task definition

    applied = cli("apply", root, "--target", "Cluster/prod")
    assert applied.code == 0, applied.err
    assert "Plan: 2 to create" in cli("plan", root).out  # the task definition and the service are still to do

    unknown = cli("plan", root, "--target", "Service/nope")
    assert unknown.code == 1 and "--target Service/nope: no such resource" in unknown.err
    pruning = cli("plan", root, "--target", "Service/api", "--prune")
    assert pruning.code == 1 and "cannot be combined with --prune" in pruning.err


def test_the_bash_completion_script_is_valid_and_knows_the_commands(capsys):
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    for word in ("plan", "apply", "emulator", "--auto-approve", "--target", "--embedded-aws"):
        assert word in script
    bash = shutil.which("bash")
    if bash:
        checked = subprocess.run([bash, "-n"], input=script, text=True, capture_output=True, timeout=10)
        assert checked.returncode == 0, checked.stderr
