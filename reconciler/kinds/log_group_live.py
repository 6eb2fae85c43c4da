"""The LogGroup kind's reads and writes: DescribeLogGroups by name (50 a call) with tags, create, retention, KMS key,
tags, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.diff import FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.tags import is_managed, managed_tag_map, owner_of
from reconciler.kinds.live_base import ApplyContext, BaseLive, Found
from reconciler.kinds.log_group import KIND
from reconciler.kinds.tagging import LOGS, sync_spec_tags


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

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        name, spec = desired.address.name, desired.spec
        args = {k: v for k, v in spec.items() if k != "retentionInDays"}
        tags = managed_tag_map(spec.get("tags"), stamp=ctx.stamp)
        aws.call("logs", "CreateLogGroup", name, logGroupName=name, **{**args, "tags": tags})
        if spec.get("retentionInDays") is not None:
            aws.call("logs", "PutRetentionPolicy", name, logGroupName=name, retentionInDays=spec["retentionInDays"])
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        self.retag(aws, desired, live, ctx)  # first: a stop between the two leaves a diff, never a stale tag
        name, spec = desired.address.name, desired.spec
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
        return None

    def retag(self, aws: Aws, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        sync_spec_tags(aws, LOGS, _arn(live.body), desired.spec, live.body.get("tags"), stamp=ctx.stamp)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        aws.call("logs", "DeleteLogGroup", live.address.name, logGroupName=live.address.name)


LIVE = LogGroupLive()
