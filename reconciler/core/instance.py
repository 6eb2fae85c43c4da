"""The instance: whose resources these manifests manage, the managed-by tag's value (pure).

A manifest tree names its instance once, in an ``Instance`` document in a file at the tree's root, so every run of
the same tree (CI on ``infra/ecs``, a laptop on ``./ecs``, the daemon on git-sync's link, a saved plan) tags and
recognises the same resources whatever the folder is called:

    apiVersion: ecs-reconciler/v1
    kind: Instance
    metadata:
      name: shop
    spec:                       # optional
      formerNames: [ecs]        # managed-by values this tree's resources may carry from before; taken over

Without one, ``--instance NAME`` names it; without either, the instance is ``ecs-reconciler`` (the value every
resource got before instances existed). ``--instance`` and a declared instance that disagree are a usage error.

Earlier versions named the instance after the manifests folder. Those path-derived names (``path_names``: the last
folder name of the manifests path as given, as an absolute path and resolved, as that version derived them), the
declared ``formerNames`` and the legacy value are *former* owners: a declared resource carrying one is taken over by
a tag update the plan shows; one that is not declared is never pruned.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.core.errors import ManifestError, UsageError
from reconciler.core.loader import Document
from reconciler.core.settings import MANAGED_TAG_VALUE
from reconciler.core.tags import INSTANCE_PATTERN, LEGACY_OWNER

KIND = "Instance"
DEFAULT = MANAGED_TAG_VALUE
"""The instance of a tree that declares none and is run without ``--instance``."""
SPEC = frozenset({"formerNames"})
ENVELOPE = frozenset({"apiVersion", "kind", "metadata", "spec"})
NAME_RULE = "1 to 128 letters, digits and _ . : / = + @ -, starting with a letter or digit"


@dataclass(frozen=True)
class Instance:
    """This run's instance and the managed-by values it takes over."""

    name: str = DEFAULT
    """The managed-by tag's value this run writes and owns."""
    former: frozenset[str] = frozenset()
    """Managed-by values taken over when declared and never pruned (path-derived names, ``formerNames``)."""
    source: str = "the default"
    """Where the name comes from: the declaring file, ``--instance``, or the default."""


def is_instance_document(doc: Document) -> bool:
    return isinstance(doc.body, Mapping) and doc.body.get("kind") == KIND


def declared(documents: Sequence[Document], api_version: str) -> tuple[Instance | None, list[ManifestError]]:
    """The Instance document's instance (None when the tree declares none) and its problems."""
    found = [d for d in documents if is_instance_document(d)]
    errors: list[ManifestError] = []
    result: Instance | None = None
    for doc in found:
        start = len(errors)
        instance = _parse(doc, errors, api_version)
        if posixpath.dirname(doc.file):
            errors.append(_error(doc, "kind", "an Instance document belongs in a file at the root of the manifests"))
        if result is not None and len(errors) == start:
            errors.append(_error(doc, "kind", f"the instance is already declared in {result.source}"))
        if len(errors) == start:
            result = instance
    return (None if errors else result), errors


def _error(doc: Document, path: str, message: str) -> ManifestError:
    return ManifestError(doc.file, message, line=doc.line_of(path), field=path)


def _parse(doc: Document, errors: list[ManifestError], api_version: str) -> Instance | None:
    body: Mapping[str, Any] = doc.body
    for key in sorted(set(body) - ENVELOPE):
        errors.append(_error(doc, key, f"unknown top-level field {key!r}; an Instance has apiVersion, kind, metadata"))
    if body.get("apiVersion") != api_version:
        errors.append(_error(doc, "apiVersion", f"expected {api_version!r}, got {body.get('apiVersion')!r}"))
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not INSTANCE_PATTERN.match(name):
        errors.append(_error(doc, "metadata.name", f"an instance name is {NAME_RULE}; got {name!r}"))
    spec = body.get("spec", {})
    if not isinstance(spec, Mapping):
        errors.append(_error(doc, "spec", "expected a mapping (formerNames)"))
        return None
    for key in sorted(set(spec) - SPEC):
        errors.append(_error(doc, f"spec.{key}", f"unknown field {key!r}; an Instance's spec has formerNames"))
    former = spec.get("formerNames", [])
    if not isinstance(former, list) or not all(isinstance(n, str) and INSTANCE_PATTERN.match(n) for n in former):
        errors.append(_error(doc, "spec.formerNames", f"expected a list of instance names ({NAME_RULE})"))
        former = []
    return Instance(str(name), frozenset(former), doc.file) if isinstance(name, str) else None


def path_name(path: str) -> str | None:
    """The instance name earlier versions derived from a manifests path: its last folder name, made a tag value."""
    name = os.path.basename(path.rstrip(os.sep))
    name = re.sub(r"[^A-Za-z0-9_.:/=+@-]", "-", name).lstrip("-_.:/=+@")[:128]
    return name or None


def path_names(path: str | os.PathLike[str]) -> frozenset[str]:
    """Every name an earlier version could have derived from ``path``: as given, absolute, and resolved (git-sync's
    link and the worktree it points to), and the folder holding a single manifest file."""
    text = os.fspath(path)
    spellings = {os.path.abspath(text), os.path.realpath(text)}
    if os.path.isfile(text):
        spellings |= {os.path.dirname(s) for s in spellings}
    return frozenset(n for s in spellings if (n := path_name(s)) is not None)


def resolve(found: Instance | None, option: str | None, *, path: str | os.PathLike[str] | None) -> Instance:
    """This run's instance: the declared one, else ``--instance``, else the default; with the former owners it takes
    over (``path``: the manifests path, for the names earlier versions derived from it)."""
    if option is not None and not INSTANCE_PATTERN.match(option):
        raise UsageError(f"--instance {option!r}: {NAME_RULE}")
    if found is not None and option is not None and option != found.name:
        raise UsageError(
            f"--instance {option} differs from the instance {found.name!r} declared in {found.source}: "
            "drop --instance (the manifests name their instance)"
        )
    chosen = found or (Instance(option, source="--instance") if option is not None else Instance())
    former = set(chosen.former) | {LEGACY_OWNER}
    if path is not None:
        former |= path_names(path)
    return Instance(chosen.name, frozenset(former - {chosen.name}), chosen.source)
