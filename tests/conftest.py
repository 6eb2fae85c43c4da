"""Shared fixtures: one emulator (a moto server over HTTP, patched to behave like documented AWS) per test session,
emptied before each test; the CLI run in-process with AWS_ENDPOINT_URL pointing at it."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler import log
from reconciler.cli import main
from reconciler.emulator import Emulator, seed_demo_network, start_emulator

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"


@pytest.fixture(autouse=True)
def logs_to_this_tests_stderr() -> None:
    """structlog keeps the stream it was configured with; a test that runs the engine without the CLI would
    otherwise write to the stderr an earlier test's capture has already closed."""
    log.configure(level="warning")


def aws_environment(emulator: Emulator) -> dict[str, str]:
    """The standard AWS environment variables, pointing at the emulator."""
    return {
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with start_emulator() as server:
        yield server


@pytest.fixture
def aws(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A clean emulator with the demo network, and the standard AWS environment variables pointing at it."""
    emulator.reset()
    emulator.hooks.clear()
    emulator.after_hooks.clear()
    seed_demo_network(region=REGION)
    for name, value in aws_environment(emulator).items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    emulator.reset_calls()
    yield emulator
    emulator.hooks.clear()
    emulator.after_hooks.clear()


@pytest.fixture
def ecs(aws: Emulator) -> Any:
    """A plain boto3 ECS client, for making changes out of band and reading state back."""
    return boto3.client("ecs", endpoint_url=aws.endpoint_url, region_name=REGION)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the command line in-process: cli("plan", path, ...) -> Result(code, out, err)."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def manifests(tmp_path: Path) -> Any:
    """A manifest tree builder: manifests({"a.yaml": "..."}) writes the files and returns the directory."""
    root = tmp_path / "manifests"

    def write(files: dict[str, str], *, fresh: bool = False) -> Path:
        if fresh and root.exists():
            shutil.rmtree(root)
        root.mkdir(exist_ok=True)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return root

    return write


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the bundled manifests/ example, free to edit."""
    target = tmp_path / "example"
    shutil.copytree(ROOT / "manifests", target)
    return target
