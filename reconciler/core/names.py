"""ECS naming rules the API model does not encode."""

from __future__ import annotations

import re

_ECS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def check_ecs_name(name: object) -> str | None:
    """Why ``name`` is not a valid cluster, service, family or container name, or None when it is."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty string"
    if not _ECS_NAME.match(name):
        return f"{name!r} is not a valid ECS name: up to 255 letters, digits, hyphens and underscores"
    return None


def name_of(arn_or_name: str) -> str:
    """The name an ARN ends with (``arn:aws:ecs:r:1:service/cluster/web`` -> ``web``, ``...:role/path/r`` -> ``r``),
    or the name itself. The one place ARNs become names."""
    return str(arn_or_name).rsplit("/", 1)[-1]


def revision_of(ref: str) -> str:
    """``family:revision`` (or ``family``) from a task definition ARN, ``family:revision`` or family."""
    return name_of(ref)


def family_of(ref: str) -> str:
    """The family a ``taskDefinition`` value names (family, family:revision or ARN)."""
    return name_of(ref).split(":", 1)[0]
