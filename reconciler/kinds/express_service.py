"""The ExpressService kind: an ECS Express Mode service (CreateExpressGatewayService), where ECS creates and owns the
load balancer, listener, certificate, target groups, security groups, scaling target and policy, alarms, log group,
task definition and the ECS service itself from a primary container (or a task definition of the user's).

Identity is ``Address("ExpressService", name, cluster)``; the cluster is ``default`` when the spec names none (ECS
creates that one if it is missing). What ECS creates for the service is reported, never diffed or pruned: the diff
covers the Express Gateway API's own inputs only. UpdateExpressGatewayService takes every input but the
infrastructure role, so a new role is a replace (refused unless ``--allow-replace``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, as_map, non_finite, prefixed, tag_rules
from reconciler.core.diff import FieldChange, compare, drop_empty, key_values, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Decision, Exports, Note, PlanContext, Recreate, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name, name_of
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.core.shapes import input_members
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.defaults import fill, strip

OPERATION = "CreateExpressGatewayService"
DEFAULT_CLUSTER = "default"
UPDATABLE = tuple(sorted(input_members("ecs", "UpdateExpressGatewayService") - {"serviceArn"}))
"""UpdateExpressGatewayService's inputs besides the service: everything CreateExpressGatewayService takes but the
name, the cluster, the infrastructure role and the tags (those go through TagResource)."""
FIXED = ("infrastructureRoleArn",)
"""ECS API reference, UpdateExpressGatewayService: "Some parameters like the infrastructure role cannot be modified
after service creation and require creating a new service"."""
WITHOUT_OWN_TASK_DEFINITION = (
    "primaryContainer",
    "executionRoleArn",
    "taskRoleArn",
    "cpu",
    "memory",
    "cpuArchitecture",
)
"""ECS API reference, CreateExpressGatewayService taskDefinitionArn: "If you provide a task definition ARN, you cannot
also specify" these."""
CREATED_BY_ECS = (
    "an Application Load Balancer (HTTPS listener, rule, target group, certificate), security groups, an "
    "Application Auto Scaling target and policy, a deployment alarm, a log group, a task definition and the ECS "
    "service"
)
"""DG "Resources created by Amazon ECS Express Mode services"."""


ECS_MANAGED = "ECS"
"""ECS API reference, Service.resourceManagementType: ECS for the ECS service behind an Express service (CUSTOMER
otherwise)."""


def is_express(service: Mapping[str, Any]) -> bool:
    """A described ECS service is the one ECS manages for an Express service: never the Service kind's to change."""
    return service.get("resourceManagementType") == ECS_MANAGED


def cluster_of(spec: Mapping[str, Any]) -> str:
    """The cluster the service runs in: the spec's, or ``default`` (as CreateExpressGatewayService assumes)."""
    return name_of(str(spec.get("cluster") or DEFAULT_CLUSTER))


