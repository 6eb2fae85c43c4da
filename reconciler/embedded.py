"""Load the embedded AWS emulator (``reconciler.emulator``), which only the ``embedded`` extra can run.

A plain install has no moto: nothing on its normal paths imports the emulator, and asking for it
(``--embedded-aws``, ``demo``) ends in a UsageError that names the install command instead of a traceback.

The emulator's entry points are also attributes of this module, loaded on first use, so a caller writes
``from reconciler.embedded import start_emulator`` where it would import them from ``reconciler.emulator``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from reconciler.core.errors import UsageError

INSTALL_COMMAND = "pip install 'ecs-reconciler[embedded]'"
"""What installs the emulator's dependencies (moto's server and what it brings)."""
ENTRY_POINTS = ("start_emulator", "seed_demo_network", "seed_lease_table")
"""The emulator's names the command line uses, importable from this module."""


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


def __getattr__(name: str) -> Any:
    """``from reconciler.embedded import start_emulator``: the emulator's entry point, or the UsageError above."""
    if name not in ENTRY_POINTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(load_emulator(), name)
