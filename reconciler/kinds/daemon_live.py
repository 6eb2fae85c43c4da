"""The Daemon kind's reads and writes. Reads: ListDaemons by cluster, DescribeDaemon (one a call), its current
revisions (DescribeDaemonRevisions, in batches), their daemon task definition (DescribeDaemonTaskDefinition), its
deployment (DescribeDaemonDeployments, in batches) and its tags. Writes: RegisterDaemonTaskDefinition when the task
definition changes, CreateDaemon (idempotent by clientToken), UpdateDaemon, DeleteDaemon and then its family's
daemon task definitions (DeleteDaemonTaskDefinition), and tags."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of
from reconciler.core.tags import is_managed, managed_tags, owner_of
from reconciler.kinds.daemon import KIND, SETTINGS, TASK, cluster_of, providers_of
from reconciler.kinds.live_base import ApplyContext, EcsTaggedLive, Found, names_by_scope

BATCH = 20
"""DescribeDaemonRevisions and DescribeDaemonDeployments: ARNs per call (as the service deployment calls take)."""
REGISTERED = (
    "daemonTaskDefinitionArn",
    "family",
    "revision",
    "status",
    "registeredAt",
    "deleteRequestedAt",
    "registeredBy",
)
"""DaemonTaskDefinition members registration adds (not inputs)."""


def describe(aws: Aws, cluster: str, names: Sequence[str] | None) -> dict[Address, Live]:
    """The cluster's ACTIVE daemons (``names`` None: all of them), each read as a spec would write it."""
    arns = [
        str(d["daemonArn"]) for d in aws.pages("ecs", "ListDaemons", "daemonSummariesList", cluster, clusterArn=cluster)
    ]
    arns = [a for a in arns if names is None or name_of(a) in names]
    daemons = [aws.call("ecs", "DescribeDaemon", a, daemonArn=a).get("daemon") or {} for a in arns]
    daemons = [d for d in daemons if d.get("status") == "ACTIVE"]
    revision_arns = [str(r["arn"]) for d in daemons for r in (d.get("currentRevisions") or [])[:1]]
    current_revisions = revisions(aws, revision_arns)
    current_deployments = deployments(aws, [str(d["deploymentArn"]) for d in daemons if d.get("deploymentArn")])
    found: dict[Address, Live] = {}
    for daemon in daemons:
        current = (daemon.get("currentRevisions") or [{}])[0]
        revision = current_revisions.get(str(current.get("arn")), {})
        deployment = current_deployments.get(str(daemon.get("deploymentArn")), {})
        body = _body(aws, daemon, current, revision, deployment)
        address = Address(KIND.name, name_of(str(daemon["daemonArn"])), cluster)
        found[address] = Live(address, body, managed=is_managed(body["tags"]), owner=owner_of(body["tags"]))
    return found


