"""Load the embedded AWS emulator (``reconciler.emulator``), which only the ``embedded`` extra can run.

A plain install has no moto: nothing on its normal paths imports the emulator, and asking for it
(``--embedded-aws``, ``demo``) ends in a UsageError that names the install command instead of a traceback.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import urllib.parse
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


# --- a running emulator (`ecs-reconciler emulator`), found by the other commands' --embedded-aws -------------------

EMULATOR_ENV = "ECS_RECONCILER_EMULATOR"
"""Set to a running emulator's URL to make ``--embedded-aws`` use it (``ecs-reconciler emulator`` prints it)."""


def discovery_file() -> str:
    """Where a running ``ecs-reconciler emulator`` leaves its address: the user's cache directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "ecs-reconciler", "emulator.json")


def _answers(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=1):
            return True
    except OSError:
        return False


def running_emulator() -> str | None:
    """The URL of a running emulator: ``$ECS_RECONCILER_EMULATOR``, else the one the discovery file names if its
    process is alive and the port answers; None when there is none."""
    url = os.environ.get(EMULATOR_ENV)
    if url:
        if not _answers(url):
            raise UsageError(f"{EMULATOR_ENV}={url}: nothing answers there; start one with: ecs-reconciler emulator")
        return url
    try:
        with open(discovery_file(), encoding="utf-8") as handle:
            found = json.load(handle)
        pid, url = int(found["pid"]), str(found["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return url if _answers(url) else None


def announce(url: str) -> None:
    """Write the discovery file for this process's emulator."""
    path = discovery_file()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "pid": os.getpid()}, handle)
    os.replace(tmp, path)


def withdraw(url: str) -> None:
    """Remove the discovery file if it still names this emulator."""
    path = discovery_file()
    try:
        with open(path, encoding="utf-8") as handle:
            if json.load(handle).get("url") != url:
                return
        os.remove(path)
    except (OSError, ValueError, AttributeError):
        return
