"""The ManagedInstancesProvider kind's reads and writes: DescribeCapacityProviders by cluster (Managed Instances
providers are answered only with their cluster named, and carry no Auto Scaling group), CreateCapacityProvider with
the cluster, UpdateCapacityProvider and DeleteCapacityProvider naming it, and tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.tags import is_managed, owner_of
from reconciler.kinds.live_base import ApplyContext, EcsTaggedLive, Found, names_by_scope
from reconciler.kinds.managed_instances_provider import CONFIG, FIXED_TEMPLATE, KIND, TEMPLATE
from reconciler.kinds.tagging import with_managed_tags


def describe(aws: Aws, cluster: str, names: Sequence[str] | None) -> dict[Address, Live]:
    """The cluster's Managed Instances providers (``names`` None: all of them); only ACTIVE ones count."""
    if names is None:
        bodies = aws.pages(
            "ecs", "DescribeCapacityProviders", "capacityProviders", cluster, cluster=cluster, include=["TAGS"]
        )
    else:
        bodies = []
        for chunk in batches(sorted(set(names)), 100):
            answer = aws.call(
                "ecs", "DescribeCapacityProviders", cluster, cluster=cluster, capacityProviders=chunk, include=["TAGS"]
            )
            bodies += answer.get("capacityProviders", [])
    found = {}
    for body in bodies:
        if body.get("status", "ACTIVE") == "ACTIVE" and body.get(CONFIG):
            address = Address(KIND.name, str(body["name"]), cluster)
            found[address] = Live(address, body, managed=is_managed(body.get("tags")), owner=owner_of(body.get("tags")))
    return found


def update_request(spec: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateCapacityProvider's managedInstancesProvider from a spec: the launch template without what an update
    cannot change."""
    config = dict(spec.get(CONFIG) or {})
    config[TEMPLATE] = {k: v for k, v in (config.get(TEMPLATE) or {}).items() if k not in FIXED_TEMPLATE}
    return config


class ManagedInstancesProviderLive(EcsTaggedLive):
    kind = KIND
    arn_field = "capacityProviderArn"

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        by_cluster = names_by_scope(addresses)
        live: dict[Address, Live] = {}
        for cluster, names in sorted(by_cluster.items()):
            live |= describe(aws, cluster, names)
        return live

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        clusters = [name_of(a) for a in aws.pages("ecs", "ListClusters", "clusterArns")]
        managed: dict[Address, Live] = {}
        for cluster in sorted(clusters):
            managed |= {a: v for a, v in describe(aws, cluster, None).items() if v.managed}
        return managed

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        name, cluster = desired.address.name, desired.address.scope
        spec = with_managed_tags(desired.spec, stamp=ctx.stamp)
        aws.call("ecs", "CreateCapacityProvider", name, **{**spec, "name": name, "cluster": cluster})
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        self.retag(aws, desired, live, ctx)  # first: a stop between the two leaves a diff, never a stale tag
        name, cluster = desired.address.name, desired.address.scope
        if any(c.path.startswith(f"{CONFIG}.") for c in changes):
            request = {"name": name, "cluster": cluster, CONFIG: update_request(desired.spec)}
            aws.call("ecs", "UpdateCapacityProvider", name, **request)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        name = live.address.name
        aws.call("ecs", "DeleteCapacityProvider", name, capacityProvider=name, cluster=live.address.scope)


LIVE = ManagedInstancesProviderLive()
