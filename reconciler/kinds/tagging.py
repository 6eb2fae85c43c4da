"""Bringing an ECS resource's tags in line with its manifest (TagResource / UntagResource)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.aws import Aws
from reconciler.core.diff import key_values, user_tags
from reconciler.core.tags import Stamp, managed_tags


def sync_tags(
    aws: Aws, arn: str, spec: Mapping[str, Any], live_tags: Iterable[Mapping[str, Any]] | None, *, stamp: Stamp
) -> None:
    """Tag and untag ``arn`` so it carries the spec's tags and the tool's own.

    Tags the live resource has but the spec does not list are removed only when the spec has a ``tags`` field:
    the diff compares tags only then, so an untouched field never causes a write.
    """
    live = key_values(live_tags, "key", "value")
    wanted = key_values(managed_tags(spec.get("tags"), stamp=stamp), "key", "value")
    to_add = [{"key": k, "value": v} for k, v in wanted.items() if live.get(k) != v]
    to_remove = sorted(set(user_tags(live_tags)) - set(wanted)) if "tags" in spec else []
    if to_add:
        aws.call("ecs", "TagResource", arn, resourceArn=arn, tags=to_add)
    if to_remove:
        aws.call("ecs", "UntagResource", arn, resourceArn=arn, tagKeys=to_remove)
