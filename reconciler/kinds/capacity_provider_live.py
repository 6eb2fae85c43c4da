"""The CapacityProvider kind's reads and writes: DescribeCapacityProviders (by name, with tags),
CreateCapacityProvider, UpdateCapacityProvider, tags, replace (delete then create) and DeleteCapacityProvider.

For prune it also reads which services run on each managed provider (every cluster that associates it, every
service there whose capacity provider strategy names it): a provider in use is kept, with those services named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.tags import is_managed, owner_of
from reconciler.kinds import cluster_live, service_live
from reconciler.kinds.capacity_provider import KIND, UPDATABLE, USED_BY
from reconciler.kinds.live_base import ApplyContext, EcsTaggedLive, Found
from reconciler.kinds.tagging import with_managed_tags


def describe(aws: Aws, names: Sequence[str] | None) -> dict[Address, Live]:
    """DescribeCapacityProviders by name (100 a call; None: every provider, paged); only ACTIVE ones count."""
    if names is None:
        bodies = aws.pages("ecs", "DescribeCapacityProviders", "capacityProviders", include=["TAGS"])
    else:
        bodies = []
        for chunk in batches(sorted(set(names)), 100):
            where = ",".join(chunk)
            answer = aws.call("ecs", "DescribeCapacityProviders", where, capacityProviders=chunk, include=["TAGS"])
            bodies += answer.get("capacityProviders", [])
    found = {}
    for body in bodies:
        if body.get("status", "ACTIVE") == "ACTIVE" and body.get("autoScalingGroupProvider"):
            address = Address(KIND.name, str(body["name"]))
            found[address] = Live(address, body, managed=is_managed(body.get("tags")), owner=owner_of(body.get("tags")))
    return found


def services_using(aws: Aws, providers: Sequence[str]) -> dict[str, list[Address]]:
    """Provider name -> the services (any owner) whose capacity provider strategy names it, in the clusters that
    associate it."""
    wanted = set(providers)
    clusters = cluster_live.describe(aws, [name_of(a) for a in aws.pages("ecs", "ListClusters", "clusterArns")])
    holding = [a.name for a, c in clusters.items() if wanted & set(c.body.get("capacityProviders") or [])]
    users: dict[str, list[Address]] = {name: [] for name in wanted}
    for address, service in sorted(service_live.describe(aws, service_live.list_names(aws, holding)).items()):
        for item in service.body.get("capacityProviderStrategy") or []:
            if item.get("capacityProvider") in wanted:
                users[str(item["capacityProvider"])].append(address)
    return users


class CapacityProviderLive(EcsTaggedLive):
    kind = KIND
    arn_field = "capacityProviderArn"

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        return describe(aws, [a.name for a in addresses])

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        managed = {a: v for a, v in describe(aws, None).items() if v.managed}
        if not managed:
            return {}
        users = services_using(aws, [a.name for a in managed])
        return {a: Live(a, {**v.body, USED_BY: users[a.name]}, managed=True, owner=v.owner) for a, v in managed.items()}

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        name = desired.address.name
        spec = with_managed_tags(desired.spec, stamp=ctx.stamp)
        aws.call("ecs", "CreateCapacityProvider", name, name=name, **spec)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        self.retag(aws, desired, live, ctx)  # first: a stop between the two leaves a diff, never a stale tag
        name = desired.address.name
        group = desired.spec.get("autoScalingGroupProvider") or {}
        update = {k: v for k, v in group.items() if k in UPDATABLE}
        if any(c.path.startswith("autoScalingGroupProvider.") for c in changes) and update:
            aws.call("ecs", "UpdateCapacityProvider", name, name=name, autoScalingGroupProvider=update)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        aws.call("ecs", "DeleteCapacityProvider", live.address.name, capacityProvider=live.address.name)


LIVE = CapacityProviderLive()
