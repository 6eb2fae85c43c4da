"""Cloud Map namespaces and services as a manifest names them.

Namespaces: ECS accepts a namespace's name or its ARN (a cluster's ``serviceConnectDefaults``, a service's
``serviceConnectConfiguration``) and answers whichever it keeps, often the ARN. The live half resolves the answered
namespace through Cloud Map and carries both spellings beside it under ``RESOLVED``; the pure diff then compares the
live namespace spelled the way the manifest spells it.

Service registries: ECS takes and answers only ARNs in ``serviceRegistries[].registryArn``; the manifest may write
``<namespace>/<service>`` or a bare ``<service>`` (when exactly one Cloud Map service has that name). The live half
sends the ARN it resolves such a name to, and carries the live registry's names beside its ARN under ``REGISTRY``,
so the diff compares the spelling the manifest uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
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


# ------------------------------------------------------------------------ service registries by name

REGISTRY = "_registry"
"""Key the live half adds beside a ``serviceRegistries`` entry's ``registryArn``: ``{"arn", "namespace",
"service"}`` of that Cloud Map service (its ARN, its namespace's name, its own name)."""


@dataclass(frozen=True)
class CloudMapService:
    """One Cloud Map service: servicediscovery ListServices (filtered by namespace) joined with ListNamespaces."""

    arn: str
    name: str
    namespace: str
    """The name of the namespace it belongs to."""
    namespace_id: str


def is_registry_name(value: object) -> bool:
    """A ``registryArn`` written as ``<namespace>/<service>`` or ``<service>`` rather than an ARN."""
    return isinstance(value, str) and bool(value) and not value.startswith("arn:")


def find_registry(
    value: str, services: Sequence[CloudMapService], namespaces: Sequence[str]
) -> tuple[CloudMapService | None, str | None]:
    """The Cloud Map service a ``registryArn`` written as a name means (``namespaces``: every namespace's name), or
    why there is none: the namespace or service does not exist, or a bare service name is in several namespaces."""
    namespace, _, name = value.rpartition("/")
    matches = [s for s in services if s.name == name and (not namespace or s.namespace == namespace)]
    if len(matches) == 1:
        return matches[0], None
    if matches:
        where = sorted({s.namespace for s in matches})
        if len(where) > 1:
            listed = ", ".join(where)
            return None, (f"Cloud Map service {name!r} is in several namespaces ({listed}): write '<namespace>/{name}'")
        ids = ", ".join(sorted(s.namespace_id for s in matches))
        return None, f"several Cloud Map namespaces are named {where[0]!r} ({ids}) and hold {name!r}: use its ARN"
    if namespace and namespace not in namespaces:
        return None, f"Cloud Map namespace {namespace!r} does not exist (servicediscovery ListNamespaces)"
    if namespace:
        return None, f"Cloud Map namespace {namespace!r} has no service {name!r} (servicediscovery ListServices)"
    return None, f"no Cloud Map service is named {name!r} (write its ARN or '<namespace>/<service>')"


def attach_registries(entries: Iterable[Any], services: Iterable[CloudMapService]) -> None:
    """Add ``REGISTRY`` beside each ``serviceRegistries`` entry's ``registryArn`` that is the ARN of one of
    ``services``; one naming none stays as answered."""
    by_arn = {s.arn: s for s in services}
    for entry in entries:
        if isinstance(entry, MutableMapping) and (known := by_arn.get(str(entry.get("registryArn")))) is not None:
            entry[REGISTRY] = {"arn": known.arn, "namespace": known.namespace, "service": known.name}


def registries_as_written(live: Any, desired: Any) -> Any:
    """The live ``serviceRegistries`` with each ``registryArn`` spelled the way the manifest spells that registry:
    its ARN, ``<namespace>/<service>`` or ``<service>``; a live registry the manifest does not name is spelled as an
    ARN when the manifest writes ARNs, else ``<namespace>/<service>``. Without a resolution an entry stands as
    answered."""
    if not isinstance(live, list):
        return live
    wanted = [str(e.get("registryArn")) for e in desired or [] if isinstance(e, Mapping) and e.get("registryArn")]
    by_name = any(is_registry_name(w) for w in wanted)
    out = []
    for entry in live:
        if not isinstance(entry, Mapping):
            out.append(entry)
            continue
        plain = without_registry(entry)
        known = entry.get(REGISTRY)
        if isinstance(known, Mapping):
            full = f"{known['namespace']}/{known['service']}"
            spellings = [str(known["arn"]), full, str(known["service"])]
            plain["registryArn"] = next((s for s in spellings if s in wanted), full if by_name else known["arn"])
        out.append(plain)
    return out


def without_registry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A ``serviceRegistries`` entry as AWS answered it (what export writes)."""
    return {k: v for k, v in entry.items() if k != REGISTRY}
