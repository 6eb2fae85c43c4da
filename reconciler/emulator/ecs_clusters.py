"""The emulator's ECS clusters, capacity providers and resource tags as the ECS API reference documents them where
moto differs (empty lists, what is listed and described, deleting a cluster that still has services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.ecs_deployments import ACTIVE_STATUSES
from reconciler.emulator.hooks import patch


def patch_ecs_clusters() -> None:
    """Install these patches."""
    patch(EC2ContainerServiceResponse, "describe_clusters", _describe_clusters)
    patch(EC2ContainerServiceBackend, "create_cluster", _create_cluster)
    patch(EC2ContainerServiceBackend, "list_clusters", _list_clusters)
    patch(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
    patch(EC2ContainerServiceBackend, "list_tags_for_resource", _list_tags_for_resource)
    patch(EC2ContainerServiceBackend, "describe_capacity_providers", _describe_capacity_providers)


def _describe_capacity_providers(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, names: list[str] | None
) -> Any:
    # ECS API reference, DescribeCapacityProviders: without capacityProviders, every provider is described.
    return original(self, names if names is not None else list(self.capacity_providers))


def _create_cluster(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    cluster = original(self, *args, **kwargs)
    # AWS returns capacityProviders and defaultCapacityProviderStrategy as empty lists when none were given;
    # moto omitted them.
    if cluster.capacity_providers is None:
        cluster.capacity_providers = []
    if cluster.default_capacity_provider_strategy is None:
        cluster.default_capacity_provider_strategy = []
    if cluster.tags is None:
        cluster.tags = []
    return cluster


def _list_clusters(original: Callable[..., Any], self: EC2ContainerServiceBackend) -> list[str]:
    # ECS API reference, ListClusters: deleted (INACTIVE) clusters are not listed (moto listed them).
    inactive = {cluster.arn for cluster in self.clusters.values() if cluster.status == "INACTIVE"}
    return [arn for arn in original(self) if arn not in inactive]


def _delete_cluster(original: Callable[..., Any], self: EC2ContainerServiceBackend, cluster_str: str) -> Any:
    cluster = self._get_cluster(cluster_str)
    if any(s.cluster_name == cluster.name and s.status in ACTIVE_STATUSES for s in self.services.values()):
        # ECS API reference, DeleteCluster: ClusterContainsServicesException while the cluster has ACTIVE or
        # DRAINING services (moto deleted it anyway).
        raise ECSException(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        )
    return original(self, cluster_str)


def _list_tags_for_resource(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, resource_arn: str
) -> list[dict[str, str]]:
    # ECS API reference, ListTagsForResource: an untagged resource has "tags": []; moto returned nothing for
    # clusters created without tags.
    return original(self, resource_arn) or []


def _describe_clusters(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, Cluster.activeServicesCount: the number of ACTIVE services in the cluster; moto kept 0.
    backend = self.ecs_backend
    for cluster in backend.clusters.values():
        cluster.active_services_count = sum(
            1 for s in backend.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE"
        )
    result = original(self)
    include = self._get_param("include", []) or []
    # ECS API reference, DescribeClusters include: settings and configuration are returned only when SETTINGS and
    # CONFIGURATIONS are asked for (a cluster created without settings then shows containerInsights "disabled",
    # as moto already stores). moto always returned both.
    for flag, field in (("SETTINGS", "settings"), ("CONFIGURATIONS", "configuration")):
        path = f"DescribeClustersResponse.clusters.Cluster.{field}"
        if flag in include:
            self._include_in_response(path)
        else:
            self._exclude_from_response(path)
    return cast("ActionResult", result)
