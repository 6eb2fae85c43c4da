"""What keeps a test run to itself: each test's emulator discovery file is its own, and a test not marked
`emulator` cannot start one (conftest.py's autouse fixtures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result, UnmarkedEmulator
from faults import HookedEmulator

from reconciler.embedded import running_emulator
from reconciler.emulator import start_emulator


def test_embedded_aws_ignores_an_emulator_announced_outside_the_tests_cache(
    aws: HookedEmulator,
    cli: Callable[..., Result],
    example: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The user's ~/.cache names a live emulator (the session's own): a test's --embedded-aws still starts a fresh
    one, because the autouse own_emulator_discovery fixture points XDG_CACHE_HOME at a folder of its own."""
    home = tmp_path / "home"
    port = aws.endpoint_url.rsplit(":", 1)[-1]
    stale = home / ".cache" / "ecs-reconciler" / "emulators" / f"{port}.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"url": aws.endpoint_url, "pid": os.getpid(), "state": None}))
    monkeypatch.setenv("HOME", str(home))

    result = cli("plan", example, "--embedded-aws")

    assert result.code == 2, result.err
    assert "for this command only" in result.err
    assert aws.endpoint_url not in result.err
    assert running_emulator().running is None


def test_an_unmarked_test_cannot_start_an_emulator_in_process() -> None:
    with pytest.raises(UnmarkedEmulator, match="mark it `emulator`"):
        start_emulator()


@pytest.mark.parametrize("command", [["--embedded-aws", "plan", "."], ["demo"], ["emulator"]])
def test_an_unmarked_test_cannot_run_a_command_that_starts_an_emulator(command: list[str]) -> None:
    with pytest.raises(UnmarkedEmulator, match="mark it `emulator`"):
        subprocess.run([sys.executable, "-m", "reconciler", *command], check=False)
