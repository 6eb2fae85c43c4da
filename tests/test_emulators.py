"""Several `ecs-reconciler emulator`s side by side: each command says which it uses (address, state file); with two
running and none named, --embedded-aws refuses in one line listing them; --emulator or ECS_RECONCILER_EMULATOR
name one by port, URL or state file; a stopped one is never silently replaced by an empty one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.embedded import EMULATOR_ENV

pytestmark = pytest.mark.emulator


class Served:
    """``python -m reconciler emulator`` as a subprocess, as a user runs it in a terminal of its own."""

    def __init__(self, cache: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", EMULATOR_ENV)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "XDG_CACHE_HOME": str(cache)},
        )
        self.lines: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (line := self.process.stdout.readline()):
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops it"):
                self.url = next(x for x in self.lines if x.startswith("export AWS_ENDPOINT_URL=")).partition("=")[2]
                self.port = self.url.rsplit(":", 1)[-1]
                return
        raise AssertionError(f"the emulator did not start: {self.process.stderr.read() if self.process.stderr else ''}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.communicate(timeout=60)


@pytest.fixture
def served(tmp_path, monkeypatch, own_emulator_discovery):
    """start(*args) runs an emulator sharing this test's discovery folder; all are stopped at the end."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(own_emulator_discovery, *args))
        return started[-1]

    yield start
    for one in started:
        one.stop()


def test_two_emulators_side_by_side(served, cli, example, tmp_path, monkeypatch):
    state = tmp_path / "first.jsonl"
    first = served("--state", str(state))
    second = served()
    assert any(f"Another AWS emulator is running at {first.url} (state {state})" in x for x in second.lines)

    unnamed = cli("plan", example, "--embedded-aws")
    assert unnamed.code == 1 and unnamed.err.count("\n") == 1
    assert "Error: 2 AWS emulators are running: " in unnamed.err
    assert f"{first.url} (state {state})" in unnamed.err and f"{second.url} (no state file)" in unnamed.err
    assert "name one with --emulator" in unnamed.err

    applied = cli("apply", example, "--emulator", first.port, "--auto-approve", "--no-wait")
    assert applied.code == 0, applied.err
    assert f"Using the running AWS emulator at {first.url} (state {state}; no AWS account is used)" in applied.err
    elsewhere = cli("plan", example, "--emulator", second.url)
    assert elsewhere.code == 2 and f"at {second.url} (no state file;" in elsewhere.err  # its own, empty state
    monkeypatch.setenv(EMULATOR_ENV, str(state))
    by_state = cli("plan", example, "--embedded-aws")
    assert by_state.code == 0 and f"at {first.url} (state {state};" in by_state.err
    monkeypatch.delenv(EMULATOR_ENV)

    first.stop()
    stopped = cli("plan", example, "--emulator", str(state))
    assert stopped.code == 1 and stopped.err.count("\n") == 1
    assert f"the AWS emulator {first.url} (state {state}) is stopped: start it again with" in stopped.err
    only = cli("plan", example, "--embedded-aws")  # the one left running is used: no question to ask
    assert only.code == 2 and f"at {second.url} (no state file;" in only.err

    second.stop()
    fresh = cli("plan", example, "--embedded-aws")
    assert fresh.code == 2, fresh.err
    assert f"Warning: the AWS emulator {first.url} (state {state}) has stopped" in fresh.err
    assert f"`ecs-reconciler emulator --state {state}` carries on" in fresh.err
    assert f"Warning: the AWS emulator {second.url} (no state file) has stopped" in fresh.err
    assert "for this command only" in fresh.err
    again = cli("plan", example, "--embedded-aws")
    assert "Warning" not in again.err and "for this command only" in again.err  # said once


def test_a_state_file_serves_one_emulator_at_a_time(served, tmp_path):
    state = tmp_path / "state.jsonl"
    first = served("--state", str(state))
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", EMULATOR_ENV)}
    second = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert second.returncode == 1
    assert f"{state} is the state file of the AWS emulator running at {first.url}: use that one" in second.stderr
