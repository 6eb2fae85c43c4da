"""Load the embedded AWS emulator (``reconciler.emulator``), which only the ``embedded`` extra can run.

A plain install has no moto: nothing on its normal paths imports the emulator, and asking for it
(``--embedded-aws``, ``demo``) ends in a UsageError that names the install command instead of a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reconciler.core.errors import UsageError

INSTALL_COMMAND = "pip install 'ecs-reconciler[embedded]'"
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
