"""Reading ServiceDeployments and ServiceRevisions, batched: a service's current deployment is named by its
DescribeServices answer (``currentServiceDeployment``), so following many services costs one DescribeServiceDeployments
per ``BATCH`` of them on top of the DescribeServices the pass makes anyway; the history of one service
(ListServiceDeployments) and revisions (DescribeServiceRevisions, ``BATCH`` a call) are read only when asked. Every
call goes through the AWS boundary, which paces it in its bucket (``reconciler.pacing``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.model import Address
from reconciler.deployments.stages import Deployment

BATCH = 20
"""ARNs per DescribeServiceDeployments / DescribeServiceRevisions call (the API reference's maximum)."""


def current_arn(body: Mapping[str, Any] | None) -> str | None:
    """The ServiceDeployment a described service is on (None: ECS names none, as for a CODE_DEPLOY service)."""
    arn = (body or {}).get("currentServiceDeployment")
    return str(arn) if arn else None


def service(aws: Aws, address: Address, *, tags: bool = False) -> Mapping[str, Any] | None:
    """One service's DescribeServices entry, with its tags when asked (None: not found)."""
    where = f"{address.scope}/{address.name}"
    extra: dict[str, Any] = {"include": ["TAGS"]} if tags else {}
    answer = aws.call("ecs", "DescribeServices", where, cluster=address.scope, services=[address.name], **extra)
    services: list[Mapping[str, Any]] = answer.get("services", [])
    return services[0] if services else None


def describe(aws: Aws, arns: Iterable[str]) -> dict[str, Deployment]:
    """DescribeServiceDeployments for these ARNs, ``BATCH`` a call: ARN -> Deployment (ARNs ECS no longer has are
    left out)."""
    wanted = sorted(set(arns))

    def one(chunk: list[str]) -> list[Mapping[str, Any]]:
        answer = aws.call("ecs", "DescribeServiceDeployments", chunk[0], serviceDeploymentArns=chunk)
        found: list[Mapping[str, Any]] = answer.get("serviceDeployments") or []
        return found

    out: dict[str, Deployment] = {}
    for found in aws.map(one, batches(wanted, BATCH)):
        for doc in found:
            deployment = Deployment.of(doc)
            out[deployment.arn] = deployment
    return out


def current(aws: Aws, bodies: Mapping[Address, Mapping[str, Any] | None]) -> dict[Address, Deployment]:
    """Each described service's current deployment, read in batches."""
    arns = {a: arn for a, body in bodies.items() if (arn := current_arn(body))}
    found = describe(aws, arns.values()) if arns else {}
    return {a: found[arn] for a, arn in arns.items() if arn in found}


def history(aws: Aws, address: Address, *, statuses: Sequence[str] = ()) -> list[Deployment]:
    """The service's deployments ECS still lists (optionally only those in ``statuses``), newest first."""
    where = f"{address.scope}/{address.name}"
    extra: dict[str, Any] = {"status": list(statuses)} if statuses else {}
    briefs = aws.pages(
        "ecs",
        "ListServiceDeployments",
        "serviceDeployments",
        where,
        cluster=address.scope,
        service=address.name,
        **extra,
    )
    found = describe(aws, [str(b["serviceDeploymentArn"]) for b in briefs if b.get("serviceDeploymentArn")])
    ordered = [found[str(b["serviceDeploymentArn"])] for b in briefs if str(b.get("serviceDeploymentArn")) in found]
    return sorted(ordered, key=lambda d: d.started_at.timestamp() if d.started_at else 0.0, reverse=True)


def revisions(aws: Aws, arns: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """DescribeServiceRevisions, ``BATCH`` a call: ARN -> ServiceRevision."""
    wanted = sorted(set(arns))

    def one(chunk: list[str]) -> list[Mapping[str, Any]]:
        answer = aws.call("ecs", "DescribeServiceRevisions", chunk[0], serviceRevisionArns=chunk)
        found: list[Mapping[str, Any]] = answer.get("serviceRevisions") or []
        return found

    return {str(r["serviceRevisionArn"]): r for found in aws.map(one, batches(wanted, BATCH)) for r in found}
