"""Every deploy example and walkthrough runs as written: the compose file's environment, the GitHub Actions
workflow's steps, deploy/ecs from nothing, the persistent emulator across commands, and the demo from anywhere."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml
from conftest import ROOT, aws_environment

from reconciler.embedded import EMULATOR_ENV, SOURCE

WORKFLOW = ROOT / "deploy" / "github-actions" / "plan.yml"


def _compose_value(text: str, host: dict[str, str]) -> str:
    """Docker Compose's interpolation for what the example uses: ${VAR}, ${VAR:-default}, nested in the default."""
    pattern = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^{}]|\{[^{}]*\})*))?\}")
    while (match := pattern.search(text)) is not None:
        name, default = match.group(1), match.group(2)
        value = host.get(name) or (_compose_value(default, host) if default is not None else "")
        text = text[: match.start()] + value + text[match.end() :]
    return text


@pytest.mark.parametrize(
    "host",
    [{}, {"AWS_REGION": "eu-west-1"}, {"AWS_DEFAULT_REGION": "eu-west-1"}],
    ids=["no region", "AWS_REGION", "AWS_DEFAULT_REGION"],
)
def test_the_compose_environment_gives_boto3_a_region(aws, cli, example, monkeypatch, host):
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    environment = {
        name: _compose_value(str(value), host)
        for name, value in compose["services"]["reconciler"]["environment"].items()
    }
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name, value in environment.items():
        if name.startswith("AWS_") and "REGION" in name:
            monkeypatch.setenv(name, value)
    expected = host.get("AWS_REGION") or host.get("AWS_DEFAULT_REGION") or "us-east-1"
    assert boto3.Session().region_name == expected
    if expected == "us-east-1":  # the emulator's example network is there
        result = cli("plan", example)
        assert result.code == 2, result.err


def test_the_workflow_installs_from_the_repository_at_a_pinned_ref():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["plan"]
    source = job["env"]["ECS_RECONCILER"]
    assert source == SOURCE, "the workflow installs what the README and the install hint name"
    assert re.fullmatch(r"git\+https://github\.com/[\w.-]+/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", source), source
    install = next(s for s in job["steps"] if s.get("name") == "Install ecs-reconciler")
    assert install["run"].strip() == 'pip install "$ECS_RECONCILER"'
    for name in ("MANIFESTS", "VAR_FILE"):
        assert (ROOT / job["env"][name]).exists(), f"the workflow's {name} example is missing"


def test_the_workflow_validate_and_plan_steps_run_as_written(aws, tmp_path):
    """The steps after the install, as the runner would run them (bash -e, in the repository's root), with the tool
    on PATH and the AWS environment pointing at the emulator."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["plan"]
    steps = {s.get("name"): s for s in job["steps"]}
    output = tmp_path / "github_output"
    output.touch()
    env = {
        **os.environ,
        **aws_environment(aws),
        **job["env"],
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    workdir = tmp_path / "repo"
    workdir.mkdir()
    for name in ("manifests", "environments"):
        (workdir / name).symlink_to(ROOT / name)
    for name in ("Validate (offline, security warnings fail)", "Plan"):
        result = subprocess.run(
            ["bash", "-e", "-c", steps[name]["run"]], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
    assert output.read_text().strip() == "exit=2"
    comment = (workdir / "plan.md").read_text()
    assert comment.startswith("<!-- ecs-reconciler-plan -->\n### ecs-reconciler plan for account 123456789012")
    assert "5 to create" in comment


def test_deploy_ecs_plans_applies_from_nothing_and_passes_strict_validation(aws, cli):
    deploy = ROOT / "deploy" / "ecs"
    strict = cli("validate", deploy, "--strict")
    assert strict.code == 0, strict.out + strict.err
    assert "open" not in strict.out or "0 open" in strict.out
    assert cli("plan", deploy).code == 2
    applied = cli("apply", deploy)
    assert applied.code == 0, applied.out + applied.err
    assert "Plan after apply:\nNo changes." in applied.out


class Emulator:
    """``python -m reconciler emulator`` as a subprocess, as a user runs it in a second terminal."""

    def __init__(self, cache: Path, *args: str) -> None:
        self.env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        for name in ("AWS_ENDPOINT_URL", EMULATOR_ENV):
            self.env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )
        self.exports: dict[str, str] = {}
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                self.exports[name] = value
            if line.startswith("Ctrl-C stops it"):
                return
        raise AssertionError(f"the emulator did not start: {self.process.stderr.read() if self.process.stderr else ''}")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, err
        return err


@pytest.fixture
def without_aws_environment(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(EMULATOR_ENV, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.mark.emulator
def test_the_persistent_emulator_keeps_state_across_commands(
    cli, example, tmp_path, monkeypatch, without_aws_environment
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    emulator = Emulator(tmp_path / "cache")
    try:
        assert emulator.exports["AWS_DEFAULT_REGION"] == "us-east-1"
        url = emulator.exports["AWS_ENDPOINT_URL"]
        applied = cli("apply", example, "--embedded-aws", "--no-wait")
        assert applied.code == 0, applied.err
        assert f"Using the running AWS emulator at {url}" in applied.err
        again = cli("plan", example, "--embedded-aws")
        assert again.code == 0, again.out + again.err
        assert again.out.splitlines()[1] == "No changes. Live ECS matches the manifests."
        exported = cli("export", "--embedded-aws", "--cluster", "demo", "--output", tmp_path / "exported")
        assert exported.code == 0, exported.err
        assert (tmp_path / "exported" / "service-web.yaml").exists()
    finally:
        emulator.stop()
    assert not (tmp_path / "cache" / "ecs-reconciler" / "emulator.json").exists()


@pytest.mark.slow
@pytest.mark.emulator
def test_the_emulator_saves_its_state_to_a_file_and_loads_it(
    cli, example, tmp_path, monkeypatch, without_aws_environment
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    state = tmp_path / "state.jsonl"
    first = Emulator(tmp_path / "cache", "--state", str(state))
    try:
        assert cli("apply", example, "--embedded-aws", "--no-wait").code == 0
    finally:
        first.stop()
    assert state.stat().st_mode & 0o777 == 0o600
    second = Emulator(tmp_path / "cache", "--state", str(state))
    try:
        result = cli("plan", example, "--embedded-aws")
        assert (result.code, result.out.splitlines()[1]) == (0, "No changes. Live ECS matches the manifests."), (
            result.err
        )
    finally:
        second.stop()


@pytest.mark.slow
@pytest.mark.emulator
def test_the_demo_runs_from_any_directory_with_the_shipped_example(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != EMULATOR_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "demo"],
        cwd=tmp_path,
        env={**env, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "drift" in result.stdout.lower()
