"""Keeps secret values out of plans, logs and alerts.

Task definition ``secrets`` only hold references (ARNs), but ``environment`` values are plaintext. An environment
value is replaced before it reaches a plan or a log line when its variable's name looks like a credential
(``DB_PASSWORD``, ``GITHUB_PAT``, ``SENTRY_DSN``) or when the value itself has a credential's shape (an AWS access
key id, a GitHub, Slack or Stripe token, a private key, a JWT, a URL with a password), whatever its name. The same
shapes are masked inside any other string a plan shows (a command line, a label).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SENSITIVE_NAME = re.compile(
    r"PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY|AUTH|WEBHOOK|DATABASE_?URL"
    r"|CONN(ECTION)?_?STRING|(?<![A-Z0-9])(DSN|PAT)(?![A-Z0-9])",
    re.I,
)
"""Environment variable names whose values are treated as secrets (``PAT`` and ``DSN`` only as whole words, so
``PATH`` is not)."""
KEY_NAME = re.compile(r"KEY", re.I)
"""Names under which a bare 40-character base64 value is taken for an AWS secret access key."""
AWS_SECRET_KEY_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")
CREDENTIAL_SHAPES: Mapping[str, re.Pattern[str]] = {
    "AWS access key id": re.compile(  # with the secret key that follows it, if any
        r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])(?:[\s:=,;|\"']{1,5}[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+]))?"
    ),
    "AWS secret access key": re.compile(
        r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"
    ),
    "GitHub token": re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    "Slack token": re.compile(r"(?<![A-Za-z0-9])xox[abpr]-[A-Za-z0-9-]{10,}"),
    "Stripe key": re.compile(r"(?<![A-Za-z0-9])[sr]k_live_[A-Za-z0-9]{10,}"),
    "private key": re.compile(
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY-----|.*)", re.S
    ),
    "JWT": re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    "URL with a password": re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:[^\s/?#@]+@[^\s\"'<>]*"),
}
"""Values that are credentials whatever the variable is called (found anywhere in a string)."""
MASK = "(sensitive value)"


def is_sensitive(name: str) -> bool:
    """The name of an environment variable that holds a credential."""
    return bool(SENSITIVE_NAME.search(name))


def credential_shape(value: str, *, name: str = "") -> str | None:
    """What credential ``value`` holds (e.g. "GitHub token"), or None; ``name`` is its variable's name, if any."""
    for shape, pattern in CREDENTIAL_SHAPES.items():
        if pattern.search(value):
            return shape
    if KEY_NAME.search(name) and AWS_SECRET_KEY_VALUE.fullmatch(value.strip()):
        return "AWS secret access key"
    return None


def is_secret(name: str, value: Any) -> bool:
    """An environment variable whose value must not be shown: a credential's name, or a credential's shape."""
    return is_sensitive(name) or (isinstance(value, str) and credential_shape(value, name=name) is not None)


def mask_text(text: str) -> str:
    """``text`` with every credential-shaped part replaced by the mask."""
    for pattern in CREDENTIAL_SHAPES.values():
        text = pattern.sub(MASK, text)
    return text


def _mask_env(env: Any) -> Any:
    if isinstance(env, Mapping):
        return {k: MASK if is_secret(str(k), v) else _strings(v) for k, v in env.items()}
    if isinstance(env, list):
        return [
            {**item, "value": MASK}
            if isinstance(item, Mapping) and is_secret(str(item.get("name", "")), item.get("value"))
            else _strings(item)
            for item in env
        ]
    return _strings(env)


def _strings(value: Any) -> Any:
    """A copy of ``value`` with credential shapes masked in every string, at any depth."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret ``environment`` values masked whole, at any depth, and credential shapes
    masked in every other string."""
    if isinstance(value, Mapping):
        return {k: _mask_env(v) if k == "environment" else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return _strings(value)


def redact_at(path: str, value: Any) -> Any:
    """``value`` found at ``path`` (a plan field path) with secrets masked. An environment variable's name may hold
    dots (``spring.datasource.password``): it is everything after ``.environment.``."""
    _, inside, name = path.partition(".environment.")
    if inside and is_secret(name, value):
        return MASK
    if path == "environment" or path.endswith(".environment"):
        return _mask_env(value)
    return redact(value)
