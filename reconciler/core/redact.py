"""Keeps secret values out of plans, logs and alerts.

Task definition ``secrets`` only hold references (ARNs), but ``environment`` values are plaintext. An environment
value is replaced before it reaches a plan or a log line when its variable's name looks like a credential
(``DB_PASSWORD``, ``DB_PASS``, ``MYSQL_PWD``, ``GITHUB_PAT``, ``SENTRY_DSN``) or when the value itself has a
credential's shape (an AWS access key id, a GitHub, Slack or Stripe token, a private key, a JWT, a URL with a
password), whatever its name. The same shapes are masked inside any other string a plan shows (a command line, a
label). ``Masker`` masks the values of sensitive ``${VAR}`` variables (declared so, or named like a credential)
wherever they appear in any output.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SECRET_WORDS = (
    "password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey", "accesskey",
    "webhook", "databaseurl", "connectionstring", "connstring",
)  # fmt: skip
"""Found anywhere in a name, its separators and case ignored (``dbPassword``, ``spring.datasource.password``)."""
SECRET_PARTS = frozenset(
    {"pass", "pwd", "pw", "key", "keys", "dsn", "pat", "auth", "oauth", "authn", "authz", "authorization", "cert"}
    | {"certs", "certificate", "private", "creds", "salt"}
)
"""Whole parts of a name (split at ``_ - .`` and camelCase): ``DB_PASS``, ``MYSQL_PWD``, ``STRIPE_KEY``; ``PATH``,
``PATTERN``, ``DSNAME`` and ``AUTHOR`` hold none."""
NAMING_PARTS = frozenset({"id", "ids", "arn", "name", "alias", "path", "file", "dir", "ttl", "type", "version"})
"""A name ending in one of these names or points to a credential without holding it: ``AWS_ACCESS_KEY_ID``,
``KMS_KEY_ARN``, ``SECRET_NAME``, ``DB_PASSWORD_FILE``, ``TOKEN_TTL``."""
NAME_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
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
    """The name of a variable (an environment variable, a ``${VAR}``) that holds a credential: a secret word
    anywhere in it, or a secret part (``PUBLIC_KEY``, ``PUBLIC_CERT`` excepted), unless its last part says it only
    names or points to one."""
    parts = [p.lower() for p in NAME_PARTS.findall(name)]
    if not parts or parts[-1] in NAMING_PARTS:
        return False
    if any(word in "".join(parts) for word in SECRET_WORDS):
        return True
    found = SECRET_PARTS.intersection(parts)
    if "public" in parts:
        found -= {"key", "keys", "cert", "certs", "certificate"}
    return bool(found)


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


WHOLE_ONLY = 6
"""A sensitive value shorter than this many characters is masked only where a string is exactly it: masked inside
longer strings, ``1024`` or ``prod`` would blank out every memory size and name that contains them."""


@dataclass(frozen=True)
class Masker:
    """Masks the values of sensitive variables wherever they appear, whole or inside a longer string (an image
    tag, a label, a command, a log line, an error message), also as JSON writes them (escaped)."""

    values: tuple[str, ...] = ()
    """The sensitive values, longest first (a value inside another is masked after it)."""

    @classmethod
    def of(cls, variables: Mapping[str, str], sensitive: Iterable[str]) -> Masker:
        found = {variables[name] for name in sensitive if variables.get(name)}
        return cls(tuple(sorted(found, key=lambda v: (-len(v), v))))

    def __bool__(self) -> bool:
        return bool(self.values)

    def text(self, text: str) -> str:
        if text in self.values:
            return MASK
        for value in self.values:
            if len(value) >= WHOLE_ONLY:
                text = text.replace(value, MASK)
                escaped = json.dumps(value)[1:-1]
                if escaped != value:
                    text = text.replace(escaped, MASK)
        return text

    def value(self, value: Any) -> Any:
        """A copy of ``value`` with every string masked, at any depth (mappings, lists, tuples, frozen dataclasses)."""
        if not self.values:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: self.value(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **fields)
        return value
