"""The Cluster kind: CreateCluster input, reconciled in place (settings, capacity providers, configuration, tags)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange, compare, drop_empty, key_values, keyed, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.tags import is_managed, managed_tags, sync_tags

KIND = "Cluster"
NAME_FIELD = "clusterName"
OPERATION = "CreateCluster"
CAPACITY_FIELDS = ("capacityProviders", "defaultCapacityProviderStrategy")
UPDATE_FIELDS = ("settings", "configuration", "serviceConnectDefaults")


check_name = check_ecs_name


def check_shape(spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
    return check_spec("ecs", OPERATION, spec, provided=[NAME_FIELD])


def address(name: str, spec: Mapping[str, Any]) -> Address:
    return Address(KIND, name)


def check(resource: Resource) -> list[ManifestError]:
    """Domain rules beyond the API model: a default strategy may only name providers the cluster has."""
    spec = resource.spec
    providers = set(spec.get("capacityProviders") or [])
    errors = []
    for i, item in enumerate(spec.get("defaultCapacityProviderStrategy") or []):
        name = item.get("capacityProvider")
        if providers and name not in providers:
            path = f"spec.defaultCapacityProviderStrategy[{i}].capacityProvider"
            errors.append(resource.error(path, f"{name!r} is not in spec.capacityProviders"))
    return errors


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a CreateCluster input or a DescribeClusters entry."""
    out: dict[str, Any] = {}
    if "settings" in doc:
        out["settings"] = key_values(doc["settings"], "name", "value")
    if "capacityProviders" in doc:
        out["capacityProviders"] = sorted(doc["capacityProviders"] or [])
    if "defaultCapacityProviderStrategy" in doc:
        strategy = keyed(doc["defaultCapacityProviderStrategy"], "capacityProvider")
        out["defaultCapacityProviderStrategy"] = {k: {"base": 0, "weight": 0, **v} for k, v in strategy.items()}
    for name in ("configuration", "serviceConnectDefaults"):
        if name in doc:
            out[name] = drop_empty(doc[name])
    if "tags" in doc:
        out["tags"] = user_tags(doc["tags"])
    return out


def diff(resource: Resource, live: Live) -> list[FieldChange]:
    desired = normalize(resource.spec)
    return compare(project(normalize(live.body), desired), desired)


def observe(aws: Aws, names: list[str]) -> dict[Address, Live]:
    """DescribeClusters for the given names, 100 per call; INACTIVE (deleted) clusters count as absent."""

    def describe(chunk: list[str]) -> list[dict[str, Any]]:
        answer = aws.call(
            "ecs", "DescribeClusters", ",".join(chunk), clusters=chunk, include=["SETTINGS", "TAGS", "CONFIGURATIONS"]
        )
        return list(answer.get("clusters", []))

    found: dict[Address, Live] = {}
    for chunk in aws.map(describe, batches(sorted(set(names)), 100)):
        for body in chunk:
            if body.get("status") in ("ACTIVE", "PROVISIONING"):
                addr = Address(KIND, body["clusterName"])
                found[addr] = Live(addr, body, managed=is_managed(body.get("tags")))
    return found


def list_managed(aws: Aws) -> dict[Address, Live]:
    """Every live cluster that carries the managed-by tag (for prune)."""
    arns = aws.pages("ecs", "ListClusters", "clusterArns")
    live = observe(aws, [arn.rsplit("/", 1)[-1] for arn in arns])
    return {a: v for a, v in live.items() if v.managed}


def create(aws: Aws, resource: Resource, *, revision: str | None) -> None:
    spec = dict(resource.spec)
    spec["tags"] = managed_tags(spec.get("tags"), revision=revision)
    aws.call("ecs", "CreateCluster", resource.address.name, clusterName=resource.address.name, **spec)


def update(aws: Aws, resource: Resource, live: Live, changes: list[FieldChange], *, revision: str | None) -> None:
    name = resource.address.name
    spec = resource.spec
    changed = {c.path.split(".", 1)[0] for c in changes}
    update_args = {f: spec[f] for f in UPDATE_FIELDS if f in changed and f in spec}
    if update_args:
        aws.call("ecs", "UpdateCluster", name, cluster=name, **update_args)
    if changed & set(CAPACITY_FIELDS):
        aws.call(
            "ecs",
            "PutClusterCapacityProviders",
            name,
            cluster=name,
            capacityProviders=list(spec.get("capacityProviders") or []),
            defaultCapacityProviderStrategy=list(spec.get("defaultCapacityProviderStrategy") or []),
        )
    sync_tags(aws, live.body["clusterArn"], spec, live.body.get("tags"), revision=revision)


def delete(aws: Aws, live: Live) -> None:
    aws.call("ecs", "DeleteCluster", live.address.name, cluster=live.address.name)
