"""Shared fixtures: one emulator (a moto server over HTTP, patched to behave like documented AWS, behind the tests'
recording and fault-injection middleware from faults.py) per test session, emptied before each test; the CLI run
in-process with AWS_ENDPOINT_URL pointing at it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from daemon_io import Webhook
from faults import HookedEmulator, start_hooked_emulator

from reconciler import log
from reconciler.cli import main
from reconciler.embedded import EMULATOR_ENV
from reconciler.emulator import ECS_TASKS_TRUST, seed_demo_network
from reconciler.emulator import server as emulator_server
from reconciler.emulator.clock import CLOCK

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
TOOL_CALLS = pytest.StashKey[list[tuple[str, frozenset[str]]]]()
"""IAM action names of the AWS calls ecs-reconciler made during the session, each with the tag keys its request set
(recorded by faults.HookedApp)."""


@pytest.fixture(autouse=True)
def own_emulator_discovery(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's ``--embedded-aws`` finds only an emulator the test itself announced: the discovery file
    (reconciler.embedded.discovery_folder(), under XDG_CACHE_HOME) lives in a fresh folder, and no emulator URL comes
    from the environment. Returns the cache folder."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv(EMULATOR_ENV, raising=False)
    return cache


@pytest.fixture(autouse=True)
def logs_to_this_tests_stderr() -> None:
    """structlog keeps the stream it was configured with; a test that runs the engine without the CLI would
    otherwise write to the stderr an earlier test's capture has already closed."""
    log.configure(level="warning")


