"""The ManagedInstancesProvider kind: an ECS Managed Instances capacity provider (CreateCapacityProvider with
``cluster`` and ``managedInstancesProvider``). ECS launches and patches the instances itself from the provider's
infrastructure role, instance launch template and instance requirements.

It is a kind of its own, after Cluster, because AWS scopes it to one cluster: it is created with its cluster (so
after it), not associated through PutClusterCapacityProviders, and only updated or deleted by naming that cluster.
Identity is ``Address("ManagedInstancesProvider", name, cluster)``. What UpdateCapacityProvider's
InstanceLaunchTemplateUpdate cannot change (the capacity option type, FIPS, Nitro Enclaves) and the cluster itself
are a replace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, as_map, non_finite, prefixed, tag_rules
from reconciler.core.diff import FieldChange, compare, drop_empty, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Decision, Exports, Recreate, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name, name_of
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.kinds.capacity_provider import KIND as CAPACITY_PROVIDER
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.cluster import MANAGED_INSTANCES_PROVIDER
from reconciler.kinds.defaults import fill, strip

OPERATION = "CreateCapacityProvider"
CONFIG = "managedInstancesProvider"
TEMPLATE = "instanceLaunchTemplate"
FIXED_TEMPLATE = ("capacityOptionType", "fipsEnabled", "nitroEnclavesEnabled")
"""ECS API reference, InstanceLaunchTemplateUpdate: the launch template members an update cannot change."""
_SETS = ("subnets", "securityGroups")


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or a DescribeCapacityProviders entry: the cluster by name, defaults filled in, the
    launch template's subnets and security groups as sets."""
    out: dict[str, Any] = {}
    if doc.get("cluster"):
        out["cluster"] = name_of(str(doc["cluster"]))
    config = fill(CONFIG, doc.get(CONFIG))
    template = fill(f"{CONFIG}.{TEMPLATE}", config.get(TEMPLATE))
    network = dict(as_map(template.get("networkConfiguration")))
    for field in _SETS:
        if field in network:
            network[field] = sorted(network[field] or [])
    if network:
        template["networkConfiguration"] = network
    config[TEMPLATE] = template
    out[CONFIG] = config
    if "tags" in doc:
        out["tags"] = user_tags(doc["tags"])
    return out


def provider_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateCapacityProvider's rules for a Managed Instances provider beyond botocore's model."""
    problems: list[Problem] = list(non_finite(spec, ""))
    requirements = as_map(as_map(as_map(spec.get(CONFIG)).get(TEMPLATE)).get("instanceRequirements"))
    # ECS API reference, VCpuCountRangeRequest / MemoryMiBRequest: a range's min is at most its max.
    for field in ("vCpuCount", "memoryMiB"):
        bounds = as_map(requirements.get(field))
        low, high = as_int(bounds.get("min")), as_int(bounds.get("max"))
        if low is not None and high is not None and low > high:
            path = f"{CONFIG}.{TEMPLATE}.instanceRequirements.{field}.min"
            problems.append((path, f"min {low} is above max {high}: swap or fix them"))
    problems += prefixed("tags", tag_rules(spec.get("tags")))
    return problems


class ManagedInstancesProviderKind(BaseKind, Refers, Exports):
    name = MANAGED_INSTANCES_PROVIDER
    name_field = "name"

    def check_name(self, name: object) -> str | None:
        return CAPACITY_PROVIDER.check_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec("ecs", OPERATION, spec, provided=["name"])

    def spec_schema(self) -> dict[str, Any]:
        return input_schema("ecs", OPERATION, provided=["name"])

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name, name_of(str(spec.get("cluster", ""))))

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        """A cluster and a managedInstancesProvider, and no Auto Scaling group."""
        spec, errors = resource.spec, []
        if problem := check_ecs_name(name_of(str(spec.get("cluster", "")))):
            errors.append(resource.error("spec.cluster", f"the cluster the provider belongs to: {problem}"))
        if not isinstance(spec.get(CONFIG), Mapping):
            errors.append(resource.error(f"spec.{CONFIG}", "missing: the infrastructure role and launch template"))
        if "autoScalingGroupProvider" in spec:
            message = "a Managed Instances provider has no Auto Scaling group: declare that as kind CapacityProvider"
            errors.append(resource.error("spec.autoScalingGroupProvider", message))
        return errors + resource.spec_errors(provider_rules(spec))

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        cluster = resource.address.scope or ""
        missing = f"cluster {cluster!r} is neither declared in the manifests nor live"
        return [Reference(Address(CLUSTER.name, cluster), "spec.cluster", missing=missing)]

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        return [Address(CLUSTER.name, live.address.scope or "")]

    def diff(self, resource: Resource, live: Live, ctx: object) -> list[FieldChange]:
        desired = normalize(resource.spec)
        return compare(project(normalize(live.body), desired), desired)

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        prefix = f"{CONFIG}.{TEMPLATE}."
        fixed = sorted(
            {f"{prefix}{c.path[len(prefix) :].split('.')[0]}" for c in changes if c.path.startswith(prefix)}
            & {f"{prefix}{f}" for f in FIXED_TEMPLATE}
        )
        if live is not None and fixed:
            return Recreate(tuple(fixed))
        return super().decide(resource, live, changes)

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        config = strip(CONFIG, as_map(live.body.get(CONFIG)))
        if TEMPLATE in config:
            config[TEMPLATE] = strip(f"{CONFIG}.{TEMPLATE}", config[TEMPLATE])
        tags = user_tags(live.body.get("tags"))
        spec = {
            "cluster": live.address.scope,
            CONFIG: config,
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }
        return drop_empty(spec)


KIND = ManagedInstancesProviderKind()
