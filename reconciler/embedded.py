"""Load the embedded AWS emulator (``reconciler.emulator``), which only the ``embedded`` extra can run, and find the
running ones (``ecs-reconciler emulator``) other commands' ``--embedded-aws`` uses.

A plain install has no moto: nothing on its normal paths imports the emulator, and asking for it
(``--embedded-aws``, ``demo``) ends in a UsageError that names the install command instead of a traceback. Each
running emulator leaves a record (URL, process, state file) in the discovery folder; several can run at once.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from reconciler.core.errors import UsageError

SOURCE = "git+https://github.com/YOUR-ORG/ecs-reconciler@v0.1.0"
"""Where the tool is installed from: its repository at a release tag (the name ecs-reconciler on PyPI is not it).
YOUR-ORG stands for wherever your organisation hosts this repository."""
INSTALL_COMMAND = f"pip install 'ecs-reconciler[embedded] @ {SOURCE}' (in a clone: pip install -e '.[embedded]')"
"""What installs the emulator's dependencies (moto's server and what it brings)."""


def load_emulator() -> ModuleType:
    """Return the ``reconciler.emulator`` module, or raise UsageError naming INSTALL_COMMAND when its dependencies
    are not installed."""
    try:
        return importlib.import_module("reconciler.emulator")
    except ModuleNotFoundError as exc:
        missing = exc.name or "a dependency"
        if missing.split(".")[0] == "reconciler":
            raise  # the tool itself is broken, not the install
        raise UsageError(
            f"the embedded AWS emulator is not installed ({missing} is missing); install it with: {INSTALL_COMMAND}"
        ) from exc


# --- running emulators (`ecs-reconciler emulator`), found by the other commands' --embedded-aws ------------------

EMULATOR_ENV = "ECS_RECONCILER_EMULATOR"
"""Names the running emulator ``--embedded-aws`` uses, as ``--emulator`` does: its URL (``ecs-reconciler emulator``
prints it), its port or its state file."""


@dataclass(frozen=True)
class Announced:
    """One emulator's record in the discovery folder: where it serves and what it keeps its state in."""

    url: str
    pid: int
    state: str | None
    """The absolute path of its ``--state`` file (None: its state ends with it)."""

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port or 80

    @property
    def kept(self) -> str:
        """Where its state is kept, in words."""
        return f"state {self.state}" if self.state else "no state file"

    def __str__(self) -> str:
        return f"{self.url} ({self.kept})"


@dataclass(frozen=True)
class Discovered:
    """What ``--embedded-aws`` finds: the running emulator to use (None: start one for the command) and the
    emulators that stopped since a command last looked (their records are then removed: said once)."""

    running: Announced | None
    stopped: tuple[Announced, ...] = ()


def discovery_folder() -> str:
    """Where each running ``ecs-reconciler emulator`` leaves a record (``PORT.json``): the user's cache directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "ecs-reconciler", "emulators")


def _answers(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=1):
            return True
    except OSError:
        return False


def _alive(record: Announced) -> bool:
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return _answers(record.url)


def _records() -> dict[str, Announced]:
    """The records in the discovery folder by file; unreadable ones are skipped."""
    folder, found = discovery_folder(), {}
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except OSError:
        return {}
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                data = json.load(handle)
            found[name] = Announced(str(data["url"]), int(data["pid"]), data.get("state") or None)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


def _names(record: Announced, which: str) -> bool:
    """Whether ``which`` (a URL, a port or a state file) names the emulator of ``record``."""
    if which.rstrip("/") == record.url.rstrip("/") or which == str(record.port):
        return True
    return record.state is not None and os.path.abspath(os.path.expanduser(which)) == record.state


def _forget(files: Sequence[str]) -> None:
    for name in files:
        with contextlib.suppress(OSError):
            os.remove(os.path.join(discovery_folder(), name))


def running_emulator(which: str | None = None) -> Discovered:
    """The running emulator ``--embedded-aws`` uses: the one ``which`` (else ``$ECS_RECONCILER_EMULATOR``) names by
    URL, port or state file, else the only one running. Raises UsageError, in one line, when the named one is not
    running, or when several run and none is named (it lists them: a second emulator never takes over silently)."""
    which = which or os.environ.get(EMULATOR_ENV) or None
    records = _records()
    running = {name: r for name, r in records.items() if _alive(r)}
    stopped = {name: r for name, r in records.items() if name not in running}
    if which is not None:
        chosen = next((r for r in running.values() if _names(r, which)), None)
        if chosen is None and "://" in which and _answers(which):
            chosen = Announced(which.rstrip("/"), 0, None)  # served elsewhere (another container, a tunnel)
        if chosen is not None:
            return Discovered(chosen)
        gone = next((r for r in stopped.values() if _names(r, which)), None)
        if gone is not None:
            again = f" --state {gone.state}" if gone.state else f" --port {gone.port}"
            raise UsageError(f"the AWS emulator {gone} is stopped: start it again with: ecs-reconciler emulator{again}")
        listed = "; ".join(str(r) for r in running.values()) or "none is running"
        raise UsageError(f"no running AWS emulator is {which!r} ({listed}); start one with: ecs-reconciler emulator")
    if len(running) > 1:
        listed = "; ".join(str(r) for r in running.values())
        raise UsageError(
            f"{len(running)} AWS emulators are running: {listed}; name one with --emulator PORT|URL|STATE-FILE "
            f"(or {EMULATOR_ENV})"
        )
    if running:
        return Discovered(next(iter(running.values())))
    _forget(list(stopped))
    return Discovered(None, tuple(stopped.values()))


def others_running(url: str) -> list[Announced]:
    """The emulators running besides the one at ``url``."""
    return [r for r in _records().values() if r.url != url and _alive(r)]


def announce(url: str, *, state: str | None) -> None:
    """Leave this process's emulator's record in the discovery folder (it stays after a stop, so the next command
    can say the emulator stopped instead of quietly using an empty one)."""
    record = {"url": url, "pid": os.getpid(), "state": os.path.abspath(state) if state else None}
    _forget([name for name, r in _records().items() if r.state == record["state"] and state and not _alive(r)])
    folder = discovery_folder()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{urllib.parse.urlsplit(url).port}.json")
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(tmp, path)


def state_in_use(state: str) -> Announced | None:
    """The running emulator that keeps its state in ``state`` already, if any (two must never share one file)."""
    wanted = os.path.abspath(state)
    return next((r for r in _records().values() if r.state == wanted and _alive(r)), None)