def aws_environment(emulator: HookedEmulator) -> dict[str, str]:
    """The standard AWS environment variables, pointing at the emulator."""
    return {
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


@pytest.fixture(scope="session")
def emulator(request: pytest.FixtureRequest) -> Iterator[HookedEmulator]:
    with start_hooked_emulator() as server:
        request.config.stash[TOOL_CALLS] = server.tool_requests  # checked against the IAM policy at the end
        yield server


def clean_emulator(emulator: HookedEmulator, env: pytest.MonkeyPatch) -> None:
    """Empty the emulator and its fault hooks, seed the demo network, and point the standard AWS environment
    variables at it (no profile, no session token)."""
    emulator.reset()
    emulator.hooks.clear()
    emulator.after_hooks.clear()
    seed_demo_network(region=REGION)
    for name, value in aws_environment(emulator).items():
        env.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.delenv(name, raising=False)


@pytest.fixture
def aws(emulator: HookedEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[HookedEmulator]:
    """A clean emulator with the demo network, and the standard AWS environment variables pointing at it."""
    clean_emulator(emulator, monkeypatch)
    emulator.reset_calls()
    yield emulator
    emulator.hooks.clear()
    emulator.after_hooks.clear()


class HeldClock:
    """The emulator's clock, stopped by ``hold`` (no deployment moves on) and let go by ``release``, which puts it
    where it would stand had it never stopped, as after a daemon lay down that long; let go at the test's end too."""

    def __init__(self) -> None:
        self.since: tuple[float, float] | None = None

    def hold(self) -> None:
        self.since = (time.monotonic(), CLOCK.now())
        CLOCK.freeze()

    def release(self) -> None:
        if self.since is None:
            return
        (machine, emulator), self.since = self.since, None
        CLOCK.thaw()
        CLOCK.advance((time.monotonic() - machine) - (CLOCK.now() - emulator))


@pytest.fixture
def held_clock() -> Iterator[HeldClock]:
    clock = HeldClock()
    yield clock
    clock.release()


@pytest.fixture
def ecs(aws: HookedEmulator) -> Any:
    """A plain boto3 ECS client, for making changes out of band and reading state back."""
    return boto3.client("ecs", endpoint_url=aws.endpoint_url, region_name=REGION)


@pytest.fixture
def roles(aws: HookedEmulator) -> Any:
    """roles("a", "b") creates IAM roles that trust ecs-tasks.amazonaws.com, as task and execution roles must."""
    iam = boto3.client("iam", endpoint_url=aws.endpoint_url, region_name=REGION)

    def make(*names: str) -> None:
        for name in names:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=ECS_TASKS_TRUST)

    return make


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


# ------------------------------------------------------------------------------------------------ the daemon


class GitSync:
    """Publishes revisions the way git-sync v4 does: write ``.worktrees/<hash>``, atomically rename a new symlink
    over the link, then delete the old worktree at once (git-sync's default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.link = root / "current"
        self.published: list[str] = []
        (root / ".worktrees").mkdir(parents=True, exist_ok=True)

    def publish(self, files: dict[str, str]) -> str:
        revision = hashlib.sha1(f"{len(self.published)}-{files}".encode()).hexdigest()
        worktree = self.root / ".worktrees" / revision
        worktree.mkdir()
        for name, text in files.items():
            (worktree / name).parent.mkdir(parents=True, exist_ok=True)
            (worktree / name).write_text(textwrap.dedent(text))
        old = os.path.realpath(self.link) if self.link.is_symlink() else None
        tmp = self.root / f".tmp-link-{revision[:8]}"
        tmp.symlink_to(f".worktrees/{revision}")
        os.replace(tmp, self.link)
        if old:
            shutil.rmtree(old)
        self.published.append(revision)
        return revision


@pytest.fixture
def gitsync(tmp_path: Path) -> GitSync:
    return GitSync(tmp_path / "git")


class DaemonProcess:
    """``python -m reconciler run ...`` as a subprocess; its JSON log events are collected as they arrive.
    ``inject``: Python run in the process before the command line (a fault put into the daemon's own code)."""

    def __init__(self, *args: str | Path, env: dict[str, str], inject: str | None = None) -> None:
        start = ["-m", "reconciler"]
        if inject is not None:
            start = ["-c", f"{inject}\nimport sys\nfrom reconciler.cli import main\nsys.exit(main(sys.argv[1:]))"]
        self.process = subprocess.Popen(
            [sys.executable, *start, "--log-level", "info", "run", *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.events: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))

    def find(self, event: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            e for e in list(self.events) if e.get("event") == event and all(e.get(k) == v for k, v in fields.items())
        ]

    def wait_for_event(self, event: str, *, timeout: float = 30, **fields: Any) -> dict[str, Any]:
        found: list[dict[str, Any]] = eventually(
            lambda: self.find(event, **fields), timeout=timeout, what=f"log event {event} {fields}"
        )
        return found[-1]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A loopback HTTP server keeping the alerts a daemon POSTs to it."""
    hook = Webhook()
    yield hook
    hook.server.shutdown()


def eventually(check: Any, *, timeout: float = 30, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds (generous: correctness, not
    speed, is tested here; timings are measured in bench/)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def daemon(aws: HookedEmulator) -> Iterator[Any]:
    """Start daemons: daemon(path, "--resync-interval", "1", ..., inject=None) -> DaemonProcess; all are killed at
    the end."""
    started: list[DaemonProcess] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start(*args: str | Path, inject: str | None = None) -> DaemonProcess:
        process = DaemonProcess(*args, env=env, inject=inject)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


# ------------------------------------------------------------------------- the IAM policy against real calls

POLICY = ROOT / "deploy" / "iam-policy.json"
IMPLICIT_ACTIONS = {"iam:PassRole"}
"""Allowed by the policy but never seen as a call: AWS checks iam:PassRole inside RegisterTaskDefinition when a
task definition names a task or execution role."""
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
"""Called without being allowed: AWS answers GetCallerIdentity whatever the caller's policies (the plan's header
names the account from it)."""
DESELECTED = pytest.StashKey[bool]()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash[DESELECTED] = True


def allowed_actions(policy: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", "the policy only allows"
        listed = statement["Action"]
        actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions


NOT_MODELLED = frozenset({"aws:ResourceTag/"})
"""Condition keys the check cannot evaluate and takes as met: the emulator's middleware sees a request, not the tags
the resource it names carries at that moment. That the tool only changes and deletes resources carrying its
managed-by tag is shown by the ownership tests (tests/test_safety.py), not here."""


def condition_met(operator: str, key: str, value: Any, *, request_tags: frozenset[str]) -> bool:
    """One condition of a statement, as far as a recorded call tells: ``Null`` on ``aws:RequestTag/K`` (the request
    sets tag K or not); ``aws:ResourceTag/`` keys are taken as met (NOT_MODELLED); any other key is a service's
    context (``ecs:CreateAction``, ``iam:PassedToService``) that no explicit call carries: not met."""
    if key.startswith(tuple(NOT_MODELLED)):
        return True
    if operator == "Null" and key.startswith("aws:RequestTag/"):
        present = key.removeprefix("aws:RequestTag/") in request_tags
        return present if value == "false" else not present
    return False


def call_allowed(policy: dict[str, Any], action: str, request_tags: frozenset[str]) -> bool:
    """Some Allow statement lists the action and all its conditions are met (Resource ARNs are not evaluated: the
    middleware does not rebuild each call's ARN)."""
    for statement in policy["Statement"]:
        listed = statement["Action"]
        if action not in ({listed} if isinstance(listed, str) else set(listed)):
            continue
        conditions = statement.get("Condition", {})
        if all(
            condition_met(operator, key, value, request_tags=request_tags)
            for operator, pairs in conditions.items()
            for key, value in pairs.items()
        ):
            return True
    return False


def check_policy(calls: set[tuple[str, frozenset[str]]], *, complete: bool) -> list[str]:
    """Every call is allowed, its conditions included; with ``complete`` (the whole suite ran), every allowed action
    was called."""
    policy = json.loads(POLICY.read_text())
    allowed = allowed_actions(policy)
    problems = [
        f"called but not allowed: {action}" + (f" (request tags: {sorted(tags)})" if tags else "")
        for action, tags in sorted(calls, key=lambda c: (c[0], sorted(c[1])))
        if action not in NEEDS_NO_PERMISSION and not call_allowed(policy, action, tags)
    ]
    if complete:
        called = {action for action, _ in calls}
        problems += [f"allowed but never called: {a}" for a in sorted(allowed - called - IMPLICIT_ACTIONS)]
    return problems


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """deploy/iam-policy.json allows every call the tool made in this run and, after a full passing run, no more.

    The emulator's middleware (faults.HookedApp) tells the tool's calls from the tests' own setup calls by the
    User-Agent the tool sends."""
    calls = session.config.stash.get(TOOL_CALLS, None)
    if calls is None or exitstatus != 0:
        return
    ran = {Path(str(item.path)).name for item in session.items}
    every_file = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    complete = ran == every_file and not session.config.stash.get(DESELECTED, False)
    problems = check_policy(set(calls), complete=complete)
    if problems:
        print("\ndeploy/iam-policy.json does not match the AWS calls ecs-reconciler made:\n  " + "\n  ".join(problems))
        session.exitstatus = 1


# ------------------------------------------------------------------------- markers

EMULATOR_FIXTURES = frozenset({"emulator", "aws"})
EMULATOR_ARGUMENTS = frozenset({"--embedded-aws", "demo", "emulator"})
"""Command-line words that make ecs-reconciler start an AWS emulator of its own."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that starts or uses the emulator is marked `emulator`, so `-m "not emulator"` runs the pure core's
    tests alone (the quick local run)."""
    for item in items:
        if EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.emulator)


class UnmarkedEmulator(AssertionError):
    """A test not marked `emulator` started one."""


def starts_emulator(args: Any) -> bool:
    """Whether a command line (as given to subprocess.Popen) runs ecs-reconciler so that it starts an emulator."""
    words = [str(args)] if isinstance(args, (str, bytes, os.PathLike)) else [str(a) for a in args]
    runs_the_tool = any(w.endswith("ecs-reconciler") or w == "reconciler" for w in words)
    return runs_the_tool and bool(EMULATOR_ARGUMENTS & set(words))


@pytest.fixture(autouse=True)
def emulator_only_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `emulator` that starts one, in-process (anything served by reconciler.emulator.serve) or
    as a subprocess running ecs-reconciler with EMULATOR_ARGUMENTS, fails with UnmarkedEmulator: `-m "not
    emulator"` starts no emulator."""
    if request.node.get_closest_marker("emulator") is not None:
        return
    name = request.node.nodeid

    def refuse_to_serve(*args: Any, **kwargs: Any) -> Any:
        raise UnmarkedEmulator(f"{name} starts an AWS emulator: mark it `emulator`")

    monkeypatch.setattr(emulator_server, "make_server", refuse_to_serve)
    popen_init = subprocess.Popen.__init__

    def checked_popen_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        if starts_emulator(args):
            raise UnmarkedEmulator(f"{name} runs {args!r}, which starts an AWS emulator: mark it `emulator`")
        popen_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", checked_popen_init)
