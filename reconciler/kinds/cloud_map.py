"""Cloud Map namespaces as a manifest names them: ECS accepts a namespace's name or its ARN (a cluster's
``serviceConnectDefaults``, a service's ``serviceConnectConfiguration``) and answers whichever it keeps, often the
ARN. The live half resolves the answered namespace through Cloud Map and carries both spellings beside it under
``RESOLVED``; the pure diff then compares the live namespace spelled the way the manifest spells it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

RESOLVED = "_namespace"
"""Key the live half adds beside ``namespace``: ``{"arn": ..., "name": ...}`` of that Cloud Map namespace."""


def as_written(live: Mapping[str, Any] | None, desired: Mapping[str, Any] | None) -> Any:
    """The live section (holding ``namespace``) with the namespace spelled as ``desired`` spells it: the ARN when
    the manifest gives an ARN, else the name. Without a resolution the answer stands as it is."""
    if not isinstance(live, Mapping):
        return live
    out = without_resolution(live)
    known = live.get(RESOLVED)
    wanted = (desired or {}).get("namespace")
    if isinstance(known, Mapping) and isinstance(wanted, str):
        out["namespace"] = known["arn"] if wanted.startswith("arn:") else known["name"]
    return out


def without_resolution(section: Mapping[str, Any]) -> dict[str, Any]:
    """The section as AWS answered it (what export writes)."""
    return {k: v for k, v in section.items() if k != RESOLVED}


def holding_namespace(sections: Iterable[Any]) -> list[MutableMapping[str, Any]]:
    """The sections (describe answer parts) that hold a ``namespace``."""
    return [s for s in sections if isinstance(s, MutableMapping) and isinstance(s.get("namespace"), str)]


def attach_namespaces(sections: Iterable[Any], namespaces: Iterable[Mapping[str, Any]]) -> None:
    """Add ``RESOLVED`` beside each section's ``namespace`` that names exactly one of ``namespaces`` (Cloud Map
    ListNamespaces entries: ``Name``, ``Arn``) by name or ARN; one that names none or several stays as answered."""
    known = list(namespaces)
    for section in holding_namespace(sections):
        value = section["namespace"]
        matches = [n for n in known if value in (n.get("Arn"), n.get("Name"))]
        if len(matches) == 1:
            section[RESOLVED] = {"arn": str(matches[0]["Arn"]), "name": str(matches[0]["Name"])}
