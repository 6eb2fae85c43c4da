"""Reading a daemon's deployments, as ``read`` reads a service's: a daemon's current DaemonDeployment is named by its
DescribeDaemon answer (``deploymentArn``), which the Daemon kind's reading keeps in its body (``daemonDeployment``,
read by DescribeDaemonDeployments in batches); ``describe`` reads any of them by ARN; ``history`` lists those ECS
still keeps of one daemon (ListDaemonDeployments, every page) and ``revisions`` the DaemonRevisions they deploy. A
daemon is found by name in its cluster's ListDaemons. Every call goes through the AWS boundary, which paces it in its
bucket."""

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


def history(aws: Aws, body: Mapping[str, Any], *, statuses: Sequence[str] = ()) -> list[Deployment]:
    """The read daemon's deployments ECS still lists (optionally only those in ``statuses``), newest first:
    ListDaemonDeployments, every page, then DescribeDaemonDeployments for them in batches."""
    arn = str(body["daemonArn"])
    extra: dict[str, Any] = {"status": list(statuses)} if statuses else {}
    briefs = aws.pages("ecs", "ListDaemonDeployments", "daemonDeployments", arn, daemonArn=arn, **extra)
    listed = [str(b["daemonDeploymentArn"]) for b in briefs if b.get("daemonDeploymentArn")]
    found = describe(aws, listed)
    ordered = [found[a] for a in listed if a in found]
    return sorted(ordered, key=lambda d: d.started_at.timestamp() if d.started_at else 0.0, reverse=True)


def revisions(aws: Aws, arns: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """DescribeDaemonRevisions in batches: ARN -> DaemonRevision (its ``daemonTaskDefinitionArn`` is what it runs)."""
    return dict(daemon_live.revisions(aws, sorted(set(arns))))


def daemons(aws: Aws, addresses: Sequence[Address]) -> dict[Address, Live]:
    """The daemons at these addresses, read as the Daemon kind reads them (a daemon not found is left out)."""
    by_cluster: dict[str, list[str]] = {}
    for address in addresses:
        by_cluster.setdefault(str(address.scope), []).append(address.name)
    found: dict[Address, Live] = {}
    for cluster, names in sorted(by_cluster.items()):
        found |= daemon_live.describe(aws, cluster, names)
    return found
