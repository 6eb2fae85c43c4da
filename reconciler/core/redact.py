"""Keeps secret values out of plans, logs and alerts.

Task definition ``secrets`` only hold references (ARNs), but ``environment`` values are plaintext; any variable
whose name looks like a credential has its value replaced before it reaches a plan or a log line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SENSITIVE_NAME = re.compile(r"PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY|AUTH", re.I)
"""Environment variable names whose values are treated as secrets."""
MASK = "(sensitive value)"


def is_sensitive(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name))


def _mask_env(env: Any) -> Any:
    if isinstance(env, Mapping):
        return {k: MASK if is_sensitive(str(k)) else v for k, v in env.items()}
    if isinstance(env, list):
        return [
            {**item, "value": MASK} if isinstance(item, Mapping) and is_sensitive(str(item.get("name", ""))) else item
            for item in env
        ]
    return env


def redact(value: Any) -> Any:
    """A copy of ``value`` with sensitive ``environment`` values masked, at any depth."""
    if isinstance(value, Mapping):
        return {k: _mask_env(redact(v)) if k == "environment" else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redact_at(path: str, value: Any) -> Any:
    """``value`` found at ``path`` (a plan field path) with secrets masked."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[-2] == "environment" and is_sensitive(parts[-1]):
        return MASK
    if parts[-1] == "environment":
        return _mask_env(redact(value))
    return redact(value)
