"""The Daemon kind: an ECS Managed Daemon (CreateDaemon), one task on every instance of its cluster's Managed
Instances capacity providers, with its daemon task definition written inside it (``spec.taskDefinition``, the
RegisterDaemonTaskDefinition input, family = the daemon's name).

The task definition is a field, not a kind of its own: a daemon task definition serves daemons only, every change
to it reaches the daemon as a new revision and an UpdateDaemon, so one manifest holds both and one action makes
both (register, then create or update). Identity is ``Address("Daemon", name, cluster)``; every other field
changes in place (UpdateDaemon takes them all), each change a daemon deployment that ECS rolls out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_map, non_finite, prefixed, tag_rules
from reconciler.core.diff import FieldChange, compare, drop_empty, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Exports, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name, name_of
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.defaults import fill, strip
from reconciler.kinds.managed_instances_provider import KIND as MANAGED_INSTANCES_PROVIDER

OPERATION = "CreateDaemon"
DEFINITION = "RegisterDaemonTaskDefinition"
TASK = "taskDefinition"
SETTINGS = ("propagateTags", "enableECSManagedTags", "enableExecuteCommand", "critical", "deploymentConfiguration")
"""What UpdateDaemon takes besides the task definition and the capacity providers."""


def cluster_of(spec: Mapping[str, Any]) -> str:
    return name_of(str(spec.get("clusterArn") or "default"))


def providers_of(spec: Mapping[str, Any]) -> list[str]:
    """The capacity providers by name (the spec may give names or ARNs)."""
    return sorted(name_of(str(p)) for p in spec.get("capacityProviderArns") or [])


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or of the live half's reading of a daemon (same shape): defaults filled in,
    capacity providers by name as a set, the task definition without what registration adds."""
    out = fill("daemon", {k: doc[k] for k in SETTINGS if k in doc})
    deployment = dict(as_map(out.get("deploymentConfiguration")))
    if isinstance(deployment.get("drainPercent"), (int, float)):
        deployment["drainPercent"] = float(deployment["drainPercent"])  # a double: AWS answers 20.0 for 20
        out["deploymentConfiguration"] = deployment
    out["clusterArn"] = cluster_of(doc)
    out["capacityProviderArns"] = providers_of(doc)
    if TASK in doc:
        out[TASK] = drop_empty(dict(as_map(doc[TASK])))
    if "tags" in doc:
        out["tags"] = user_tags(doc["tags"])
    return out


def daemon_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateDaemon's rules beyond botocore's model."""
    problems: list[Problem] = list(non_finite(spec, ""))
    drain = as_map(spec.get("deploymentConfiguration")).get("drainPercent")
    if isinstance(drain, (int, float)) and not 0 <= drain <= 100:
        # ECS API reference, DaemonDeploymentConfiguration.drainPercent: a percentage of the instances.
        problems.append(("deploymentConfiguration.drainPercent", f"{drain} is not a percentage (0 to 100)"))
    if not isinstance(spec.get(TASK), Mapping):
        problems.append((TASK, "missing: the daemon task definition (containerDefinitions, ...)"))
    problems += prefixed("tags", tag_rules(spec.get("tags")))
    return problems


class DaemonKind(BaseKind, Refers, Exports):
    name = "Daemon"
    name_field = "daemonName"

    def check_name(self, name: object) -> str | None:
        return check_ecs_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        """The daemon against CreateDaemon, its ``taskDefinition`` against RegisterDaemonTaskDefinition."""
        rest = {k: v for k, v in spec.items() if k != TASK}
        coerced, problems = check_spec("ecs", OPERATION, rest, provided=["daemonName", "daemonTaskDefinitionArn"])
        if isinstance(spec.get(TASK), Mapping):
            task, found = check_spec("ecs", DEFINITION, spec[TASK], provided=["family"])
            coerced[TASK] = task
            problems += [ShapeProblem(f"{TASK}.{p.path}" if p.path else TASK, p.message) for p in found]
        elif TASK in spec:
            coerced[TASK] = spec[TASK]
        return coerced, problems

    def spec_schema(self) -> dict[str, Any]:
        schema = input_schema("ecs", OPERATION, provided=["daemonName", "daemonTaskDefinitionArn"])
        task = input_schema("ecs", DEFINITION, provided=["family"])
        task["description"] = "The daemon task definition (RegisterDaemonTaskDefinition; family = the daemon's name)."
        return {**schema, "properties": {**schema.get("properties", {}), TASK: task}}

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name, cluster_of(spec))

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        return resource.spec_errors(daemon_rules(resource.spec))

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        cluster = resource.address.scope or "default"
        refs = [Reference(Address(CLUSTER.name, cluster), "spec.clusterArn", missing=f"cluster {cluster!r} is missing")]
        for provider in providers_of(resource.spec):
            missing = f"Managed Instances provider {provider!r} of cluster {cluster!r} is neither declared nor live"
            address = Address(MANAGED_INSTANCES_PROVIDER.name, provider, cluster)
            refs.append(Reference(address, "spec.capacityProviderArns", missing=missing))
        return refs

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        cluster = live.address.scope or "default"
        providers = [Address(MANAGED_INSTANCES_PROVIDER.name, p, cluster) for p in providers_of(live.body)]
        return [Address(CLUSTER.name, cluster), *providers]

    def diff(self, resource: Resource, live: Live, ctx: object) -> list[FieldChange]:
        desired = normalize(resource.spec)
        return compare(project(normalize(live.body), desired), desired)

    def creation(self, resource: Resource) -> list[FieldChange]:
        return [c for c in super().creation(resource) if c.path != "clusterArn"]

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        body = live.body
        spec = {
            "clusterArn": live.address.scope,
            "capacityProviderArns": providers_of(body),
            **strip("daemon", {k: body[k] for k in SETTINGS if k in body}),
            TASK: body.get(TASK),
            "tags": [{"key": k, "value": v} for k, v in user_tags(body.get("tags")).items()],
        }
        return drop_empty(spec)


KIND = DaemonKind()
