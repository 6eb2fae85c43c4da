"""The README's walkthrough, run as written: its first block (the emulator, with a state file under ~) in one
process, its second block (activate, apply, plan --out, show, apply PLANFILE, the out-of-band change, the drift,
export) line by line in one shell, from a copy of the clone, with the `export` lines the emulator printed pasted
where the README says to."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def _blocks() -> list[list[str]]:
    """The walkthrough's sh blocks, each as its command lines (comment-only lines left out)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walkthrough: the whole workflow on a local emulator", 1)[1].split("\n## ", 1)[0]
    section = section.split("\n### ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [
        [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")] for block in blocks
    ]


def _clone(tmp_path: Path) -> Path:
    """What the walkthrough reads from the clone, its virtualenv the one running the tests."""
    clone = tmp_path / "clone"
    clone.mkdir()
    for folder in ("manifests", "environments"):
        shutil.copytree(ROOT / folder, clone / folder)
    (clone / ".venv").symlink_to(Path(sys.prefix))
    return clone


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("ECS_RECONCILER")}
    env.pop("XDG_CACHE_HOME", None)  # the emulator's record goes to ~/.cache, as for a user
    env.pop("VIRTUAL_ENV", None)
    return {**env, "HOME": str(home), "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def _start(block: list[str], clone: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        ["bash", "-c", "set -e\n" + "\n".join(block)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    exports: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (line := process.stdout.readline()):
        if line.startswith("export "):
            exports.append(line.strip())
        if line.startswith("Ctrl-C stops it"):
            return process, exports
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"the emulator did not start: {process.communicate()[1]}")


def _script(block: list[str], exports: list[str]) -> tuple[str, list[str]]:
    """The block as one shell script reporting each command's exit code; the exports go where the README says to
    paste them (just before the first `aws` command)."""
    lines: list[str] = []
    commands: list[str] = []
    for line in block:
        command = line.split("  #", 1)[0].strip()
        if command.startswith("aws ") and exports:
            lines += exports
            exports = []
        lines += [line, f'echo "::exit $? {len(commands)}"']
        commands.append(command)
    return "\n".join(lines) + "\n", commands


def _aws_cli(tmp_path: Path) -> dict[str, str]:
    """The AWS CLI the walkthrough uses: the one installed, else a stand-in for its one call (boto3's, the same
    UpdateService) so the walkthrough still runs where the CLI is not installed."""
    if shutil.which("aws"):
        return {}
    folder = tmp_path / "bin"
    folder.mkdir()
    stand_in = folder / "aws"
    stand_in.write_text(
        f"#!{sys.executable}\n"
        "import sys, boto3\n"
        "args = sys.argv[1:]\n"
        "assert args[:2] == ['ecs', 'update-service'], args\n"
        "flags = dict(zip(args[2::2], args[3::2]))\n"
        "boto3.client('ecs').update_service(cluster=flags['--cluster'], service=flags['--service'], "
        "enableExecuteCommand='--enable-execute-command' in args)\n"
    )
    stand_in.chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def test_the_readme_walkthrough_runs_as_written(tmp_path):
    emulator_block, commands_block = _blocks()
    clone, home = _clone(tmp_path), tmp_path / "home"
    home.mkdir()
    env = _environment(home)
    process, exports = _start(emulator_block, clone, env)
    try:
        script, commands = _script(commands_block, exports)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=clone,
            env={**env, **_aws_cli(tmp_path)},
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=60)
    codes = [int(code) for code, _ in re.findall(r"::exit (\d+) (\d+)", done.stdout)]
    expected = {"apply": 0, "show": 0, "export": 0, "aws": 0, ".": 0}
    for command, code in zip(commands, codes, strict=True):
        verb = command.split()[1] if command.startswith("ecs-reconciler") else command.split()[0]
        wanted = 2 if verb == "plan" else expected[verb]
        assert code == wanted, f"{command}: exit {code}\n{done.stdout}\n{done.stderr}"
    state = home / ".local" / "state" / "ecs-reconciler" / "emulator.jsonl"
    assert done.stderr.count(f"(state {state}; no AWS account is used)") == len(commands) - 2  # not `.` nor aws
    assert '~ containerDefinitions.app.environment.LOG_LEVEL: "info" -> "debug"' in done.stdout
    assert "~ enableExecuteCommand: true -> false" in done.stdout
    assert "stale" not in done.stderr.lower()
    assert (clone / "staging.plan").exists() and (clone / "exported" / "service-web.yaml").exists()
