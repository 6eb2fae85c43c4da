"""The LogGroup kind's reads and writes: DescribeLogGroups by name (50 a call) with tags, create, retention, KMS key,
tags, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import user_tags
from reconciler.core.model import Address, Live
from reconciler.core.plan import Action
from reconciler.core.tags import is_managed, managed_tag_map, owner_of
from reconciler.kinds.live_base import ApplyContext, BaseLive, Found
from reconciler.kinds.log_group import KIND


def _arn(body: Mapping[str, Any]) -> str:
    return str(body.get("logGroupArn") or str(body["arn"]).removesuffix(":*"))


def _live(aws: Aws, body: Mapping[str, Any]) -> Live:
    tags = aws.call("logs", "ListTagsForResource", body["logGroupName"], resourceArn=_arn(body)).get("tags", {})
    body = {**body, "tags": tags}
    return Live(Address(KIND.name, str(body["logGroupName"])), body, managed=is_managed(tags), owner=owner_of(tags))


class LogGroupLive(BaseLive):
    kind = KIND

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        """DescribeLogGroups by exact name, 50 names per call (``logGroupIdentifiers``: in an account that is not a
        cross-account monitoring account it takes names, and answers only the groups that exist), chunks read
        concurrently; tags read alongside, one call per group."""
        wanted = {a.name for a in addresses}

        def describe(chunk: list[str]) -> list[dict[str, Any]]:
            return aws.pages("logs", "DescribeLogGroups", "logGroups", ",".join(chunk), logGroupIdentifiers=chunk)

        groups = [
            g
            for page in aws.map(describe, batches(sorted(wanted), 50))
            for g in page
            if g.get("logGroupName") in wanted
        ]
        return {live.address: live for live in aws.map(lambda body: _live(aws, body), groups)}

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        groups = aws.pages("logs", "DescribeLogGroups", "logGroups")
        lives = aws.map(lambda body: _live(aws, body), groups)
        return {live.address: live for live in lives if live.managed}

    def apply(self, aws: Aws, action: Action, ctx: ApplyContext) -> str | None:
        name = action.address.name
        if action.action == "delete":
            aws.call("logs", "DeleteLogGroup", name, logGroupName=name)
            return None
        assert action.resource is not None
        spec = action.resource.spec
        if action.live is None:
            args = {k: v for k, v in spec.items() if k != "retentionInDays"}
            tags = managed_tag_map(spec.get("tags"), stamp=ctx.stamp)
            aws.call("logs", "CreateLogGroup", name, logGroupName=name, **{**args, "tags": tags})
            if spec.get("retentionInDays") is not None:
                aws.call("logs", "PutRetentionPolicy", name, logGroupName=name, retentionInDays=spec["retentionInDays"])
            return None
        changed = {c.path.split(".", 1)[0] for c in action.changes}
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
        arn, live_tags = _arn(action.live.body), dict(action.live.body.get("tags") or {})
        wanted = managed_tag_map(spec.get("tags"), stamp=ctx.stamp)
        to_add = {k: v for k, v in wanted.items() if live_tags.get(k) != v}
        to_remove = sorted(set(user_tags(live_tags)) - set(wanted)) if "tags" in spec else []
        if to_add:
            aws.call("logs", "TagResource", name, resourceArn=arn, tags=to_add)
        if to_remove:
            aws.call("logs", "UntagResource", name, resourceArn=arn, tagKeys=to_remove)
        return None


LIVE = LogGroupLive()
