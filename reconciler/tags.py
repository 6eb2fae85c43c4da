"""Ownership tags: what marks a resource as ours, and bringing a resource's tags in line with its manifest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.diff import key_values, user_tags
from reconciler.settings import MANAGED_TAG_KEY, MANAGED_TAG_VALUE

REVISION_TAG_KEY = "ecs-reconciler/revision"
"""Tag naming the git revision whose pass last changed the resource (when the revision is known)."""


def is_managed(tags: Iterable[Mapping[str, Any]] | None) -> bool:
    """The resource carries the managed-by tag."""
    return key_values(tags, "key", "value").get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def managed_tags(tags: Iterable[Mapping[str, Any]] | None, *, revision: str | None) -> list[dict[str, str]]:
    """The user's tags plus the tool's own (managed-by, and the revision when known), as an API tag list."""
    merged = dict(user_tags(tags))
    merged[MANAGED_TAG_KEY] = MANAGED_TAG_VALUE
    if revision:
        merged[REVISION_TAG_KEY] = revision
    return [{"key": k, "value": v} for k, v in merged.items()]


def sync_tags(
    aws: Any, arn: str, spec: Mapping[str, Any], live_tags: Iterable[Mapping[str, Any]] | None, *, revision: str | None
) -> None:
    """Tag and untag ``arn`` so it carries the spec's tags and the tool's own.

    Tags the live resource has but the spec does not list are removed only when the spec has a ``tags`` field:
    the diff compares tags only then, so an untouched field never causes a write.
    """
    live = key_values(live_tags, "key", "value")
    wanted = key_values(managed_tags(spec.get("tags"), revision=revision), "key", "value")
    to_add = [{"key": k, "value": v} for k, v in wanted.items() if live.get(k) != v]
    to_remove = sorted(set(user_tags(live_tags)) - set(wanted)) if "tags" in spec else []
    if to_add:
        aws.call("ecs", "TagResource", arn, resourceArn=arn, tags=to_add)
    if to_remove:
        aws.call("ecs", "UntagResource", arn, resourceArn=arn, tagKeys=to_remove)
