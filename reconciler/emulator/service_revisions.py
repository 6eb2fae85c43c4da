"""Service revisions (DescribeServiceRevisions): what a service runs, frozen each time a deployment starts.

ECS Developer Guide, "Amazon ECS service revisions": a service revision holds the service's ECS resources (the task
definition, its container images resolved to digests) and environment resources (launch type or capacity provider
strategy, platform version, load balancers, service registries, network, Service Connect, volumes, VPC Lattice); a
new one is made when a deployment starts. botocore's ServiceRevision shape names the fields.
"""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend

from reconciler.emulator.clock import CLOCK

REVISION_FIELDS = {
    "taskDefinition": "task_definition",
    "launchType": "launch_type",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "platformVersion": "platform_version",
    "platformFamily": "platform_family",
    "loadBalancers": "load_balancers",
    "serviceRegistries": "service_registries",
    "networkConfiguration": "network_configuration",
}
"""ServiceRevision members read from the service (botocore ServiceRevision -> moto Service attribute)."""
DEPLOYMENT_FIELDS = ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations")
"""ServiceRevision members AWS keeps on the service's deployment rather than on the service."""


def revisions(backend: EC2ContainerServiceBackend) -> dict[str, dict[str, Any]]:
    """The region's service revisions by ARN (kept on moto's backend, so they are reset and saved with it)."""
    store: dict[str, dict[str, Any]] | None = getattr(backend, "service_revisions", None)
    if store is None:
        store = {}
        backend.service_revisions = store  # type: ignore[attr-defined]
    return store


def content_of(service: Any) -> dict[str, Any]:
    """The revision-defining fields of ``service`` now (a moto Service with the emulator's attributes)."""
    primary: dict[str, Any] = next((d for d in service.deployments if d.get("status") == "PRIMARY"), {})
    fields = {member: getattr(service, attribute, None) for member, attribute in REVISION_FIELDS.items()}
    fields.update({member: primary.get(member) for member in DEPLOYMENT_FIELDS})
    return copy.deepcopy({k: v for k, v in fields.items() if v not in (None, [], {})})


def _images(backend: EC2ContainerServiceBackend, task_definition: str | None) -> list[dict[str, str]]:
    # ServiceRevision.containerImages: ECS resolves each container's image to a digest when the revision is made.
    try:
        definition = backend.describe_task_definition(str(task_definition))
    except Exception:  # noqa: BLE001 (an unknown task definition resolves no image)
        return []
    return [
        {
            "containerName": str(c.get("name")),
            "image": str(c.get("image")),
            "imageDigest": "sha256:" + hashlib.sha256(str(c.get("image")).encode()).hexdigest(),
        }
        for c in definition.container_definitions
    ]


def make_revision(backend: EC2ContainerServiceBackend, service: Any) -> dict[str, Any]:
    """A new service revision of ``service`` as it stands, stored and returned (a ServiceRevision)."""
    number = time.time_ns() % 10**19
    cluster, name = service.cluster_name, service.name
    revision = {
        "serviceRevisionArn": (
            f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:service-revision/{cluster}/{name}/{number}"
        ),
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        # AWS's published answer (aws-cli's describe-service-revisions example) shows serviceConnectConfiguration
        # {"enabled": false} for a service without Service Connect.
        "serviceConnectConfiguration": {"enabled": False},
        **content_of(service),
        "containerImages": _images(backend, service.task_definition),
        "guardDutyEnabled": False,
        "createdAt": CLOCK.utc(),
    }
    if revision.get("platformVersion") == "LATEST":
        # Developer Guide, "Fargate platform versions": a revision names the version LATEST resolved to (1.4.0 on
        # Linux, 1.0.0 on Windows), as AWS's published describe-service-revisions answer shows.
        revision["platformVersion"] = "1.4.0" if revision.get("platformFamily", "Linux") == "Linux" else "1.0.0"
    revisions(backend)[revision["serviceRevisionArn"]] = revision
    return revision
