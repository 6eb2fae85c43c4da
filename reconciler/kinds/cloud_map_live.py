"""Cloud Map read for the kinds that name it (see ``reconciler.kinds.cloud_map``): namespaces (servicediscovery
ListNamespaces) and services (ListServices, one namespace a call), each asked at most once per pass, to resolve the
namespace or registry a describe answer holds into its names, and a ``registryArn`` written as a name into the ARN
ECS needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from reconciler.aws import Aws
from reconciler.core.errors import ManifestError
from reconciler.core.model import Resource
from reconciler.kinds.cloud_map import (
    CloudMapService,
    attach_namespaces,
    attach_registries,
    find_registry,
    holding_namespace,
    is_registry_name,
)
from reconciler.kinds.live_base import Found

_LOOKUP = "cloud-map-namespaces"
_SERVICES = "cloud-map-services"


def _namespaces(aws: Aws, lookups: dict[str, Any]) -> list[dict[str, Any]]:
    if _LOOKUP not in lookups:
        lookups[_LOOKUP] = aws.pages("servicediscovery", "ListNamespaces", "Namespaces", token="NextToken")
    return list(lookups[_LOOKUP])


def resolve_namespaces(aws: Aws, found: Found, sections: Iterable[MutableMapping[str, Any] | None]) -> None:
    """Add ``RESOLVED`` beside each section's ``namespace`` (see ``attach_namespaces``). Cloud Map is asked only
    when some section holds a namespace, and at most once per pass."""
    wanted = holding_namespace(sections)
    if wanted:
        attach_namespaces(wanted, _namespaces(aws, found.lookups))


def cloud_map_services(aws: Aws, lookups: dict[str, Any]) -> tuple[list[CloudMapService], list[str]]:
    """Every Cloud Map service with its namespace's name, and every namespace's name: ListNamespaces, then
    ListServices filtered to each namespace (ListServices' summaries do not name the namespace)."""
    namespaces = _namespaces(aws, lookups)
    if _SERVICES not in lookups:

        def in_namespace(namespace: Mapping[str, Any]) -> list[CloudMapService]:
            ns_id, ns_name = str(namespace["Id"]), str(namespace["Name"])
            summaries = aws.pages(
                "servicediscovery",
                "ListServices",
                "Services",
                ns_name,
                token="NextToken",
                Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_id], "Condition": "EQ"}],
            )
            return [CloudMapService(str(s["Arn"]), str(s["Name"]), ns_name, ns_id) for s in summaries]

        lookups[_SERVICES] = [s for chunk in aws.map(in_namespace, namespaces) for s in chunk]
    return list(lookups[_SERVICES]), [str(n["Name"]) for n in namespaces]


def resolve_registries(aws: Aws, found: Found, entries: Iterable[MutableMapping[str, Any]]) -> None:
    """Add ``REGISTRY`` beside each live ``serviceRegistries`` entry's ARN (see ``attach_registries``). Cloud Map is
    asked only when some entry names a registry, and at most once per pass."""
    wanted = [e for e in entries if isinstance(e, MutableMapping) and e.get("registryArn")]
    if wanted:
        attach_registries(wanted, cloud_map_services(aws, found.lookups)[0])


def _named(resources: Sequence[Resource]) -> list[tuple[Resource, int, str]]:
    return [
        (resource, i, str(entry["registryArn"]))
        for resource in resources
        for i, entry in enumerate(resource.spec.get("serviceRegistries") or [])
        if isinstance(entry, Mapping) and is_registry_name(entry.get("registryArn"))
    ]


def check_registries(aws: Aws, resources: Sequence[Resource]) -> list[ManifestError]:
    """Every ``serviceRegistries[].registryArn`` written as a name names exactly one Cloud Map service (plan time,
    before any write); Cloud Map is asked only when some manifest writes a name."""
    named = _named(resources)
    if not named:
        return []
    services, namespaces = cloud_map_services(aws, {})
    errors = []
    for resource, i, value in named:
        _, problem = find_registry(value, services, namespaces)
        if problem is not None:
            errors.append(resource.error(f"spec.serviceRegistries[{i}].registryArn", problem))
    return errors


def registries_to_send(aws: Aws, resource: Resource, lookups: dict[str, Any]) -> list[Any]:
    """The resource's ``serviceRegistries`` with every ``registryArn`` written as a name replaced by its Cloud Map
    ARN (what CreateService and UpdateService take); raises ManifestError when a name no longer resolves.
    ``lookups``: the apply's shared answers, so Cloud Map is read once per apply, not once per service."""
    entries = list(resource.spec.get("serviceRegistries") or [])
    named = _named([resource])
    if not named:
        return entries
    services, namespaces = cloud_map_services(aws, lookups)
    for _, i, value in named:
        service, problem = find_registry(value, services, namespaces)
        if service is None:
            raise resource.error(f"spec.serviceRegistries[{i}].registryArn", str(problem))
        entries[i] = {**entries[i], "registryArn": service.arn}
    return entries
