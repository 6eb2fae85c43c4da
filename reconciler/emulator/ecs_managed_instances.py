"""The emulator's ECS Managed Instances capacity providers as the ECS API reference documents them (moto knows only
Auto Scaling group providers): CreateCapacityProvider with ``cluster`` and ``managedInstancesProvider``, the
cluster-scoped DescribeCapacityProviders, UpdateCapacityProvider and DeleteCapacityProvider, and the cluster's
capacityProviders, which list the cluster's Managed Instances providers from their creation on and which
PutClusterCapacityProviders can neither add them to nor take them from."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException
from moto.ecs.models import CapacityProvider, CapacityProviderFailure, EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.hooks import patch

UPDATABLE_TEMPLATE = frozenset(
    {
        "ec2InstanceProfileArn",
        "networkConfiguration",
        "storageConfiguration",
        "instanceMetadataTagsPropagation",
        "localStorageConfiguration",
        "monitoring",
        "instanceRequirements",
        "capacityReservations",
    }
)
"""ECS API reference, UpdateManagedInstancesProviderConfiguration / InstanceLaunchTemplateUpdate: what an update may
change (not capacityOptionType, fipsEnabled or nitroEnclavesEnabled)."""


def patch_ecs_managed_instances() -> None:
    """Install these patches."""
    patch(EC2ContainerServiceResponse, "create_capacity_provider", _create)
    patch(EC2ContainerServiceResponse, "describe_capacity_providers", _describe)
    patch(EC2ContainerServiceResponse, "update_capacity_provider", _update)
    patch(EC2ContainerServiceResponse, "delete_capacity_provider", _delete)
    patch(EC2ContainerServiceBackend, "put_cluster_capacity_providers", _put_cluster_capacity_providers)


def _filled(config: dict[str, Any]) -> dict[str, Any]:
    """What ECS answers for a new provider's configuration: propagateTags NONE, and the launch template's
    capacityOptionType ON_DEMAND and monitoring BASIC when not given (ECS API reference, InstanceLaunchTemplate)."""
    out = copy.deepcopy(config)
    out.setdefault("propagateTags", "NONE")
    template = out.setdefault("instanceLaunchTemplate", {})
    template.setdefault("capacityOptionType", "ON_DEMAND")
    template.setdefault("monitoring", "BASIC")
    return out


class ManagedInstancesCapacityProvider(CapacityProvider):
    """A Managed Instances provider: no Auto Scaling group, the cluster it belongs to, its configuration."""

    def __init__(self, backend: Any, name: str, cluster: str, config: dict[str, Any], tags: list[Any]) -> None:
        super().__init__(backend.account_id, backend.region_name, name, {}, tags)
        self.auto_scaling_group_provider = None  # type: ignore[assignment]
        self.cluster = cluster
        self.managed_instances_provider = _filled(config)


def _scoped(provider: Any) -> str | None:
    return provider.cluster if isinstance(provider, ManagedInstancesCapacityProvider) else None


def _create(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    config, cluster = self._get_param("managedInstancesProvider"), self._get_param("cluster")
    if config is None:
        if cluster is not None:
            # ECS API reference, CreateCapacityProvider cluster: only Managed Instances providers are cluster-scoped.
            raise ECSException("InvalidParameterException", "cluster is only for Managed Instances providers.")
        return cast(ActionResult, original(self))
    backend = self.ecs_backend
    name = self._get_param("name")
    if cluster is None or cluster.split("/")[-1] not in backend.clusters:
        # ECS API reference, CreateCapacityProvider cluster: a Managed Instances provider belongs to one cluster.
        raise ECSException("ClusterNotFoundException", "A Managed Instances provider needs an existing cluster.")
    if name in backend.capacity_providers:
        raise ECSException("InvalidParameterException", f"The capacity provider {name} already exists.")
    tags = self._get_param("tags") or []
    provider = ManagedInstancesCapacityProvider(backend, name, cluster.split("/")[-1], config, tags)
    backend.capacity_providers[name] = provider
    # ECS API reference, CreateCapacityProvider cluster: the provider "becomes available only within the specified
    # cluster", associated at creation; DescribeClusters lists it in the cluster's capacityProviders (a Terraform
    # cluster that declares only its Fargate providers plans to remove it on every plan, hashicorp/
    # terraform-provider-aws#46346).
    holder = backend.clusters[provider.cluster]
    holder.capacity_providers = [*(holder.capacity_providers or []), name]
    return ActionResult({"capacityProvider": provider})


def _describe(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, DescribeCapacityProviders cluster: with a cluster, only the providers of that cluster,
    # Managed Instances ones included; without one, Managed Instances providers (cluster-scoped) are not answered.
    backend = self.ecs_backend
    cluster, names = self._get_param("cluster"), self._get_param("capacityProviders")
    cluster = cluster.split("/")[-1] if cluster else None
    associated = set(getattr(backend.clusters.get(cluster or ""), "capacity_providers", None) or [])
    wanted = [
        p
        for p in backend.capacity_providers.values()
        if (_scoped(p) == cluster or p.name in associated if cluster else _scoped(p) is None)
        and (names is None or p.name in names or p.capacity_provider_arn in names)
    ]
    found = {p.name for p in wanted} | {p.capacity_provider_arn for p in wanted}
    failures = [
        CapacityProviderFailure("MISSING", n, backend.account_id, backend.region_name)
        for n in names or []
        if n not in found
    ]
    return ActionResult({"capacityProviders": wanted, "failures": failures})


def _scoped_provider(self: EC2ContainerServiceResponse, name: str) -> ManagedInstancesCapacityProvider | None:
    provider = self.ecs_backend.capacity_providers.get(str(name).split("/")[-1])
    cluster = self._get_param("cluster")
    if not isinstance(provider, ManagedInstancesCapacityProvider):
        return None
    if cluster is None or cluster.split("/")[-1] != provider.cluster:
        # ECS API reference, UpdateCapacityProvider / DeleteCapacityProvider cluster: "Managed instances capacity
        # providers are cluster-scoped and can only be updated [deleted] within their associated cluster."
        raise ECSException("InvalidParameterException", f"{provider.name} belongs to cluster {provider.cluster}.")
    return provider


def _update(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    provider = _scoped_provider(self, self._get_param("name"))
    if provider is None:
        return cast(ActionResult, original(self))
    config = self._get_param("managedInstancesProvider") or {}
    template = config.get("instanceLaunchTemplate") or {}
    if fixed := sorted(set(template) - UPDATABLE_TEMPLATE):
        raise ECSException("InvalidParameterException", f"{', '.join(fixed)} cannot be updated.")
    current = provider.managed_instances_provider
    for key, value in config.items():
        if key != "instanceLaunchTemplate":
            current[key] = value
    current["instanceLaunchTemplate"].update(copy.deepcopy(template))
    provider.update_status = "UPDATE_COMPLETE"
    return ActionResult({"capacityProvider": provider})


def _delete(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    provider = _scoped_provider(self, self._get_param("capacityProvider"))
    if provider is None:
        return cast(ActionResult, original(self))
    del self.ecs_backend.capacity_providers[provider.name]
    holder = self.ecs_backend.clusters.get(provider.cluster)
    if holder is not None:
        holder.capacity_providers = [n for n in holder.capacity_providers or [] if n != provider.name]
    provider.status = "INACTIVE"
    return ActionResult({"capacityProvider": provider})


def _put_cluster_capacity_providers(
    original: Callable[..., Any],
    self: EC2ContainerServiceBackend,
    cluster_name: str,
    capacity_providers: list[str] | None,
    default_capacity_provider_strategy: list[dict[str, Any]] | None,
) -> Any:
    named = [self.capacity_providers.get(str(n).split("/")[-1]) for n in capacity_providers or []]
    if any(isinstance(p, ManagedInstancesCapacityProvider) for p in named):
        # ECS API reference, PutClusterCapacityProviders: "Amazon ECS Managed Instances doesn't support this"; AWS
        # answers InvalidParameterException "Cannot associate Managed Instances capacity provider to clusters using
        # this API" (hashicorp/terraform-provider-aws#44783).
        raise ECSException(
            "InvalidParameterException",
            "Cannot associate Managed Instances capacity provider to clusters using this API. Managed Instances"
            " capacity providers are associated with their cluster when they are created.",
        )
    cluster = self._get_cluster(cluster_name)
    own = [
        p.name
        for p in self.capacity_providers.values()
        if isinstance(p, ManagedInstancesCapacityProvider) and p.cluster == cluster.name
    ]
    result = original(self, cluster_name, capacity_providers, default_capacity_provider_strategy)
    # Left out of the call, the cluster's Managed Instances providers stay listed: the Terraform cluster of
    # terraform-provider-aws#46346 applies without them and finds them listed again.
    listed = list(cluster.capacity_providers or [])
    cluster.capacity_providers = listed + [n for n in own if n not in listed]
    return result