def revisions(aws: Aws, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """DescribeDaemonRevisions in batches: ARN -> DaemonRevision."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in batches(sorted(set(arns)), BATCH):
        answer = aws.call("ecs", "DescribeDaemonRevisions", chunk[0], daemonRevisionArns=chunk)
        found |= {str(r["daemonRevisionArn"]): r for r in answer.get("daemonRevisions") or []}
    return found


def deployments(aws: Aws, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """DescribeDaemonDeployments in batches: ARN -> DaemonDeployment."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in batches(sorted(set(arns)), BATCH):
        answer = aws.call("ecs", "DescribeDaemonDeployments", chunk[0], daemonDeploymentArns=chunk)
        found |= {str(d["daemonDeploymentArn"]): d for d in answer.get("daemonDeployments") or []}
    return found


def _body(
    aws: Aws,
    daemon: Mapping[str, Any],
    current: Mapping[str, Any],
    revision: Mapping[str, Any],
    deployment: Mapping[str, Any],
) -> dict[str, Any]:
    """A described daemon in its spec's shape, with its status, its deployment (``daemonDeployment``) and instance
    counts."""
    arn = str(daemon["daemonArn"])
    definition_arn = str(revision.get("daemonTaskDefinitionArn") or "")
    definition: dict[str, Any] = {}
    if definition_arn:
        answer = aws.call("ecs", "DescribeDaemonTaskDefinition", definition_arn, daemonTaskDefinition=definition_arn)
        definition = dict(answer.get("daemonTaskDefinition") or {})
    tags = aws.call("ecs", "ListTagsForResource", arn, resourceArn=arn).get("tags") or []
    body: dict[str, Any] = {k: revision[k] for k in SETTINGS if k in revision}
    if deployment.get("deploymentConfiguration"):
        body["deploymentConfiguration"] = deployment["deploymentConfiguration"]
    return {
        **body,
        "daemonArn": arn,
        "status": daemon.get("status"),
        "clusterArn": daemon.get("clusterArn"),
        "capacityProviderArns": [str(p["arn"]) for p in current.get("capacityProviders") or []],
        TASK: {k: v for k, v in definition.items() if k not in REGISTERED},
        "daemonTaskDefinitionArn": definition_arn,
        "tags": tags,
        "runningCount": int(current.get("totalRunningCount") or 0),
        "withoutDaemonCount": int(current.get("totalWithoutDaemonCount") or 0),
        "daemonDeployment": dict(deployment),
    }


def register(aws: Aws, desired: Resource, ctx: ApplyContext) -> str:
    """RegisterDaemonTaskDefinition of the spec's task definition (family = the daemon's name): its new ARN."""
    family = desired.address.name
    task = {**desired.spec[TASK], "tags": managed_tags(None, stamp=ctx.stamp)}
    answer = aws.call("ecs", "RegisterDaemonTaskDefinition", family, family=family, **task)
    return str(answer["daemonTaskDefinitionArn"])


def settings_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What CreateDaemon and UpdateDaemon take from a spec besides the task definition."""
    return {k: spec[k] for k in (*SETTINGS, "capacityProviderArns") if k in spec}


class DaemonLive(EcsTaggedLive):
    kind = KIND
    arn_field = "daemonArn"

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        by_cluster = names_by_scope(addresses, default="default")
        live: dict[Address, Live] = {}
        for cluster, names in sorted(by_cluster.items()):
            if Address("Cluster", cluster) in found or Address("Cluster", cluster) not in found.looked_up:
                live |= describe(aws, cluster, names)
        return live

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        clusters = sorted(a.name for a in found if a.kind == "Cluster")
        managed: dict[Address, Live] = {}
        for cluster in clusters:
            managed |= {a: v for a, v in describe(aws, cluster, None).items() if v.managed}
        return managed

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        name, cluster = desired.address.name, cluster_of(desired.spec)
        request = {
            **settings_of(desired.spec),
            "daemonName": name,
            "clusterArn": cluster,
            "daemonTaskDefinitionArn": register(aws, desired, ctx),
            "tags": managed_tags(desired.spec.get("tags"), stamp=ctx.stamp),
            "clientToken": str(uuid.uuid4()),
        }
        aws.call("ecs", "CreateDaemon", f"{cluster}/{name}", **request)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        """Tags first (the revision about to run: a kill before the update leaves no stale revision tag), then a new
        daemon task definition revision when it changed, then UpdateDaemon (one daemon deployment)."""
        paths = {c.path.split(".")[0] for c in changes}
        self.retag(aws, desired, live, ctx)
        if paths - {"tags"}:
            arn = str(live.body["daemonArn"])
            definition = register(aws, desired, ctx) if TASK in paths else str(live.body["daemonTaskDefinitionArn"])
            request = {**settings_of(desired.spec), "capacityProviderArns": providers_of(desired.spec)}
            aws.call("ecs", "UpdateDaemon", arn, daemonArn=arn, daemonTaskDefinitionArn=definition, **request)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        """DeleteDaemon, then every ACTIVE daemon task definition of its family (no other daemon names it)."""
        arn, family = str(live.body["daemonArn"]), live.address.name
        aws.call("ecs", "DeleteDaemon", arn, daemonArn=arn)
        listed = aws.pages("ecs", "ListDaemonTaskDefinitions", "daemonTaskDefinitions", family, family=family)
        for item in listed:
            aws.call("ecs", "DeleteDaemonTaskDefinition", str(item["arn"]), daemonTaskDefinition=str(item["arn"]))


LIVE = DaemonLive()
