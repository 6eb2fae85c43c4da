"""The Service kind's reads and writes: DescribeServices (10 a call, per cluster), CreateService (idempotent by a
clientToken derived from the action), UpdateService, delete (scale to 0, DeleteService) and, before a replace's
create, the wait until the deleted service is INACTIVE."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange
from reconciler.core.errors import AwsError, ManifestError, PlanError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.tags import is_managed, managed_tags, owner_of
from reconciler.kinds.cloud_map_live import check_registries, registries_to_send, resolve_namespaces, resolve_registries
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.express_service import is_express
from reconciler.kinds.live_base import ApplyContext, EcsTaggedLive, Found, Rollouts
from reconciler.kinds.load_balancers_live import check_load_balancers, unhealthy_targets
from reconciler.kinds.service import KIND, UPDATABLE, assumed

EVENTS_KEPT = 10
"""A service's describe carries up to 100 events; a pass keeps the newest few (what status and alerts show)."""
GONE_CODES = frozenset({"ServiceNotActiveException", "ServiceNotFoundException"})
"""DeleteService errors meaning the service is already deleted: a retried delete whose first answer was lost."""


def describe(aws: Aws, names_by_cluster: Mapping[str, Sequence[str]]) -> dict[Address, Live]:
    """DescribeServices, 10 names per call, for each cluster; only ACTIVE services count."""
    jobs = [(c, chunk) for c, names in sorted(names_by_cluster.items()) for chunk in batches(sorted(set(names)), 10)]

    def one(job: tuple[str, list[str]]) -> list[dict[str, Any]]:
        cluster, chunk = job
        try:
            answer = aws.call(
                "ecs",
                "DescribeServices",
                f"{cluster}/{','.join(chunk)}",
                cluster=cluster,
                services=chunk,
                include=["TAGS"],
            )
        except AwsError as exc:
            if exc.code == "ClusterNotFoundException":
                return []
            raise
        return [
            {**s, "events": s.get("events", [])[:EVENTS_KEPT], "_cluster": cluster} for s in answer.get("services", [])
        ]

    found: dict[Address, Live] = {}
    for chunk in aws.map(one, jobs):
        for body in chunk:
            if body.get("status") == "ACTIVE":
                addr = Address(KIND.name, body["serviceName"], body.pop("_cluster"))
                found[addr] = Live(addr, body, managed=is_managed(body.get("tags")), owner=owner_of(body.get("tags")))
    return found


def list_names(aws: Aws, clusters: Sequence[str]) -> dict[str, list[str]]:
    """The names of the services in each cluster (ListServices)."""

    def names(cluster: str) -> tuple[str, list[str]]:
        arns = aws.pages("ecs", "ListServices", "serviceArns", cluster, cluster=cluster)
        return cluster, [name_of(a) for a in arns]

    return dict(aws.map(names, sorted(set(clusters))))


def client_token(resource: Resource, request: Mapping[str, Any], ctx: ApplyContext) -> str:
    """CreateService's idempotency token, derived from the action: the service, the request (its resolved task
    definition included), the git revision and, for a replace, the service it replaces (its ARN and creation
    time), so every retry of one create sends the same token and a replace re-creating the same name another one
    (36 characters at most)."""
    old = ctx.replacing.body if ctx.replacing is not None else {}
    key = [str(resource.address), dict(request), ctx.revision, old.get("serviceArn"), str(old.get("createdAt", ""))]
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _create(aws: Aws, resource: Resource, ctx: ApplyContext) -> None:
    """CreateService with a clientToken derived from the action, so a retried call whose answer was lost creates
    nothing twice."""
    spec = {k: v for k, v in resource.spec.items() if k not in ("cluster", "clientToken")}
    if "taskDefinition" in spec:
        spec["taskDefinition"] = ctx.task_definition(str(spec["taskDefinition"]))
    if spec.get("serviceRegistries"):
        spec["serviceRegistries"] = registries_to_send(aws, resource, ctx.lookups)
    spec["tags"] = managed_tags(spec.get("tags"), stamp=ctx.stamp)
    addr = resource.address
    where = f"{addr.scope}/{addr.name}"
    aws.call(
        "ecs",
        "CreateService",
        where,
        cluster=addr.scope,
        serviceName=addr.name,
        clientToken=client_token(resource, spec, ctx),
        **spec,
    )


