"""Ownership tags: what marks a resource as ours and the tags the tool writes (pure; the writes are the kinds').

The managed-by tag's value is the instance name (core/instance.py): several instances share an account, and each
changes, adopts and prunes only what carries its own name. The values earlier versions wrote (``LEGACY_OWNER``, and
names derived from the manifests' path) are *former* owners: read as this instance's for what the manifests declare,
retagged on the next apply, never pruned.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.core.diff import tag_map, user_tags
from reconciler.core.settings import MANAGED_TAG_KEY, MANAGED_TAG_VALUE

REVISION_TAG_KEY = "ecs-reconciler/revision"
"""Tag naming the git revision whose pass last changed the resource (when the revision is known)."""
EPOCH_TAG_KEY = "ecs-reconciler/lease-epoch"
"""Tag holding the lease epoch (fencing token) of the leader whose pass last changed the resource (daemon with a
lease only)."""
HELD_TAG_KEY = "ecs-reconciler/held"
"""Tag the daemon writes on a service whose rollout failed: ``FINGERPRINT DEPLOYMENT`` (the held manifests'
fingerprint and the failed ServiceDeployment's id), so a restarted daemon keeps the revision held and alerts the
failure no second time (``reconciler.daemon.memory``)."""
LEGACY_OWNER = MANAGED_TAG_VALUE
"""The managed-by value every resource got before instances existed."""
INSTANCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$")
"""An instance name: a tag value every service accepts, at most 128 characters."""

Ownership = Literal["ours", "legacy", "other", "unmanaged"]


@dataclass(frozen=True)
class Stamp:
    """What the tool writes into its own tags on each change."""

    instance: str = LEGACY_OWNER
    revision: str | None = None
    epoch: int | None = None
    held: str | None = None
    """The hold marker (``HELD_TAG_KEY``), written only by the daemon's retag of a service whose rollout failed."""

    def tags(self) -> dict[str, str]:
        out = {MANAGED_TAG_KEY: self.instance}
        if self.revision:
            out[REVISION_TAG_KEY] = self.revision
        if self.epoch is not None:
            out[EPOCH_TAG_KEY] = str(self.epoch)
        if self.held:
            out[HELD_TAG_KEY] = self.held
        return out


def owner_of(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> str | None:
    """The managed-by tag's value, or None without one."""
    return tag_map(tags).get(MANAGED_TAG_KEY)


def is_managed(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> bool:
    """The resource carries the managed-by tag, whatever instance it names (tags as an ECS list or a plain map)."""
    return owner_of(tags) is not None


def ownership(
    owner: str | None, *, managed: bool, instance: str, former: Collection[str] = (LEGACY_OWNER,)
) -> Ownership:
    """Whose a live resource is, seen from ``instance`` (``former``: the managed-by values it takes over when
    declared). A managed resource whose owner was not read counts as ours (a caller that only knows it is
    managed)."""
    if not managed:
        return "unmanaged"
    if owner is None or owner == instance:
        return "ours"
    if owner in former:
        return "legacy"
    return "other"


def not_ours(owner: str | None, *, managed: bool, instance: str, former: Collection[str] = ()) -> str | None:
    """Why ``instance`` may not write to a live resource outside a plan (a rollback, an answer to a paused
    deployment): another instance manages it, or none does; None when it is this instance's, or one of the
    ``former`` managed-by values it takes over (as plan does)."""
    found = ownership(owner, managed=managed, instance=instance, former={*former, LEGACY_OWNER})
    if found == "other":
        return f"managed by another ecs-reconciler instance ({owner!r}, this one is {instance!r})"
    if found == "unmanaged":
        return "not managed by ecs-reconciler"
    return None


def own_tags(stamp: Stamp) -> dict[str, str]:
    """The tool's own tags: managed-by (the instance), the git revision and lease epoch when known."""
    return stamp.tags()


def managed_tag_map(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None, *, stamp: Stamp) -> dict[str, str]:
    """The user's tags plus the tool's own, as a plain map (the form Logs and Application Auto Scaling take)."""
    return {**user_tags(tags), **own_tags(stamp)}


def managed_tags(tags: Iterable[Mapping[str, Any]] | None, *, stamp: Stamp) -> list[dict[str, str]]:
    """The user's tags plus the tool's own, as an ECS tag list."""
    return [{"key": k, "value": v} for k, v in managed_tag_map(tags, stamp=stamp).items()]
