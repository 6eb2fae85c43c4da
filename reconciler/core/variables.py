"""Environments: fill ``${VAR}``, ``${VAR:-default}`` and ``${ssm:/path}`` in manifest values, keeping file and line.

Pure: the caller gathers variable values (``--var``, ``--var-file``, and the process environment, of which only
``ECSR_VAR_*`` is ever read: a manifest cannot pull the operator's credentials into a plan) and, at plan time, SSM
parameters; this module only substitutes them into loaded Documents, before they become resources, so every error
still names the file and line. ``$${...}`` is a literal ``${...}``. Keys are never substituted, only values. A
malformed placeholder (unterminated, nested, empty, a bad name) is an error, never passed through as text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.core.errors import ManifestError
from reconciler.core.loader import Document
from reconciler.core.redact import mask_text

OPENING = re.compile(r"\$\$\{|\$\{")
"""``$${`` (an escaped literal) or ``${`` (a placeholder's start)."""
VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.S)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SSM_PREFIX = "ssm:"
SSM_NAME = re.compile(r"[A-Za-z0-9_.\-/]+")
"""The characters SSM allows in a parameter name."""
SECURE_STRING = "SecureString"
ENVIRONMENT_PREFIX = "ECSR_VAR_"
"""The only environment variables read: ``ECSR_VAR_IMAGE_TAG`` fills ``${IMAGE_TAG}``."""
USAGE = "use ${NAME}, ${NAME:-default} or ${ssm:/path}"


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


@dataclass(frozen=True)
class _Placeholder:
    """One ``${...}``: a variable (``name`` and maybe ``default``) or an SSM parameter (``ssm``)."""

    text: str
    name: str | None = None
    default: str | None = None
    ssm: str | None = None


def _shown(text: str) -> str:
    """The start of an unterminated placeholder, enough to find it (never the rest of the value)."""
    head = re.match(r"\$\{[A-Za-z0-9_.:/-]{0,40}", text)
    return mask_text(head.group(0)) if head else "${"


def _placeholder(inner: str) -> _Placeholder | str:
    """The placeholder ``${inner}``, or what is wrong with it."""
    text = f"${{{inner}}}"
    shown = mask_text(text)  # an error shows the placeholder, never a credential typed into it
    if not inner:
        return f"empty placeholder ${{}}: {USAGE}"
    if inner.startswith(SSM_PREFIX):
        name = inner[len(SSM_PREFIX) :]
        if not name:
            return "${ssm:} names no SSM parameter: use ${ssm:/path/name}"
        if not SSM_NAME.fullmatch(name):
            return f"{shown} is not an SSM parameter name (letters, digits and _.-/ only)"
        return _Placeholder(text, ssm=name)
    parsed = VARIABLE.match(inner)
    if parsed is None:
        return f"{shown} is not a variable: {USAGE}"
    return _Placeholder(text, name=parsed.group(1), default=parsed.group(2))


def _parse(text: str) -> tuple[list[str | _Placeholder], str | None]:
    """A string value as literal pieces and placeholders, or the first syntax problem in it."""
    pieces: list[str | _Placeholder] = []
    pos = 0
    while (opening := OPENING.search(text, pos)) is not None:
        pieces.append(text[pos : opening.start()])
        pos = opening.end()
        if opening.group(0) == "$${":
            pieces.append("${")
            continue
        close = text.find("}", pos)
        if close < 0:
            shown = _shown(text[opening.start() :])
            return pieces, f"unterminated placeholder {shown}: close it with }} (or write $${{ for a literal ${{)"
        inner = text[pos:close]
        if "${" in inner:
            shown = mask_text(f"${{{inner}}}")
            return pieces, f"nested placeholder in {shown}: a default is literal text, it cannot hold a placeholder"
        found = _placeholder(inner)
        if isinstance(found, str):
            return pieces, found
        pieces.append(found)
        pos = close + 1
    pieces.append(text[pos:])
    return pieces, None


def ssm_paths(docs: list[Document]) -> list[str]:
    """The SSM parameter names the documents refer to (sorted, each once)."""
    found: set[str] = set()
    for doc in docs:
        for _, text in _strings(doc.body, ""):
            pieces, _ = _parse(text)
            found.update(p.ssm for p in pieces if isinstance(p, _Placeholder) and p.ssm is not None)
    return sorted(found)


class _Filler:
    """Substitutes one document's strings, collecting errors with their field and line."""

    def __init__(self, doc: Document, variables: Mapping[str, str], ssm: Mapping[str, Parameter] | None) -> None:
        self.doc, self.variables, self.ssm = doc, variables, ssm
        self.errors: list[ManifestError] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(ManifestError(self.doc.file, message, line=self.doc.line_of(path), field=path or None))

    def fill(self, value: Any, path: str) -> Any:
        """``value`` with its placeholders filled; what holds none is returned as it is, not copied (the parse
        cache's documents are read by every pass and changed by none)."""
        if isinstance(value, str):
            return self.text(value, path) if "${" in value else value
        if isinstance(value, Mapping):
            changed = {}
            for k, v in value.items():
                filled = self.fill(v, f"{path}.{k}" if path else k)
                if filled is not v:
                    changed[k] = filled
            return {**value, **changed} if changed else value
        if isinstance(value, list):
            items = [self.fill(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
        return value

    def text(self, value: str, path: str) -> str:
        pieces, problem = _parse(value)
        if problem is not None:
            self.error(path, problem)
            return value
        return "".join(piece if isinstance(piece, str) else self.one(piece, path) for piece in pieces)

    def one(self, placeholder: _Placeholder, path: str) -> str:
        if placeholder.ssm is not None:
            return self.parameter(placeholder.ssm, placeholder.text, path)
        name = str(placeholder.name)
        if name in self.variables:
            return self.variables[name]
        if placeholder.default is not None:
            return placeholder.default
        close = difflib.get_close_matches(name, sorted(self.variables), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        self.error(
            path,
            f"variable {name} is undefined{hint} (set it with --var, --var-file or the environment variable "
            f"{ENVIRONMENT_PREFIX}{name})",
        )
        return placeholder.text

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
    process environment, of which only ``ECSR_VAR_<NAME>`` is read (as ``<NAME>``): any other environment variable,
    a credential above all, can never fill a placeholder."""
    merged = from_environment(environment)
    for values in files:
        merged.update(values)
    merged.update(cli)
    return merged


def from_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """The variables the environment sets: ``ECSR_VAR_<NAME>`` as ``<NAME>``; nothing else is read."""
    return {
        key[len(ENVIRONMENT_PREFIX) :]: value
        for key, value in environment.items()
        if key.startswith(ENVIRONMENT_PREFIX) and NAME.fullmatch(key[len(ENVIRONMENT_PREFIX) :])
    }
