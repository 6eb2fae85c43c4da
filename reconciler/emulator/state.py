"""Keep the emulator's state across restarts (``ecs-reconciler emulator --state FILE``).

moto has no persistence of its own; its state is the backends (one object per service, account and region) held in
process-global ``BackendDict``s. They are plain Python objects, so the state is a pickle of them, written on exit
and loaded before the server starts. A backend that cannot be pickled is left out, and named.

A state file is a pickle: load only one this tool wrote on this machine (unpickling runs code of the file's choice).
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any

from moto.core.base_backend import BackendDict

FORMAT = 1


def _entries() -> list[tuple[type, str, str, Any]]:
    return [
        (backends.backend, account, region, backend)
        for backends in list(BackendDict._instances)  # type: ignore[misc]
        for account, per_account in list(backends.items())
        for region, backend in list(dict.items(per_account))
    ]


def save_state(file: str) -> list[str]:
    """Write every backend in use to ``file`` (atomically); returns the backends that could not be saved."""
    kept, skipped = [], []
    for entry in _entries():
        try:
            pickle.dumps(entry[3])
        except Exception:  # noqa: BLE001 - any failure means "cannot be saved"; the rest is still worth saving
            skipped.append(f"{entry[0].__name__} ({entry[1]}/{entry[2]})")
            continue
        kept.append(entry)
    tmp = f"{file}.{os.getpid()}.tmp"
    with open(tmp, "wb") as handle:
        pickle.dump({"format": FORMAT, "backends": kept}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, file)
    if skipped:
        print(f"Not saved (cannot be pickled): {', '.join(skipped)}", file=sys.stderr)
    return skipped


def _live_dict(cls: type) -> BackendDict[Any] | None:
    """The process's BackendDict for backends of class ``cls`` (moto keeps it in the class's module)."""
    module = sys.modules.get(cls.__module__)
    for value in vars(module).values() if module else ():
        if isinstance(value, BackendDict) and value.backend is cls:
            return value
    return None


def load_state(file: str) -> None:
    """Put the backends saved in ``file`` in place of the process's own (before the server starts)."""
    with open(file, "rb") as handle:
        saved = pickle.load(handle)  # noqa: S301 - the tool's own file, see the module docstring
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{file} is not an emulator state file this version wrote")
    for cls, account, region, backend in saved["backends"]:
        backends = _live_dict(cls)
        if backends is not None:
            dict.__setitem__(backends[account], region, backend)
