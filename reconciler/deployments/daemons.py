"""Reading a daemon's deployments, as ``read`` reads a service's: a daemon's current DaemonDeployment is named by its
DescribeDaemon answer (``deploymentArn``), which the Daemon kind's reading keeps in its body (``daemonDeployment``,
read by DescribeDaemonDeployments in batches); ``describe`` reads any of them by ARN. A daemon is found
by name in its cluster's ListDaemons. Every call goes through the AWS boundary, which paces it in its bucket."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.aws import Aws
from reconciler.core.model import Address, Live
from reconciler.deployments.stages import Deployment
from reconciler.kinds import daemon_live


def current_arn(body: Mapping[str, Any] | None) -> str | None:
    """The DaemonDeployment a read daemon is on (None: ECS names none)."""
    arn = ((body or {}).get("daemonDeployment") or {}).get("daemonDeploymentArn")
    return str(arn) if arn else None


def current(body: Mapping[str, Any] | None) -> Deployment | None:
    """The deployment a read daemon is on, as its reading found it."""
    doc = (body or {}).get("daemonDeployment")
    return Deployment.of_daemon(doc) if doc else None


def describe(aws: Aws, arns: Iterable[str]) -> dict[str, Deployment]:
    """DescribeDaemonDeployments for these ARNs, in batches: ARN -> Deployment (ARNs ECS no longer has are
    left out)."""
    return {arn: Deployment.of_daemon(doc) for arn, doc in daemon_live.deployments(aws, sorted(set(arns))).items()}


def daemons(aws: Aws, addresses: Sequence[Address]) -> dict[Address, Live]:
    """The daemons at these addresses, read as the Daemon kind reads them (a daemon not found is left out)."""
    by_cluster: dict[str, list[str]] = {}
    for address in addresses:
        by_cluster.setdefault(str(address.scope), []).append(address.name)
    found: dict[Address, Live] = {}
    for cluster, names in sorted(by_cluster.items()):
        found |= daemon_live.describe(aws, cluster, names)
    return found
