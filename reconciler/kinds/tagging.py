"""Bringing a resource's tags in line with its manifest (TagResource / UntagResource), one function for every tag
shape the kinds meet: ECS's ``[{key, value}]`` list, Scheduler's ``[{Key, Value}]`` list, and the ``{key: value}``
maps of CloudWatch Logs and Application Auto Scaling."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.aws import Aws
from reconciler.core.diff import key_values, tag_map, user_tags
from reconciler.core.tags import Stamp, managed_tag_map, managed_tags


@dataclass(frozen=True)
class TagShape:
    """How one AWS service's TagResource and UntagResource take their arguments."""

    service: str
    arn: str
    """The member naming the resource (``resourceArn``, ``ResourceARN``)."""
    tags: str
    """The member holding the tags."""
    keys: str
    """UntagResource's member holding the keys to remove."""
    pair: tuple[str, str] | None = None
    """The tags are a list of (key, value) pairs with these member names; None: a plain map."""

    def read(self, tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> dict[str, str]:
        """Tags of this shape as a plain map."""
        if self.pair is None or isinstance(tags, Mapping):
            return tag_map(tags)
        return {k: str(v) for k, v in key_values(tags, *self.pair).items()}

    def write(self, tags: Mapping[str, str]) -> Any:
        """A plain map as this shape's tags."""
        if self.pair is None:
            return dict(tags)
        key, value = self.pair
        return [{key: k, value: v} for k, v in tags.items()]


ECS = TagShape("ecs", "resourceArn", "tags", "tagKeys", ("key", "value"))
LOGS = TagShape("logs", "resourceArn", "tags", "tagKeys")
SCALING = TagShape("application-autoscaling", "ResourceARN", "Tags", "TagKeys")
SCHEDULER = TagShape("scheduler", "ResourceArn", "Tags", "TagKeys", ("Key", "Value"))


def sync_tags(
    aws: Aws,
    shape: TagShape,
    arn: str,
    *,
    wanted: Iterable[Mapping[str, Any]] | Mapping[str, str] | None,
    live: Iterable[Mapping[str, Any]] | Mapping[str, str] | None,
    stamp: Stamp,
    declared: bool,
) -> None:
    """Tag and untag ``arn`` so it carries ``wanted`` (the manifest's tags, in ``shape``) and the tool's own.

    Tags the live resource has but ``wanted`` does not list are removed only when the manifest ``declared`` tags:
    the diff compares tags only then, so an untouched field never causes a write.
    """
    current = shape.read(live)
    target = managed_tag_map(shape.read(wanted), stamp=stamp)
    to_add = {k: v for k, v in target.items() if current.get(k) != v}
    to_remove = sorted(set(user_tags(current)) - set(target)) if declared else []
    if to_add:
        aws.call(shape.service, "TagResource", arn, **{shape.arn: arn, shape.tags: shape.write(to_add)})
    if to_remove:
        aws.call(shape.service, "UntagResource", arn, **{shape.arn: arn, shape.keys: to_remove})


def sync_spec_tags(aws: Aws, shape: TagShape, arn: str, spec: Mapping[str, Any], live: Any, *, stamp: Stamp) -> None:
    """``sync_tags`` for a resource whose manifest spec holds its tags under ``tags``."""
    sync_tags(aws, shape, arn, wanted=spec.get("tags"), live=live, stamp=stamp, declared="tags" in spec)


def with_managed_tags(spec: Mapping[str, Any], *, stamp: Stamp) -> dict[str, Any]:
    """A create request from an ECS spec: its tags are the manifest's and the tool's own (``managed_tags``)."""
    return {**spec, "tags": managed_tags(spec.get("tags"), stamp=stamp)}
