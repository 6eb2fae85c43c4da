"""The Cluster kind: CreateCluster input, reconciled in place (settings, capacity providers, configuration, tags)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, non_finite, prefixed, strategy_rules, tag_rules
from reconciler.core.diff import FieldChange, compare, drop_empty, key_values, keyed, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Exports, Keeps, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.core.shapes import input_members
from reconciler.kinds.capacity_provider import KIND as CAPACITY_PROVIDER
from reconciler.kinds.capacity_provider import is_declarable
from reconciler.kinds.cloud_map import as_written, without_resolution
from reconciler.kinds.defaults import fill

OPERATION = "CreateCluster"
MANAGED_INSTANCES_PROVIDER = "ManagedInstancesProvider"
"""The kind of a cluster's Managed Instances providers (kinds/managed_instances_provider.py, which comes after this
one): ECS associates each with its cluster when it creates it, and lists it in the cluster's capacityProviders."""
CAPACITY_FIELDS = ("capacityProviders", "defaultCapacityProviderStrategy")
UPDATE_FIELDS = ("settings", "configuration", "serviceConnectDefaults")


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a CreateCluster input or a DescribeClusters entry."""
    out: dict[str, Any] = {}
    if "settings" in doc:
        out["settings"] = key_values(doc["settings"], "name", "value")
    if "capacityProviders" in doc:
        out["capacityProviders"] = sorted(doc["capacityProviders"] or [])
    if "defaultCapacityProviderStrategy" in doc:
        strategy = keyed(doc["defaultCapacityProviderStrategy"], "capacityProvider")
        out["defaultCapacityProviderStrategy"] = {k: fill("capacityProviderStrategy", v) for k, v in strategy.items()}
    for name in ("configuration", "serviceConnectDefaults"):
        if name in doc:
            out[name] = drop_empty(doc[name])
    execute = (out.get("configuration") or {}).get("executeCommandConfiguration")
    if execute:
        out["configuration"] = {
            **out["configuration"],
            "executeCommandConfiguration": fill("cluster.executeCommandConfiguration", execute),
        }
    if "tags" in doc:
        out["tags"] = user_tags(doc["tags"])
    return out


def cluster_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateCluster's rules beyond botocore's model."""
    problems: list[Problem] = list(non_finite(spec, ""))
    problems += strategy_rules(spec.get("defaultCapacityProviderStrategy"), "defaultCapacityProviderStrategy")
    problems += prefixed("tags", tag_rules(spec.get("tags")))
    return problems


class ClusterKind(BaseKind, Refers, Keeps, Exports):
    name = "Cluster"
    name_field = "clusterName"

    def check_name(self, name: object) -> str | None:
        return check_ecs_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec("ecs", OPERATION, spec, provided=[self.name_field or ""])

    def spec_schema(self) -> dict[str, Any]:
        return input_schema("ecs", OPERATION, provided=[self.name_field or ""])

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name)

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        """A default strategy may only name providers the cluster has; the cluster's own Managed Instances providers
        are not named (ECS associates them when it creates them; PutClusterCapacityProviders refuses them)."""
        spec = resource.spec
        providers = set(spec.get("capacityProviders") or [])
        errors = []
        for i, name in enumerate(spec.get("capacityProviders") or []):
            own = Address(MANAGED_INSTANCES_PROVIDER, str(name), resource.address.name)
            if own in declared:
                message = f"{name!r} is {own}: ECS associates it with the cluster when it creates it, leave it out"
                errors.append(resource.error(f"spec.capacityProviders[{i}]", message))
        for i, item in enumerate(spec.get("defaultCapacityProviderStrategy") or []):
            name = item.get("capacityProvider")
            if providers and name not in providers:
                path = f"spec.defaultCapacityProviderStrategy[{i}].capacityProvider"
                errors.append(resource.error(path, f"{name!r} is not in spec.capacityProviders"))
        errors += resource.spec_errors(cluster_rules(spec))
        return errors

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        """Every capacity provider the cluster associates or its default strategy names, but AWS's FARGATE ones."""
        named = [
            (f"spec.capacityProviders[{i}]", p) for i, p in enumerate(resource.spec.get("capacityProviders") or [])
        ]
        for i, item in enumerate(resource.spec.get("defaultCapacityProviderStrategy") or []):
            named.append((f"spec.defaultCapacityProviderStrategy[{i}].capacityProvider", item.get("capacityProvider")))
        refs, seen = [], set()
        for path, name in named:
            if is_declarable(name) and name not in seen:
                seen.add(name)
                missing = f"capacity provider {name!r} is neither declared in the manifests nor live"
                refs.append(Reference(Address(CAPACITY_PROVIDER.name, str(name)), path, missing=missing))
        return refs

    def delete_refused(self, live: Live, deleting: set[Address], users: int) -> str | None:
        """A cluster that has more active services than this prune deletes from it holds someone else's: kept."""
        if int(live.body.get("activeServicesCount", 0) or 0) > users:
            return "still has services it does not manage"
        return None

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        names = live.body.get("capacityProviders") or []
        return [Address(CAPACITY_PROVIDER.name, str(n)) for n in names if is_declarable(n)]

    def diff(self, resource: Resource, live: Live, ctx: object) -> list[FieldChange]:
        desired = normalize(resource.spec)
        body = dict(live.body)
        if "serviceConnectDefaults" in body:
            wanted = resource.spec.get("serviceConnectDefaults")
            body["serviceConnectDefaults"] = as_written(body["serviceConnectDefaults"], wanted)
        return compare(project(normalize(body), desired), desired)

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        body = live.body
        members = input_members("ecs", OPERATION) - {"clusterName", "tags"}
        spec = {k: v for k, v in body.items() if k in members}
        if spec.get("serviceConnectDefaults"):
            spec["serviceConnectDefaults"] = without_resolution(spec["serviceConnectDefaults"])
        # containerInsights "disabled" is what a cluster has when nothing was asked for.
        disabled = {"name": "containerInsights", "value": "disabled"}
        spec["settings"] = [s for s in spec.get("settings") or [] if s != disabled]
        return drop_empty({**spec, **export_tags(body)})


def export_tags(body: Mapping[str, Any]) -> dict[str, Any]:
    """The user's tags of a describe output as a manifest's ECS tag list (none: nothing)."""
    tags = user_tags(body.get("tags"))
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]} if tags else {}


KIND = ClusterKind()
