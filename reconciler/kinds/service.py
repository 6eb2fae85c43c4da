"""The Service kind: CreateService input; updated in place where UpdateService allows, replaced where it does not."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange, compare, drop_empty, keyed, project, short_name, user_tags
from reconciler.core.errors import AwsError, ManifestError, PlanError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name
from reconciler.core.schema import ShapeProblem, check_spec, input_members
from reconciler.tags import is_managed, managed_tags, sync_tags

KIND = "Service"
NAME_FIELD = "serviceName"
OPERATION = "CreateService"
NOT_COMPARED = frozenset({"cluster", "clientToken", "forceNewDeployment"})
UPDATABLE = input_members("ecs", "UpdateService") & input_members("ecs", OPERATION)
"""Fields UpdateService can change in place (per botocore's model)."""
REPLACE_FIELDS = frozenset({"launchType", "role", "schedulingStrategy"})
"""CreateService fields UpdateService cannot change: a change means delete and re-create."""
DEFAULTS: dict[str, Any] = {
    "deploymentConfiguration": {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    },
    "loadBalancers": [],
    "serviceRegistries": [],
    "placementConstraints": [],
    "placementStrategy": [],
    "propagateTags": "NONE",
    "enableECSManagedTags": False,
    "enableExecuteCommand": False,
    "schedulingStrategy": "REPLICA",
    "deploymentController": {"type": "ECS"},
}
"""What AWS assumes when CreateService leaves a field out; these are compared even when a manifest omits them."""
GONE_CODES = frozenset({"ServiceNotActiveException", "ServiceNotFoundException"})
"""DeleteService errors meaning the service is already deleted: a retried delete whose first answer was lost."""


check_name = check_ecs_name


def check_shape(spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
    return check_spec("ecs", OPERATION, spec, provided=[NAME_FIELD])


def address(name: str, spec: Mapping[str, Any]) -> Address:
    return Address(KIND, name, str(spec.get("cluster", "default")))


def check(resource: Resource) -> list[ManifestError]:
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
        family, _, number = str(ref).rsplit("/", 1)[-1].partition(":")
        if problem := check_ecs_name(family):
            error("spec.taskDefinition", problem)
        elif number and not (number.isdigit() and int(number) > 0):
            error(
                "spec.taskDefinition", f"revision {number!r} is not a positive integer (use family or family:revision)"
            )
    count = spec.get("desiredCount")
    if isinstance(count, int) and count < 0:
        error("spec.desiredCount", f"must be 0 or more, got {count}")
    if "launchType" in spec and "capacityProviderStrategy" in spec:
        error("spec.capacityProviderStrategy", "set either launchType or capacityProviderStrategy, not both")
    if spec.get("launchType") == "FARGATE" and "networkConfiguration" not in spec:
        error("spec.networkConfiguration", "Fargate services need networkConfiguration.awsvpcConfiguration")
    return errors


def family_of(ref: str) -> str:
    """The family named by a ``taskDefinition`` value (family, family:revision or ARN)."""
    return ref.rsplit("/", 1)[-1].split(":", 1)[0]


def _is_fargate(doc: Mapping[str, Any]) -> bool:
    providers = [s.get("capacityProvider", "") for s in doc.get("capacityProviderStrategy") or []]
    return doc.get("launchType") == "FARGATE" or any(p.startswith("FARGATE") for p in providers)


def _primary(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return next((d for d in doc.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def normalize(doc: Mapping[str, Any], *, task_definition: str | None) -> dict[str, Any]:
    """Comparable form of a CreateService input or a DescribeServices entry (``task_definition``: family:revision)."""
    out = {k: v for k, v in doc.items() if k in input_members("ecs", OPERATION) and k not in NOT_COMPARED}
    if "roleArn" in doc:
        out["role"] = doc["roleArn"]
    for field in ("serviceConnectConfiguration", "volumeConfigurations"):
        if field not in doc and field in _primary(doc):
            out[field] = _primary(doc)[field]
    out.pop("serviceName", None)
    for field, default in DEFAULTS.items():
        out.setdefault(field, default)
    deployment = {**DEFAULTS["deploymentConfiguration"], **(out["deploymentConfiguration"] or {})}
    deployment["deploymentCircuitBreaker"] = {
        "enable": False,
        "rollback": False,
        **(deployment.get("deploymentCircuitBreaker") or {}),
    }
    out["deploymentConfiguration"] = deployment
    if task_definition is not None:
        out["taskDefinition"] = task_definition
    if "role" in out:
        out["role"] = short_name(str(out["role"]))
    if _is_fargate(doc):
        out.setdefault("platformVersion", "LATEST")
    if "capacityProviderStrategy" in out:
        strategy = keyed(out["capacityProviderStrategy"], "capacityProvider")
        out["capacityProviderStrategy"] = {k: {"base": 0, "weight": 0, **v} for k, v in strategy.items()}
    vpc = (out.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if vpc is not None:
        vpc = {"assignPublicIp": "DISABLED", **vpc}
        vpc["subnets"] = sorted(vpc.get("subnets") or [])
        vpc["securityGroups"] = sorted(vpc.get("securityGroups") or [])
        out["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    for field in ("loadBalancers", "serviceRegistries", "placementConstraints"):
        out[field] = sorted(drop_empty(out[field] or []), key=repr)
    if "tags" in out:
        out["tags"] = user_tags(out["tags"])
    return out


def diff(resource: Resource, live: Live, *, task_definition: str | None) -> list[FieldChange]:
    """Changes on the fields the manifest sets, plus the AWS defaults above; ``task_definition`` is the
    family:revision the service should run."""
    desired = normalize(resource.spec, task_definition=task_definition)
    current = normalize(live.body, task_definition=_revision(live.body.get("taskDefinition")))
    return compare(project(current, desired), desired)


def _revision(ref: Any) -> str | None:
    return str(ref).rsplit("/", 1)[-1] if ref else None


def replace_reasons(changes: list[FieldChange], resource: Resource, live: Live) -> list[str]:
    """Why these changes cannot be made in place (empty when they can)."""
    fields = {c.path.split(".", 1)[0] for c in changes}
    reasons = [f"{f} cannot change in place" for f in sorted(fields & REPLACE_FIELDS)]
    if ("launchType" in live.body) != ("launchType" in resource.spec) and "launchType" not in reasons:
        reasons.append("switching between launchType and capacityProviderStrategy needs a new service")
    return reasons


def observe(aws: Aws, names_by_cluster: Mapping[str, list[str]]) -> dict[Address, Live]:
    """DescribeServices, 10 names per call, for each (live) cluster; only ACTIVE services count."""
    jobs = [(c, chunk) for c, names in sorted(names_by_cluster.items()) for chunk in batches(sorted(set(names)), 10)]

    def describe(job: tuple[str, list[str]]) -> list[dict[str, Any]]:
        cluster, chunk = job
        answer = aws.call(
            "ecs", "DescribeServices", f"{cluster}/{','.join(chunk)}", cluster=cluster, services=chunk, include=["TAGS"]
        )
        return [{**s, "_cluster": cluster} for s in answer.get("services", [])]

    found: dict[Address, Live] = {}
    for chunk in aws.map(describe, jobs):
        for body in chunk:
            if body.get("status") == "ACTIVE":
                addr = Address(KIND, body["serviceName"], body.pop("_cluster"))
                found[addr] = Live(addr, body, managed=is_managed(body.get("tags")))
    return found


def list_managed(aws: Aws, clusters: list[str]) -> dict[Address, Live]:
    """Every ACTIVE service in the given clusters that carries the managed-by tag (for prune)."""

    def names(cluster: str) -> tuple[str, list[str]]:
        arns = aws.pages("ecs", "ListServices", "serviceArns", cluster, cluster=cluster)
        return cluster, [a.rsplit("/", 1)[-1] for a in arns]

    listed = dict(aws.map(names, sorted(set(clusters))))
    return {a: v for a, v in observe(aws, listed).items() if v.managed}


def _args(resource: Resource, fields: set[str], task_definition: str) -> dict[str, Any]:
    spec = resource.spec
    args = {f: spec[f] if f in spec else DEFAULTS[f] for f in fields if f in spec or f in DEFAULTS}
    if "taskDefinition" in fields:
        args["taskDefinition"] = task_definition
    return args


def create(aws: Aws, resource: Resource, *, task_definition: str, revision: str | None) -> None:
    """CreateService with a fresh clientToken, so a retried call whose answer was lost creates nothing twice."""
    spec = {k: v for k, v in resource.spec.items() if k not in ("cluster", "clientToken")}
    spec.update(taskDefinition=task_definition, tags=managed_tags(spec.get("tags"), revision=revision))
    addr = resource.address
    aws.call(
        "ecs",
        "CreateService",
        f"{addr.cluster}/{addr.name}",
        cluster=addr.cluster,
        serviceName=addr.name,
        clientToken=str(uuid.uuid4()),
        **spec,
    )


def update(
    aws: Aws, resource: Resource, live: Live, changes: list[FieldChange], *, task_definition: str, revision: str | None
) -> None:
    addr = resource.address
    fields = {c.path.split(".", 1)[0] for c in changes} & UPDATABLE
    args = _args(resource, fields, task_definition)
    if args:
        aws.call("ecs", "UpdateService", f"{addr.cluster}/{addr.name}", cluster=addr.cluster, service=addr.name, **args)
    sync_tags(aws, live.body["serviceArn"], resource.spec, live.body.get("tags"), revision=revision)


def delete(aws: Aws, live: Live, *, wait_seconds: float = 0.0) -> None:
    """Scale to 0, delete, and (for a replace) wait until the service is INACTIVE so its name is free again."""
    addr = live.address
    where = f"{addr.cluster}/{addr.name}"
    if live.body.get("schedulingStrategy", "REPLICA") == "REPLICA" and live.body.get("desiredCount", 0):
        aws.call("ecs", "UpdateService", where, cluster=addr.cluster, service=addr.name, desiredCount=0)
    try:
        aws.call("ecs", "DeleteService", where, cluster=addr.cluster, service=addr.name)
    except AwsError as exc:
        if exc.code not in GONE_CODES:
            raise
    deadline = time.monotonic() + wait_seconds
    while wait_seconds:
        answer = aws.call("ecs", "DescribeServices", where, cluster=addr.cluster, services=[addr.name])
        if all(s.get("status") == "INACTIVE" for s in answer.get("services", [])):
            return
        if time.monotonic() > deadline:
            raise PlanError(f"{addr}: still draining after {wait_seconds:.0f}s; not re-created")
        time.sleep(min(5.0, wait_seconds / 10))