def _delete(aws: Aws, live: Live) -> None:
    """Scale to 0, then delete."""
    addr = live.address
    where = f"{addr.scope}/{addr.name}"
    if live.body.get("schedulingStrategy", "REPLICA") == "REPLICA" and live.body.get("desiredCount", 0):
        aws.call("ecs", "UpdateService", where, cluster=addr.scope, service=addr.name, desiredCount=0)
    try:
        aws.call("ecs", "DeleteService", where, cluster=addr.scope, service=addr.name)
    except AwsError as exc:
        if exc.code not in GONE_CODES:
            raise


def await_inactive(aws: Aws, live: Live, *, wait_seconds: float) -> None:
    """Wait until a deleted service is INACTIVE, so its name is free again."""
    addr = live.address
    where = f"{addr.scope}/{addr.name}"
    deadline = time.monotonic() + wait_seconds
    while wait_seconds:
        answer = aws.call("ecs", "DescribeServices", where, cluster=addr.scope, services=[addr.name])
        if all(s.get("status") == "INACTIVE" for s in answer.get("services", [])):
            return
        if time.monotonic() > deadline:
            raise PlanError(f"{addr}: still draining after {wait_seconds:.0f}s; not re-created")
        time.sleep(min(5.0, wait_seconds / 10))


class ServiceLive(EcsTaggedLive, Rollouts):
    kind = KIND
    arn_field = "serviceArn"

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        """Services by cluster; a cluster read as absent holds none (one not read is asked: ClusterNotFound). A
        Service Connect namespace is resolved to both its name and ARN, a service registry's ARN to its names."""
        names_by_cluster: dict[str, list[str]] = {}
        for a in addresses:
            cluster = Address(CLUSTER.name, str(a.scope))
            if cluster in found or cluster not in found.looked_up:
                names_by_cluster.setdefault(str(a.scope), []).append(a.name)
        services = describe(aws, names_by_cluster)
        sections = [
            section.get("serviceConnectConfiguration")
            for live in services.values()
            for section in [live.body, *(live.body.get("deployments") or [])]
        ]
        resolve_namespaces(aws, found, sections)
        resolve_registries(
            aws, found, [e for live in services.values() for e in live.body.get("serviceRegistries") or []]
        )
        return services

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        clusters = [a.name for a in found if a.kind == CLUSTER.name]
        services = describe(aws, list_names(aws, clusters)).items()
        # The service behind an Express service is ECS's: pruned, if ever, as its ExpressService.
        return {a: v for a, v in services if v.managed and not is_express(v.body)}

    def check_live(
        self, aws: Aws, resources: Sequence[Resource], declared: Mapping[Address, Resource]
    ) -> list[ManifestError]:
        return check_load_balancers(aws, resources, declared) + check_registries(aws, resources)

    def rollout_trouble(self, aws: Aws, body: Mapping[str, Any]) -> list[str]:
        """The service's load balancer targets that are not healthy, with ELB's reasons (no call without a target
        group)."""
        return [str(t) for t in unhealthy_targets(aws, body)]

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        _create(aws, desired, ctx)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        """The tags, then UpdateService with the changed fields UpdateService takes (a field the manifest dropped goes
        back to what AWS assumes). Tags first: the revision tag names the change before it is sent, so a stop between
        the two leaves the right tag and a diff the next pass applies, never a stale tag over an applied change."""
        self.retag(aws, desired, live, ctx)
        addr, spec = desired.address, desired.spec
        fields = {c.path.split(".", 1)[0] for c in changes} & UPDATABLE
        defaults = assumed(spec)
        args = {f: spec[f] if f in spec else defaults[f] for f in fields if f in spec or f in defaults}
        if args.get("serviceRegistries"):
            args["serviceRegistries"] = registries_to_send(aws, desired, ctx.lookups)
        if "taskDefinition" in args:
            args["taskDefinition"] = ctx.task_definition(str(spec["taskDefinition"]))
        if args:
            where = f"{addr.scope}/{addr.name}"
            aws.call("ecs", "UpdateService", where, cluster=addr.scope, service=addr.name, **args)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        _delete(aws, live)

    def await_gone(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        await_inactive(aws, live, wait_seconds=ctx.settings.drain_timeout)


LIVE = ServiceLive()
