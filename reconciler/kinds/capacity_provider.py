"""The CapacityProvider kind: CreateCapacityProvider input for an EC2 Auto Scaling group; managed scaling,
termination protection and draining change in place (UpdateCapacityProvider), another Auto Scaling group means a
new provider."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.aws_rules import FARGATE_PROVIDERS
from reconciler.core.diff import FieldChange, compare, drop_empty, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Decision, Exports, Keeps, PlanContext, Recreate
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.kinds.defaults import fill, strip

OPERATION = "CreateCapacityProvider"
UPDATABLE = frozenset({"managedScaling", "managedTerminationProtection", "managedDraining"})
"""What UpdateCapacityProvider's AutoScalingGroupProviderUpdate can change; anything else needs a new provider."""
USED_BY = "usedByServices"
"""Key the live half adds to a provider's describe output when it reads for prune: the services running on it."""
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED = ("aws", "ecs", "fargate")


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or a DescribeCapacityProviders entry: the group by name (AWS answers the ARN of a
    group named by name), defaults filled in."""
    out: dict[str, Any] = {}
    group = doc.get("autoScalingGroupProvider")
    if group is not None:
        provider = fill("capacityProvider.autoScalingGroupProvider", group)
        if provider.get("autoScalingGroupArn"):
            provider["autoScalingGroupArn"] = name_of(str(provider["autoScalingGroupArn"]))
        if "managedScaling" in provider:
            provider["managedScaling"] = fill("capacityProvider.managedScaling", provider["managedScaling"])
        out["autoScalingGroupProvider"] = provider
    if "tags" in doc:
        out["tags"] = user_tags(doc["tags"])
    return out


class CapacityProviderKind(BaseKind, Keeps, Exports):
    name = "CapacityProvider"
    name_field = "name"

    def check_name(self, name: object) -> str | None:
        """Up to 255 letters, digits, hyphens and underscores, not starting with aws, ecs or fargate."""
        if not isinstance(name, str) or not _NAME.match(name):
            return f"{name!r} is not a valid capacity provider name: up to 255 letters, digits, hyphens and underscores"
        if name.lower().startswith(_RESERVED):
            return f"{name!r}: a capacity provider name cannot start with aws, ecs or fargate (AWS reserves them)"
        return None

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec("ecs", OPERATION, spec, provided=["name"])

    def spec_schema(self) -> dict[str, Any]:
        return input_schema("ecs", OPERATION, provided=["name"])

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name)

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        """This kind manages Auto Scaling group providers; managed termination protection needs managed scaling."""
        group = resource.spec.get("autoScalingGroupProvider")
        if "managedInstancesProvider" in resource.spec:
            message = (
                "a Managed Instances provider belongs to one cluster and is created with it: declare it as kind "
                "ManagedInstancesProvider (with spec.cluster)"
            )
            return [resource.error("spec.managedInstancesProvider", message)]
        if not isinstance(group, Mapping):
            return [
                resource.error("spec.autoScalingGroupProvider", "missing: the Auto Scaling group the provider uses")
            ]
        scaling = (group.get("managedScaling") or {}).get("status", "DISABLED")
        if group.get("managedTerminationProtection") == "ENABLED" and scaling != "ENABLED":
            path = "spec.autoScalingGroupProvider.managedTerminationProtection"
            return [resource.error(path, "managed termination protection needs managedScaling.status ENABLED")]
        return []

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        desired = normalize(resource.spec)
        return compare(project(normalize(live.body), desired), desired)

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        fixed = sorted(
            {c.path.split(".")[1] for c in changes if c.path.startswith("autoScalingGroupProvider.")} - UPDATABLE
        )
        if live is not None and fixed:
            return Recreate(tuple(f"autoScalingGroupProvider.{f}" for f in fixed))
        return super().decide(resource, live, changes)

    def delete_refused(self, live: Live, deleting: set[Address], users: int) -> str | None:
        """A provider that a service's strategy names (a service this prune does not delete) stays: AWS refuses to
        delete it, and the services would lose their capacity."""
        running = [a for a in live.body.get(USED_BY) or [] if a not in deleting]
        if not running:
            return None
        return "services still run on it: " + ", ".join(f"{a.scope}/{a.name}" for a in running)

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        group = strip("capacityProvider.autoScalingGroupProvider", live.body.get("autoScalingGroupProvider") or {})
        tags = user_tags(live.body.get("tags"))
        spec = {"autoScalingGroupProvider": group, "tags": [{"key": k, "value": v} for k, v in tags.items()]}
        return drop_empty(spec)


def is_declarable(name: object) -> bool:
    """A provider name another kind refers to that this kind manages (not AWS's FARGATE ones)."""
    return isinstance(name, str) and bool(name) and name not in FARGATE_PROVIDERS


KIND = CapacityProviderKind()
