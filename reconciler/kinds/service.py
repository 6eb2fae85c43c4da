"""The Service kind: CreateService input; updated in place where UpdateService allows, replaced where it does not."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler.core.actions import Reason
from reconciler.core.aws_rules import fargate_compatible, on_fargate
from reconciler.core.diff import ABSENT, FieldChange, compare, drop_empty, keyed, project, short_name, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import (
    BaseKind,
    Cost,
    Costs,
    Decision,
    Exports,
    Findings,
    InPlace,
    Note,
    Pins,
    PlanContext,
    Recreate,
    Reference,
    Refers,
    TagsOnly,
    only_tags,
)
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name, family_of, revision_of
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.core.shapes import input_members
from reconciler.kinds.capacity_provider import is_declarable
from reconciler.kinds.cloud_map import as_written, registries_as_written, without_registry, without_resolution
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.cluster import export_tags
from reconciler.kinds.defaults import fill, fill_awsvpc, strip
from reconciler.kinds.express_service import KIND as EXPRESS_SERVICE
from reconciler.kinds.express_service import is_express
from reconciler.kinds.managed_instances_provider import KIND as MANAGED_INSTANCES_PROVIDER
from reconciler.kinds.pre_rollout import ANNOTATION as HOOK_ANNOTATION
from reconciler.kinds.pre_rollout import check_hook, hook_task, parse_hook
from reconciler.kinds.service_deployment import normalize_deployment, timeline
from reconciler.kinds.service_deployment_rules import deployment_rules
from reconciler.kinds.service_rules import service_rules
from reconciler.kinds.task_definition import KIND as TASK_DEFINITION
from reconciler.kinds.task_definition import containers, revision_to_run

OPERATION = "CreateService"
NOT_COMPARED = frozenset({"cluster", "clientToken", "forceNewDeployment"})
UPDATABLE = input_members("ecs", "UpdateService") & input_members("ecs", OPERATION)
"""Fields UpdateService can change in place (per botocore's model)."""
DEPLOYMENT_ONLY = ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations")
"""CreateService fields DescribeServices answers only inside the PRIMARY deployment (botocore: ``Deployment``, not
``Service``)."""
NO_DEPLOYMENT = frozenset({"desiredCount", "tags", "propagateTags", "enableECSManagedTags"})
"""Fields changed without a new service deployment (DG 'Updating an Amazon ECS service': a new desired count scales
the current deployment; tags are written by TagResource)."""
REPLACE_FIELDS = frozenset({"launchType", "role", "schedulingStrategy"})
"""CreateService fields UpdateService cannot change: a change means delete and re-create."""
CALLS_AWS_NAME = re.compile(r"^AWS_|(^|_)(S3|SQS|SNS|DYNAMO(DB)?|KINESIS|BUCKET|QUEUE|TABLE|TOPIC|STREAM)(_|$)", re.I)
"""Environment names that say a container talks to AWS APIs (an SDK reads them)."""
CALLS_AWS_VALUE = re.compile(r"arn:aws[a-z-]*:|\.amazonaws\.com")
"""Environment values that name an AWS resource or endpoint."""


def _primary(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return next((d for d in doc.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def facts(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the service defaults depend on (``reconciler.kinds.defaults``)."""
    return {
        "schedulingStrategy": doc.get("schedulingStrategy") or "REPLICA",
        "deploymentController": (doc.get("deploymentController") or {}).get("type", "ECS"),
        "fargate": on_fargate(doc),
        "strategy": (doc.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING",
    }


def assumed(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields AWS assumes when CreateService leaves them out, as UpdateService takes them back."""
    known = facts(spec)
    deployment = fill("service.deploymentConfiguration", {}, known)
    deployment["deploymentCircuitBreaker"] = fill("service.deploymentCircuitBreaker", {})
    return {**fill("service", {}, known), "deploymentConfiguration": deployment}


def normalize(doc: Mapping[str, Any], *, task_definition: str | None) -> dict[str, Any]:
    """Comparable form of a CreateService input or a DescribeServices entry (``task_definition``: family:revision),
    with the defaults AWS fills in (``reconciler.kinds.defaults``) on both sides."""
    known = facts(doc)
    out = {k: v for k, v in doc.items() if k in input_members("ecs", OPERATION) and k not in NOT_COMPARED}
    if "roleArn" in doc:
        out["role"] = doc["roleArn"]
    for field in DEPLOYMENT_ONLY:
        if field not in doc and field in _primary(doc):
            out[field] = _primary(doc)[field]
    out.pop("serviceName", None)
    out = fill("service", out, known)
    out["deploymentConfiguration"] = normalize_deployment(out.get("deploymentConfiguration"), known)
    if task_definition is not None:
        out["taskDefinition"] = task_definition
    if "role" in out:
        out["role"] = short_name(str(out["role"]))
    if "capacityProviderStrategy" in out:
        strategy = keyed(out["capacityProviderStrategy"], "capacityProvider")
        out["capacityProviderStrategy"] = {k: fill("capacityProviderStrategy", v) for k, v in strategy.items()}
    vpc = (out.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if vpc is not None:
        out["networkConfiguration"] = {"awsvpcConfiguration": fill_awsvpc(vpc, "service.awsvpcConfiguration")}
    for field in ("loadBalancers", "serviceRegistries", "placementConstraints"):
        out[field] = sorted(drop_empty(out[field] or []), key=repr)
    if "tags" in out:
        out["tags"] = user_tags(out["tags"])
    return out


def _revision(ref: Any) -> str | None:
    return revision_of(str(ref)) if ref else None


def diff(resource: Resource, live: Live) -> list[FieldChange]:
    """Changes on the fields the manifest sets, plus the AWS defaults above; the spec's ``taskDefinition`` is the
    family:revision the service should run."""
    desired = normalize(resource.spec, task_definition=_revision(resource.spec.get("taskDefinition")))
    body = dict(live.body)
    connect = body.get("serviceConnectConfiguration") or _primary(body).get("serviceConnectConfiguration")
    if connect:
        body["serviceConnectConfiguration"] = as_written(connect, resource.spec.get("serviceConnectConfiguration"))
    if body.get("serviceRegistries"):
        wanted = resource.spec.get("serviceRegistries")
        body["serviceRegistries"] = registries_as_written(body["serviceRegistries"], wanted)
    current = normalize(body, task_definition=_revision(live.body.get("taskDefinition")))
    return compare(project(current, desired), desired)


def starts_deployment(changes: Sequence[FieldChange]) -> bool:
    """UpdateService with these changes starts a new service deployment (a change of count or tags alone does not)."""
    return any(c.path.split(".", 1)[0] not in NO_DEPLOYMENT for c in changes)


def replacement(changes: Sequence[FieldChange], resource: Resource, live: Live) -> tuple[tuple[str, ...], Reason]:
    """The fields that keep these changes from being made in place (none when they can be), and why."""
    fields = {c.path.split(".", 1)[0] for c in changes}
    forced = sorted(fields & REPLACE_FIELDS)
    live_strategy = bool(live.body.get("capacityProviderStrategy"))
    switching = ("launchType" in resource.spec and live_strategy) or (
        bool(resource.spec.get("capacityProviderStrategy")) and not live_strategy and "launchType" in live.body
    )
    if switching:  # a manifest naming neither takes what AWS chose (launchType EC2, or the cluster's default strategy)
        switched = tuple(f for f in ("launchType", "capacityProviderStrategy") if f in fields and f not in forced)
        return (*forced, *switched), Reason.LAUNCH_SWITCH
    return tuple(forced), Reason.IMMUTABLE


def _owned_desired_count(resource: Resource, live: Live | None, claimed: Any) -> tuple[Resource, list[Note]]:
    """While a ScalingPolicy owns the service's desiredCount range, the manifest's value is used at create (clamped
    to [min, max]); a live value inside [min, max] stands, one outside goes to the nearest bound."""
    if claimed is None:
        return resource, []
    low, high = claimed
    wanted = int(resource.spec.get("desiredCount", low))
    notes = []
    if live is None:
        count = min(max(wanted, low), high)
    else:
        current = int(live.body.get("desiredCount", 0))
        count = min(max(current, low), high)
        if count == current and current != wanted:
            message = (
                f"{resource.address}: desiredCount {current} is set by its ScalingPolicy (within [{low}, {high}]); "
                "not drift"
            )
            notes.append(Note(message, resource.address))
    return replace(resource, spec={**resource.spec, "desiredCount": count}), notes


def _task_definition_ref(resource: Resource, ctx: PlanContext) -> str | None:
    """The ``family:revision`` the service is to run: pinned by the manifest, the revision this plan registers, or
    the latest live one."""
    ref = str(resource.spec.get("taskDefinition", ""))
    return revision_to_run(ref, ctx) if ref else None


def _calls_aws(td: Mapping[str, Any]) -> bool:
    for _, container in containers(td):
        for env in container.get("environment") or []:
            if CALLS_AWS_NAME.search(str(env.get("name", ""))) or CALLS_AWS_VALUE.search(str(env.get("value", ""))):
                return True
    return False


def _exec_logged(cluster_spec: Mapping[str, Any], td: Mapping[str, Any] | None) -> bool:
    settings = (cluster_spec.get("configuration") or {}).get("executeCommandConfiguration") or {}
    logging = settings.get("logging", "DEFAULT")
    if logging == "OVERRIDE":
        destination = settings.get("logConfiguration") or {}
        return bool(destination.get("cloudWatchLogGroupName") or destination.get("s3BucketName"))
    if logging == "DEFAULT" and td is not None:
        drivers = [(c.get("logConfiguration") or {}).get("logDriver") for _, c in containers(td)]
        return bool(drivers) and all(d == "awslogs" for d in drivers)
    return False


def _strategy(doc: Mapping[str, Any], cluster_doc: Mapping[str, Any] | None) -> list[Mapping[str, Any]] | None:
    if doc.get("launchType"):
        return [{"capacityProvider": "FARGATE", "weight": 1}] if doc["launchType"] == "FARGATE" else None
    strategy = doc.get("capacityProviderStrategy") or (cluster_doc or {}).get("defaultCapacityProviderStrategy")
    return list(strategy) if strategy else None


class ServiceKind(BaseKind, Refers, Pins, Exports, Findings, Costs):
    name = "Service"
    name_field = "serviceName"

    def check_name(self, name: object) -> str | None:
        return check_ecs_name(name)

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec("ecs", OPERATION, spec, provided=["serviceName"])

    def spec_schema(self) -> dict[str, Any]:
        return input_schema("ecs", OPERATION, provided=["serviceName"], require=["cluster"])

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name, str(spec.get("cluster", "default")))

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        spec, errors = resource.spec, []

        def error(path: str, message: str) -> None:
            errors.append(resource.error(path, message))

        if "cluster" not in spec:
            error("spec.cluster", "missing required field 'cluster' (a cluster name)")
        elif problem := check_ecs_name(spec["cluster"]):
            error("spec.cluster", problem)
        ref = spec.get("taskDefinition")
        if ref is None and spec.get("deploymentController", {}).get("type", "ECS") == "ECS":
            error("spec.taskDefinition", "missing required field 'taskDefinition' (a family, or family:revision)")
        elif ref is not None:
            family, _, number = revision_of(str(ref)).partition(":")
            if problem := check_ecs_name(family):
                error("spec.taskDefinition", problem)
            elif number and not (number.isdigit() and int(number) > 0):
                message = f"revision {number!r} is not a positive integer (use family or family:revision)"
                error("spec.taskDefinition", message)
        count = spec.get("desiredCount")
        if isinstance(count, int) and count < 0:
            error("spec.desiredCount", f"must be 0 or more, got {count}")
        td = declared.get(Address(TASK_DEFINITION.name, family_of(str(ref or ""))))
        if spec.get("launchType") == "FARGATE" and td is not None and not fargate_compatible(td.spec):
            error(
                "spec.launchType",
                f"launchType FARGATE needs task definition {td.address.name!r} to list FARGATE in "
                f"requiresCompatibilities ({td.file})",
            )
        rules = service_rules(spec, td.spec if td is not None else None) + deployment_rules(spec)
        errors += resource.spec_errors(rules)
        errors += check_hook(resource)
        return errors

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        cluster = str(resource.address.scope)
        missing = f"cluster {cluster!r} is neither declared in the manifests nor live"
        refs = [Reference(Address(CLUSTER.name, cluster), "spec.cluster", missing=missing)]
        if resource.spec.get("taskDefinition"):
            family = family_of(str(resource.spec["taskDefinition"]))
            missing = f"task definition family {family!r} is neither declared in the manifests nor live"
            refs.append(Reference(Address(TASK_DEFINITION.name, family), "spec.taskDefinition", missing=missing))
        hook, _ = parse_hook(resource.annotations)
        if hook is not None and hook.family != family_of(str(resource.spec.get("taskDefinition", ""))):
            path = f"metadata.annotations.{HOOK_ANNOTATION}"
            missing = f"pre-rollout task family {hook.family!r} is neither declared in the manifests nor live"
            refs.append(Reference(Address(TASK_DEFINITION.name, hook.family), path, missing=missing))
        return refs

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        """Its cluster, its family and the Managed Instances providers its strategy may name (one of the cluster's,
        by name: a name that is an Auto Scaling group provider's is simply not found); for the service ECS manages
        for an Express service, its cluster and that Express service."""
        cluster = str(live.address.scope)
        refs = [Address(CLUSTER.name, cluster)]
        if is_express(live.body):
            return [*refs, Address(EXPRESS_SERVICE.name, live.address.name, cluster)]
        if live.body.get("taskDefinition"):
            refs.append(Address(TASK_DEFINITION.name, family_of(str(live.body["taskDefinition"]))))
        for item in live.body.get("capacityProviderStrategy") or []:
            if is_declarable(item.get("capacityProvider")):
                refs.append(Address(MANAGED_INSTANCES_PROVIDER.name, str(item["capacityProvider"]), cluster))
        return refs

    def in_use(self, live: Live) -> set[str]:
        """The revision the service runs and every revision it is deploying."""
        refs = [live.body.get("taskDefinition")] + [d.get("taskDefinition") for d in live.body.get("deployments", [])]
        return {revision_of(str(r)) for r in refs if r}

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        """The task definition reference resolved and the desiredCount a scaling policy owns; a service that ECS
        manages for an Express service is refused (never changed: ``diff`` finds nothing)."""
        if live is not None and is_express(live.body):
            message = f"{resource.address} is the service ECS manages for an Express service: declare it as kind"
            return resource, [Note(f"{message} {EXPRESS_SERVICE.name}; left alone", resource.address, blocking=True)]
        ref = _task_definition_ref(resource, ctx)
        if ref is not None:
            resource = replace(resource, spec={**resource.spec, "taskDefinition": ref})
        return _owned_desired_count(resource, live, ctx.claims.get(resource.address, {}).get("desiredCount"))

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        return [] if is_express(live.body) else diff(resource, live)

    def creation(self, resource: Resource) -> list[FieldChange]:
        return [FieldChange(k, ABSENT, v) for k, v in sorted(resource.spec.items()) if k != "cluster"]

    def decide(self, resource: Resource, live: Live | None, changes: Sequence[FieldChange]) -> Decision:
        """Replace what UpdateService cannot change; retag when only tags differ; an update that moves the service to
        another task definition runs its pre-rollout task first."""
        rollout = timeline(resource.spec) if live is None or starts_deployment(changes) else None
        if live is None:
            return InPlace(rollout=rollout)
        forced, why = replacement(changes, resource, live)
        if forced:
            return Recreate(forced, why, rollout=rollout)
        if only_tags(changes):
            return TagsOnly()
        hook, _ = parse_hook(resource.annotations)
        moves = any(c.path == "taskDefinition" for c in changes)
        return InPlace(rollout=rollout, first=(hook_task(hook, resource),) if hook is not None and moves else ())

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        """The family alone when the service runs its latest ACTIVE revision, else family:revision; nothing for the
        service behind an Express service (that is exported as its ExpressService)."""
        body = live.body
        if is_express(body):
            return None
        spec = {k: v for k, v in body.items() if k in input_members("ecs", OPERATION) - {"serviceName", "tags"}}
        for field in DEPLOYMENT_ONLY:
            if field in _primary(body):
                spec[field] = _primary(body)[field]
        if spec.get("serviceConnectConfiguration"):
            spec["serviceConnectConfiguration"] = without_resolution(spec["serviceConnectConfiguration"])
        if spec.get("serviceRegistries"):  # the ARNs AWS answered, as for every other ARN export writes
            spec["serviceRegistries"] = [without_registry(e) for e in spec["serviceRegistries"]]
        role = str(body.get("roleArn") or "")
        if role and "/aws-service-role/" not in role:  # the service-linked role is AWS's choice, not an input
            spec["role"] = role
        known = facts(body)
        deployment = strip("service.deploymentConfiguration", spec.get("deploymentConfiguration") or {}, known)
        alarms = deployment.get("alarms") or {}
        if not alarms.get("alarmNames") and not alarms.get("enable"):
            deployment.pop("alarms", None)
        breaker = strip("service.deploymentCircuitBreaker", deployment.get("deploymentCircuitBreaker") or {})
        deployment["deploymentCircuitBreaker"] = breaker
        spec["deploymentConfiguration"] = deployment
        spec = strip("service", spec, known)
        vpc = dict((spec.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {})
        vpc = strip("service.awsvpcConfiguration", vpc)
        if vpc:
            spec["networkConfiguration"] = {"awsvpcConfiguration": vpc}
        runs = revision_of(str(body.get("taskDefinition", "")))
        latest = found.get(Address(TASK_DEFINITION.name, family_of(runs)))
        current = revision_of(str(latest.body["taskDefinitionArn"])) if latest else None
        ref = family_of(runs) if runs == current else runs
        spec = {"cluster": live.address.scope, **spec, "taskDefinition": ref, **export_tags(body)}
        return drop_empty(spec)

    def findings(self, resource: Resource, declared: Mapping[Address, Resource]) -> Iterator[tuple[str, str, str]]:
        spec = resource.spec
        vpc = (spec.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        if vpc.get("assignPublicIp") == "ENABLED":
            yield (
                "public-ip",
                "spec.networkConfiguration.awsvpcConfiguration.assignPublicIp",
                "tasks get a public IP address, reachable from the internet if a security group allows it",
            )
        family = family_of(str(spec.get("taskDefinition", "")))
        td_resource = declared.get(Address(TASK_DEFINITION.name, family))
        td = td_resource.spec if td_resource else None
        if td is not None and not td.get("taskRoleArn") and _calls_aws(td):
            yield (
                "task-role",
                "spec.taskDefinition",
                f"task definition {family} has no taskRoleArn but its containers are configured to call AWS",
            )
        home = declared.get(Address(CLUSTER.name, str(resource.address.scope)))
        if spec.get("enableExecuteCommand") is True and home is not None and not _exec_logged(home.spec, td):
            yield (
                "exec-logging",
                "spec.enableExecuteCommand",
                f"ECS Exec is on but cluster {resource.address.scope} does not log exec sessions",
            )

    def cost(
        self,
        doc: Mapping[str, Any],
        address: Address,
        related: Mapping[Address, Mapping[str, Any]],
        claims: Mapping[str, Any],
    ) -> Cost | None:
        count = int(doc.get("desiredCount", 0) or 0)
        low, high = claims.get("desiredCount") or (count, count)
        runs = revision_of(str(doc.get("taskDefinition", "")))
        task = related.get(Address(TASK_DEFINITION.name, family_of(runs)))
        if task is not None and task.get("taskDefinitionArn") and revision_of(str(task["taskDefinitionArn"])) != runs:
            task = None  # the live service runs another revision than the family's latest: its size is not known
        strategy = _strategy(doc, related.get(Address(CLUSTER.name, str(address.scope))))
        instances = {}
        for name in self._instance_providers(strategy):
            provider = related.get(Address(MANAGED_INSTANCES_PROVIDER.name, name, str(address.scope)))
            if provider is not None:
                instances[name] = provider.get("managedInstancesProvider") or {}
        volumes = doc.get("volumeConfigurations") or _primary(doc).get("volumeConfigurations") or []
        return Cost(int(low), int(high), strategy, task, instances, [v for v in volumes if v.get("managedEBSVolume")])

    def cost_inputs(
        self, doc: Mapping[str, Any], address: Address, related: Mapping[Address, Mapping[str, Any]]
    ) -> list[Address]:
        """The Managed Instances providers its strategy (or its cluster's default strategy) may name, by name: a name
        that is an Auto Scaling group provider's is simply not found."""
        strategy = _strategy(doc, related.get(Address(CLUSTER.name, str(address.scope))))
        scope = str(address.scope)
        return [Address(MANAGED_INSTANCES_PROVIDER.name, n, scope) for n in self._instance_providers(strategy)]

    @staticmethod
    def _instance_providers(strategy: Sequence[Mapping[str, Any]] | None) -> list[str]:
        return [str(s["capacityProvider"]) for s in strategy or [] if is_declarable(s.get("capacityProvider"))]


KIND = ServiceKind()
