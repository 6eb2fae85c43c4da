"""Cloud Map namespaces read once per pass (servicediscovery ListNamespaces), to resolve the namespace a describe
answer holds into both its name and its ARN (see ``reconciler.kinds.cloud_map``)."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from reconciler.aws import Aws
from reconciler.kinds.cloud_map import attach_namespaces, holding_namespace
from reconciler.kinds.live_base import Found

_LOOKUP = "cloud-map-namespaces"


def _namespaces(aws: Aws, found: Found) -> list[dict[str, Any]]:
    if _LOOKUP not in found.lookups:
        found.lookups[_LOOKUP] = aws.pages("servicediscovery", "ListNamespaces", "Namespaces", token="NextToken")
    return list(found.lookups[_LOOKUP])


def resolve_namespaces(aws: Aws, found: Found, sections: Iterable[MutableMapping[str, Any] | None]) -> None:
    """Add ``RESOLVED`` beside each section's ``namespace`` (see ``attach_namespaces``). Cloud Map is asked only
    when some section holds a namespace, and at most once per pass."""
    wanted = holding_namespace(sections)
    if wanted:
        attach_namespaces(wanted, _namespaces(aws, found))
