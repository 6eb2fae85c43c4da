"""Environments: fill ``${VAR}``, ``${VAR:-default}`` and ``${ssm:/path}`` in manifest values, keeping file and line.

Pure: the caller gathers variable values (``--var``, ``--var-file``, the process environment) and, at plan time,
SSM parameters; this module only substitutes them into loaded Documents, before they become resources, so every
error still names the file and line. ``$${...}`` is a literal ``${...}``. Keys are never substituted, only values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.core.errors import ManifestError
from reconciler.core.loader import Document

PLACEHOLDER = re.compile(r"\$\$\{|\$\{([^}]*)\}")
"""``$${`` (an escaped literal) or ``${...}`` (a placeholder)."""
VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.S)
SSM_PREFIX = "ssm:"
SECURE_STRING = "SecureString"


@dataclass(frozen=True)
class Parameter:
    """An SSM parameter as read for substitution (never decrypted: a SecureString's value is not used)."""

    type: str
    value: str


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    """Every (field path, string value) below ``value``."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [item for key, v in value.items() for item in _strings(v, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in _strings(v, f"{path}[{i}]")]
    return []


def ssm_paths(docs: list[Document]) -> list[str]:
    """The SSM parameter names the documents refer to (sorted, each once)."""
    found = set()
    for doc in docs:
        for _, text in _strings(doc.body, ""):
            for match in PLACEHOLDER.finditer(text):
                if match.group(1) and match.group(1).startswith(SSM_PREFIX):
                    found.add(match.group(1)[len(SSM_PREFIX) :])
    return sorted(found)


class _Filler:
    """Substitutes one document's strings, collecting errors with their field and line."""

    def __init__(self, doc: Document, variables: Mapping[str, str], ssm: Mapping[str, Parameter] | None) -> None:
        self.doc, self.variables, self.ssm = doc, variables, ssm
        self.errors: list[ManifestError] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(ManifestError(self.doc.file, message, line=self.doc.line_of(path), field=path or None))

    def fill(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self.one(m, path), value)
        if isinstance(value, Mapping):
            return {k: self.fill(v, f"{path}.{k}" if path else k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def one(self, match: re.Match[str], path: str) -> str:
        if match.group(1) is None:
            return "${"
        inner = match.group(1)
        if inner.startswith(SSM_PREFIX):
            return self.parameter(inner[len(SSM_PREFIX) :], match.group(0), path)
        parsed = VARIABLE.match(inner)
        if parsed is None:
            self.error(path, f"${{{inner}}} is not a variable: use ${{NAME}}, ${{NAME:-default}} or ${{ssm:/path}}")
            return match.group(0)
        name, default = parsed.group(1), parsed.group(2)
        if name in self.variables:
            return self.variables[name]
        if default is not None:
            return default
        self.error(path, f"variable {name} is not defined (set it with --var, --var-file or the environment)")
        return match.group(0)

    def parameter(self, name: str, placeholder: str, path: str) -> str:
        if self.ssm is None:
            return placeholder
        found = self.ssm.get(name)
        if found is None:
            self.error(path, f"SSM parameter {name} does not exist (or is not readable)")
            return placeholder
        if found.type == SECURE_STRING:
            self.error(
                path,
                f"SSM parameter {name} is a SecureString: reference it from the container's secrets (valueFrom) "
                "so its value never lands in a task definition",
            )
            return placeholder
        return found.value


def substitute(
    docs: list[Document], variables: Mapping[str, str], *, ssm: Mapping[str, Parameter] | None = None
) -> tuple[list[Document], list[ManifestError]]:
    """Documents with placeholders filled. ``ssm=None`` leaves ``${ssm:...}`` as written (offline validation)."""
    out: list[Document] = []
    errors: list[ManifestError] = []
    for doc in docs:
        filler = _Filler(doc, variables, ssm)
        body = filler.fill(doc.body, "")
        out.append(replace(doc, body=body))
        errors.extend(filler.errors)
    return out, errors


def merge_sources(
    *, cli: Mapping[str, str], files: Sequence[Mapping[str, str]], environment: Mapping[str, str]
) -> dict[str, str]:
    """Variable values by precedence: ``--var`` over ``--var-file`` (a later file over an earlier one) over the
    process environment."""
    merged = dict(environment)
    for values in files:
        merged.update(values)
    merged.update(cli)
    return merged
