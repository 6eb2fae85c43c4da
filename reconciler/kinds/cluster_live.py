"""The Cluster kind's reads and writes: DescribeClusters (100 a call), CreateCluster, UpdateCluster,
PutClusterCapacityProviders, DeleteCluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.tags import is_managed, owner_of
from reconciler.kinds.capacity_provider import is_declarable
from reconciler.kinds.cloud_map_live import resolve_namespaces
from reconciler.kinds.cluster import CAPACITY_FIELDS, KIND, UPDATE_FIELDS
from reconciler.kinds.live_base import ApplyContext, EcsTaggedLive, Found
from reconciler.kinds.tagging import with_managed_tags


def describe(aws: Aws, names: Sequence[str]) -> dict[Address, Live]:
    """DescribeClusters for the given names, 100 per call; INACTIVE (deleted) clusters count as absent. Each
    cluster's capacityProviders are those it associates: its own Managed Instances providers, which AWS lists there
    too, are left out (``without_own_providers``)."""

    def one(chunk: list[str]) -> list[dict[str, Any]]:
        answer = aws.call(
            "ecs", "DescribeClusters", ",".join(chunk), clusters=chunk, include=["SETTINGS", "TAGS", "CONFIGURATIONS"]
        )
        return list(answer.get("clusters", []))

    bodies = [
        body
        for chunk in aws.map(one, batches(sorted(set(names)), 100))
        for body in chunk
        if body.get("status") in ("ACTIVE", "PROVISIONING")
    ]
    found: dict[Address, Live] = {}
    for body in aws.map(lambda body: without_own_providers(aws, body), bodies):
        addr = Address(KIND.name, body["clusterName"])
        found[addr] = Live(addr, body, managed=is_managed(body.get("tags")), owner=owner_of(body.get("tags")))
    return found


def without_own_providers(aws: Aws, body: dict[str, Any]) -> dict[str, Any]:
    """A described cluster without its Managed Instances providers in capacityProviders. AWS lists them there from
    their creation on (ECS API reference, CreateCapacityProvider cluster), but PutClusterCapacityProviders can neither
    add nor remove one: compared with the manifest's list they would be a change no apply makes, and exported they
    would be refused. Which of the listed providers are the cluster's own is asked only when it lists some besides
    Fargate's (DescribeCapacityProviders with the cluster: Managed Instances providers carry
    managedInstancesProvider)."""
    listed = [str(n) for n in body.get("capacityProviders") or []]
    others = [n for n in listed if is_declarable(n)]
    if not others:
        return body
    cluster = str(body["clusterName"])
    described = aws.pages(
        "ecs", "DescribeCapacityProviders", "capacityProviders", cluster, cluster=cluster, capacityProviders=others
    )
    own = {str(p.get("name")) for p in described if p.get("managedInstancesProvider")}
    return {**body, "capacityProviders": [n for n in listed if n not in own]} if own else body


class ClusterLive(EcsTaggedLive):
    kind = KIND
    arn_field = "clusterArn"

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        """The clusters, their Service Connect namespace resolved to both its name and ARN."""
        clusters = describe(aws, [a.name for a in addresses])
        resolve_namespaces(aws, found, [live.body.get("serviceConnectDefaults") for live in clusters.values()])
        return clusters

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        arns = aws.pages("ecs", "ListClusters", "clusterArns")
        return {a: v for a, v in describe(aws, [name_of(arn) for arn in arns]).items() if v.managed}

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        name = desired.address.name
        spec = with_managed_tags(desired.spec, stamp=ctx.stamp)
        aws.call("ecs", "CreateCluster", name, clusterName=name, **spec)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        self.retag(aws, desired, live, ctx)  # first: a stop between the two leaves a diff, never a stale tag
        name, spec = desired.address.name, desired.spec
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
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        aws.call("ecs", "DeleteCluster", live.address.name, cluster=live.address.name)


LIVE = ClusterLive()
