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
