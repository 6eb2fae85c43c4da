"""Ownership tags: what marks a resource as ours, and bringing a resource's tags in line with its manifest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.core.diff import key_values, tag_map, user_tags
from reconciler.core.settings import MANAGED_TAG_KEY, MANAGED_TAG_VALUE

REVISION_TAG_KEY = "ecs-reconciler/revision"
"""Tag naming the git revision whose pass last changed the resource (when the revision is known)."""


def is_managed(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> bool:
    """The resource carries the managed-by tag (tags as an ECS list or a plain map)."""
    return tag_map(tags).get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def own_tags(*, revision: str | None) -> dict[str, str]:
    """The tool's own tags: managed-by, and the git revision when known."""
    return {MANAGED_TAG_KEY: MANAGED_TAG_VALUE, **({REVISION_TAG_KEY: revision} if revision else {})}


def managed_tag_map(
    tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None, *, revision: str | None
) -> dict[str, str]:
    """The user's tags plus the tool's own, as a plain map (the form Logs and Application Auto Scaling take)."""
    return {**user_tags(tags), **own_tags(revision=revision)}


def managed_tags(tags: Iterable[Mapping[str, Any]] | None, *, revision: str | None) -> list[dict[str, str]]:
    """The user's tags plus the tool's own, as an ECS tag list."""
    return [{"key": k, "value": v} for k, v in managed_tag_map(tags, revision=revision).items()]


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
