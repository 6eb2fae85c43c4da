"""Ownership tags: what marks a resource as ours and the tags the tool writes (pure; the writes are the kinds')."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.core.diff import tag_map, user_tags
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
