"""The ExpressService kind's reads and writes. An Express service is an ECS service that ECS manages, so it is found
as services are (DescribeServices, 10 a call per cluster, keeping those whose ``resourceManagementType`` is ECS),
then read with DescribeExpressGatewayService (one a call, with its tags) and its newest service revision
(DescribeServiceRevisions, in batches) for what ECS manages for it. Writes: CreateExpressGatewayService,
UpdateExpressGatewayService, DeleteExpressGatewayService and tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws
from reconciler.core.diff import FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.tags import is_managed, owner_of
from reconciler.deployments.read import revisions
from reconciler.kinds.defaults import fill
from reconciler.kinds.express_service import (
    KIND,
    UPDATABLE,
    WITHOUT_OWN_TASK_DEFINITION,
    configuration,
    is_express,
)
from reconciler.kinds.live_base import ApplyContext, EcsTaggedLive, Found, names_by_scope
from reconciler.kinds.service_live import await_inactive, list_names
from reconciler.kinds.service_live import describe as describe_services
from reconciler.kinds.tagging import with_managed_tags


def describe(aws: Aws, names_by_cluster: Mapping[str, Sequence[str]]) -> dict[Address, Live]:
    """The Express services among these names, each with its tags, the counts of its ECS service and the resources
    ECS manages for it (``ecsManagedResources``, from its newest service revision)."""
    services = [live for live in describe_services(aws, names_by_cluster).values() if is_express(live.body)]

    def one(service: Live) -> tuple[Live, dict[str, Any]]:
        arn = str(service.body["serviceArn"])
        answer = aws.call("ecs", "DescribeExpressGatewayService", arn, serviceArn=arn, include=["TAGS"])
        return service, dict(answer.get("service") or {})

    described = [(s, body) for s, body in aws.map(one, services) if body]
    wanted = [str(configuration(b).get("serviceRevisionArn")) for _, b in described]
    read = revisions(aws, [arn for arn in wanted if arn != "None"])
    found: dict[Address, Live] = {}
    for service, body in described:
        if (body.get("status") or {}).get("statusCode") not in (None, "ACTIVE"):
            continue
        revision = read.get(str(configuration(body).get("serviceRevisionArn")), {})
        body["ecsManagedResources"] = revision.get("ecsManagedResources") or {}
        for count in ("desiredCount", "runningCount", "pendingCount"):
            body[count] = service.body.get(count, 0)
        address = Address(KIND.name, str(body.get("serviceName") or service.address.name), service.address.scope)
        tags = body.get("tags")
        found[address] = Live(address, body, managed=is_managed(tags), owner=owner_of(tags))
    return found


def update_request(spec: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateExpressGatewayService's inputs from a spec: every updatable field it sets, and the health check path
    and CPU architecture at their defaults when it leaves them out (a field dropped from the manifest goes back to
    what ECS assumes)."""
    filled = fill("expressService", spec)
    request = {k: filled[k] for k in UPDATABLE if k in filled}
    if "taskDefinitionArn" in request:
        request = {k: v for k, v in request.items() if k not in WITHOUT_OWN_TASK_DEFINITION}
    return request


class ExpressServiceLive(EcsTaggedLive):
    kind = KIND
    arn_field = "serviceArn"

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        by_cluster = names_by_scope(addresses)
        return describe(aws, by_cluster)

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        clusters = [name_of(a) for a in aws.pages("ecs", "ListClusters", "clusterArns")]
        return {a: v for a, v in describe(aws, list_names(aws, clusters)).items() if v.managed}

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        name, cluster = desired.address.name, desired.address.scope
        spec = with_managed_tags(desired.spec, stamp=ctx.stamp)
        request = {**spec, "serviceName": name, "cluster": cluster}
        aws.call("ecs", "CreateExpressGatewayService", f"{cluster}/{name}", **request)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        if any(c.path.split(".")[0] in UPDATABLE for c in changes):
            arn = str(live.body["serviceArn"])
            aws.call("ecs", "UpdateExpressGatewayService", arn, serviceArn=arn, **update_request(desired.spec))
        return self.retag(aws, desired, live, ctx)

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        arn = str(live.body["serviceArn"])
        aws.call("ecs", "DeleteExpressGatewayService", arn, serviceArn=arn)

    def await_gone(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        """The name is free once the ECS service behind it is INACTIVE."""
        await_inactive(aws, live, wait_seconds=ctx.settings.drain_timeout)


LIVE = ExpressServiceLive()