def configuration(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The configuration a described Express service is moving to or runs: its newest active configuration."""
    active = [c for c in body.get("activeConfigurations") or [] if isinstance(c, Mapping)]
    return max(active, key=lambda c: str(c.get("createdAt") or ""), default={})


def _container(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = fill("expressService.primaryContainer", doc)
    if "environment" in out:
        out["environment"] = key_values(out["environment"], "name", "value")
    if "secrets" in out:
        out["secrets"] = key_values(out["secrets"], "name", "valueFrom")
    return drop_empty(out)


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or of a described Express service (its newest configuration): defaults filled in,
    subnets and security groups as sets, environment and secrets by name."""
    source = {**configuration(doc), **doc} if "activeConfigurations" in doc else dict(doc)
    out = fill("expressService", {k: source[k] for k in (*UPDATABLE, *FIXED) if k in source})
    if "taskDefinitionArn" not in out:
        out["primaryContainer"] = _container(as_map(out.get("primaryContainer")))
    if "scalingTarget" in out:
        out["scalingTarget"] = fill("expressService.scalingTarget", out["scalingTarget"])
    network = dict(as_map(out.get("networkConfiguration")))
    for field in ("subnets", "securityGroups"):
        if field in network:
            network[field] = sorted(network[field] or [])
    if network:
        out["networkConfiguration"] = network
    out["cluster"] = cluster_of(doc)
    if "tags" in doc:
        out["tags"] = user_tags(doc["tags"])
    return out


def express_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """CreateExpressGatewayService's rules beyond botocore's model, each from its ECS API reference member."""
    problems: list[Problem] = list(non_finite(spec, ""))
    if "taskDefinitionArn" in spec:
        for field in WITHOUT_OWN_TASK_DEFINITION:
            if field in spec:
                problems.append((field, "not with taskDefinitionArn: the task definition says it (drop one)"))
    elif not isinstance(spec.get("primaryContainer"), Mapping):
        problems.append(("primaryContainer", "missing: the image to run (or name a taskDefinitionArn of yours)"))
    path = spec.get("healthCheckPath")
    if isinstance(path, str) and not path.startswith("/"):
        problems.append(("healthCheckPath", f"{path!r} must start with a forward slash (/health, /ping)"))
    scaling = as_map(spec.get("scalingTarget"))
    low, high = as_int(scaling.get("minTaskCount")), as_int(scaling.get("maxTaskCount"))
    if low is not None and high is not None and low > high:
        problems.append(("scalingTarget.minTaskCount", f"{low} is above maxTaskCount {high}: swap or fix them"))
    if isinstance(spec.get("tags"), list) and len(spec["tags"]) > 50:
        problems.append(("tags", f"{len(spec['tags'])} tags: an Express service takes up to 50"))
    problems += prefixed("tags", tag_rules(spec.get("tags")))
    return problems


def managed_summary(body: Mapping[str, Any]) -> list[str]:
    """What ECS manages for a described Express service, one ``what: status`` line each (its service revision's
    ``ecsManagedResources``, as the live half attaches it under that key)."""
    managed = as_map(body.get("ecsManagedResources"))
    found: list[tuple[str, Any]] = []
    for path in managed.get("ingressPaths") or []:
        for what in ("loadBalancer", "listener", "rule", "certificate"):
            found.append((what, path.get(what)))
        found += [("target group", g) for g in path.get("targetGroups") or []]
        found += [("load balancer security group", g) for g in path.get("loadBalancerSecurityGroups") or []]
    scaling = as_map(managed.get("autoScaling"))
    found.append(("scalable target", scaling.get("scalableTarget")))
    found += [("scaling policy", p) for p in scaling.get("applicationAutoScalingPolicies") or []]
    found += [("alarm", a) for a in managed.get("metricAlarms") or []]
    found += [("service security group", g) for g in managed.get("serviceSecurityGroups") or []]
    found += [("log group", g) for g in managed.get("logGroups") or []]
    lines = []
    for what, item in found:
        if isinstance(item, Mapping):
            reason = f" ({item['statusReason']})" if item.get("statusReason") else ""
            lines.append(f"{what} {item.get('arn') or item.get('logGroupName') or ''}: {item.get('status')}{reason}")
    return lines


class ExpressServiceKind(BaseKind, Refers, Exports):
    name = "ExpressService"
    name_field = "serviceName"

    def check_name(self, name: object) -> str | None:
        return check_ecs_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec("ecs", OPERATION, spec, provided=["serviceName"])

    def spec_schema(self) -> dict[str, Any]:
        return input_schema("ecs", OPERATION, provided=["serviceName"])

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name, cluster_of(spec))

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        errors = []
        if problem := check_ecs_name(cluster_of(resource.spec)):
            errors.append(resource.error("spec.cluster", problem))
        return errors + resource.spec_errors(express_rules(resource.spec))

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        cluster = resource.address.scope or DEFAULT_CLUSTER
        missing = f"cluster {cluster!r} is neither declared in the manifests nor live"
        # ECS creates the default cluster when it is missing; any other must exist.
        required = cluster != DEFAULT_CLUSTER
        return [Reference(Address(CLUSTER.name, cluster), "spec.cluster", required=required, missing=missing)]

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        return [Address(CLUSTER.name, live.address.scope or DEFAULT_CLUSTER)]

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        """A create says what ECS will create and own; a live service whose ECS-managed resources are not all
        ACTIVE says which."""
        if live is None:
            return resource, [Note(f"{resource.address}: ECS creates and manages {CREATED_BY_ECS}", resource.address)]
        troubled = [line for line in managed_summary(live.body) if not line.endswith(": ACTIVE")]
        if troubled:
            return resource, [Note(f"{resource.address}: ECS-managed {'; '.join(troubled)}", resource.address)]
        return resource, []

    def diff(self, resource: Resource, live: Live, ctx: object) -> list[FieldChange]:
        desired = normalize(resource.spec)
        return compare(project(normalize(live.body), desired), desired)

    def creation(self, resource: Resource) -> list[FieldChange]:
        return [c for c in super().creation(resource) if c.path != "cluster"]

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        fixed = sorted({c.path.split(".")[0] for c in changes} & set(FIXED))
        if live is not None and fixed:
            return Recreate(tuple(fixed))
        return super().decide(resource, live, changes)

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        config = {k: v for k, v in configuration(live.body).items() if k in UPDATABLE}
        spec: dict[str, Any] = {
            "cluster": live.address.scope,
            "infrastructureRoleArn": live.body.get("infrastructureRoleArn"),
            **strip("expressService", config),
        }
        if isinstance(spec.get("primaryContainer"), Mapping):
            spec["primaryContainer"] = strip("expressService.primaryContainer", spec["primaryContainer"])
        if isinstance(spec.get("scalingTarget"), Mapping):
            spec["scalingTarget"] = strip("expressService.scalingTarget", spec["scalingTarget"])
        tags = user_tags(live.body.get("tags"))
        spec["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        return drop_empty(spec)


KIND = ExpressServiceKind()
