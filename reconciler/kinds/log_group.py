"""The LogGroup kind: a CloudWatch Logs group (CreateLogGroup input plus ``retentionInDays``), reconciled in place."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange, compare, project, user_tags
from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.tags import is_managed, managed_tag_map

KIND = "LogGroup"
NAME_FIELD = "logGroupName"
OPERATION = "CreateLogGroup"
_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")


def check_name(name: object) -> str | None:
    """Why ``name`` is not a valid log group name (CloudWatch Logs API reference), or None when it is."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty string"
    if not _NAME.match(name):
        return f"{name!r} is not a valid log group name: up to 512 letters, digits and . - _ / #"
    return None


def check_shape(spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
    """CreateLogGroup input, with ``retentionInDays`` checked against PutRetentionPolicy."""
    create = {k: v for k, v in spec.items() if k != "retentionInDays"}
    coerced, problems = check_spec("logs", OPERATION, create, provided=[NAME_FIELD])
    if "retentionInDays" in spec:
        retention, more = check_spec(
            "logs", "PutRetentionPolicy", {"retentionInDays": spec["retentionInDays"]}, provided=["logGroupName"]
        )
        coerced.update(retention)
        problems += more
    return coerced, problems


def address(name: str, spec: Mapping[str, Any]) -> Address:
    return Address(KIND, name)


def check(resource: Resource) -> list[ManifestError]:
    return []


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or a DescribeLogGroups entry (with its tags). No retention means never expire."""
    return {
        "retentionInDays": doc.get("retentionInDays"),
        "kmsKeyId": doc.get("kmsKeyId"),
        "tags": user_tags(doc.get("tags")),
    }


def diff(resource: Resource, live: Live) -> list[FieldChange]:
    """Retention and key are always compared (a manifest without them means never expire, no key: the group is
    the manifest's whole); tags only when the manifest lists them, as for every kind."""
    desired = {k: v for k, v in normalize(resource.spec).items() if k != "tags" or "tags" in resource.spec}
    return compare(project(normalize(live.body), desired), desired)


def _arn(body: Mapping[str, Any]) -> str:
    return str(body.get("logGroupArn") or str(body["arn"]).removesuffix(":*"))


def _live(aws: Aws, body: Mapping[str, Any]) -> Live:
    tags = aws.call("logs", "ListTagsForResource", body["logGroupName"], resourceArn=_arn(body)).get("tags", {})
    body = {**body, "tags": tags}
    return Live(Address(KIND, str(body["logGroupName"])), body, managed=is_managed(tags))


def observe(aws: Aws, names: list[str]) -> dict[Address, Live]:
    """DescribeLogGroups by exact name, 50 names per call (``logGroupIdentifiers``: in an account that is not a
    cross-account monitoring account it takes names, and answers only the groups that exist), chunks read
    concurrently; tags read alongside, one call per group."""
    wanted = set(names)

    def describe(chunk: list[str]) -> list[dict[str, Any]]:
        return aws.pages("logs", "DescribeLogGroups", "logGroups", ",".join(chunk), logGroupIdentifiers=chunk)

    groups = [
        g for page in aws.map(describe, batches(sorted(wanted), 50)) for g in page if g.get("logGroupName") in wanted
    ]
    return {live.address: live for live in aws.map(lambda body: _live(aws, body), groups)}


def list_managed(aws: Aws) -> dict[Address, Live]:
    """Every log group that carries the managed-by tag (for prune)."""
    groups = aws.pages("logs", "DescribeLogGroups", "logGroups")
    lives = aws.map(lambda body: _live(aws, body), groups)
    return {live.address: live for live in lives if live.managed}


def create(aws: Aws, resource: Resource, *, revision: str | None) -> None:
    name, spec = resource.address.name, resource.spec
    args = {k: v for k, v in spec.items() if k != "retentionInDays"}
    aws.call(
        "logs",
        "CreateLogGroup",
        name,
        logGroupName=name,
        **{**args, "tags": managed_tag_map(spec.get("tags"), revision=revision)},
    )
    if spec.get("retentionInDays") is not None:
        aws.call("logs", "PutRetentionPolicy", name, logGroupName=name, retentionInDays=spec["retentionInDays"])


def update(aws: Aws, resource: Resource, live: Live, changes: list[FieldChange], *, revision: str | None) -> None:
    name, spec = resource.address.name, resource.spec
    changed = {c.path.split(".", 1)[0] for c in changes}
    if "retentionInDays" in changed:
        if spec.get("retentionInDays") is None:
            aws.call("logs", "DeleteRetentionPolicy", name, logGroupName=name)
        else:
            aws.call("logs", "PutRetentionPolicy", name, logGroupName=name, retentionInDays=spec["retentionInDays"])
    if "kmsKeyId" in changed:
        if spec.get("kmsKeyId"):
            aws.call("logs", "AssociateKmsKey", name, logGroupName=name, kmsKeyId=spec["kmsKeyId"])
        else:
            aws.call("logs", "DisassociateKmsKey", name, logGroupName=name)
    arn, live_tags = _arn(live.body), dict(live.body.get("tags") or {})
    wanted = managed_tag_map(spec.get("tags"), revision=revision)
    to_add = {k: v for k, v in wanted.items() if live_tags.get(k) != v}
    to_remove = sorted(set(user_tags(live_tags)) - set(wanted)) if "tags" in spec else []
    if to_add:
        aws.call("logs", "TagResource", name, resourceArn=arn, tags=to_add)
    if to_remove:
        aws.call("logs", "UntagResource", name, resourceArn=arn, tagKeys=to_remove)


def delete(aws: Aws, live: Live) -> None:
    aws.call("logs", "DeleteLogGroup", live.address.name, logGroupName=live.address.name)
