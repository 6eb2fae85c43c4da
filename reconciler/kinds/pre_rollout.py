"""Pre-rollout task hooks, the pure half: a Service annotation naming a one-off task (a database migration) that
must run and exit 0 before the service moves to a new task definition revision.

    metadata:
      annotations:
        ecs-reconciler/pre-rollout: '{"family": "migrate", "command": ["./migrate"], "container": "app"}'

``family`` is the task definition to run (the service's own family runs the revision the service moves to);
``command`` overrides the container's command (optional); ``container`` is the container it overrides (default: the
first of the task definition). The task runs with the service's network configuration and capacity."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.core.actions import RunTask
from reconciler.core.errors import ManifestError
from reconciler.core.model import Address, Resource
from reconciler.core.names import check_ecs_name, family_of
from reconciler.kinds.task_definition import KIND as TASK_DEFINITION

ANNOTATION = "ecs-reconciler/pre-rollout"
TAG_KEY = "ecs-reconciler/pre-rollout"
"""Tag on a hook task: the service revision it ran for."""
RUN_FIELDS = ("launchType", "capacityProviderStrategy", "networkConfiguration", "platformVersion")
"""What the hook task takes from its service: where and how the service's tasks run."""
_STARTED_BY = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Hook:
    family: str
    command: tuple[str, ...] | None = None
    container: str | None = None


def parse_hook(annotations: Mapping[str, str]) -> tuple[Hook | None, str | None]:
    """The hook an annotation set declares (None: none), or why the annotation is not one."""
    text = annotations.get(ANNOTATION)
    if text is None:
        return None, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f'not JSON ({exc.msg}): write {{"family": "migrate", "command": ["./migrate"]}}'
    if not isinstance(value, dict):
        return None, "must be a JSON object with family, and optionally command and container"
    unknown = sorted(set(value) - {"family", "command", "container"})
    if unknown:
        return None, f"unknown field(s) {', '.join(unknown)}: a hook has family, command and container"
    if problem := check_ecs_name(value.get("family")):
        return None, f"family: {problem}"
    command = value.get("command")
    if command is not None and (not isinstance(command, list) or not all(isinstance(c, str) for c in command)):
        return None, "command must be a list of strings (the container's command override)"
    container = value.get("container")
    if container is not None and (problem := check_ecs_name(container)):
        return None, f"container: {problem}"
    return Hook(str(value["family"]), tuple(command) if command is not None else None, container), None


def check_hook(resource: Resource) -> list[ManifestError]:
    _, problem = parse_hook(resource.annotations)
    return [resource.error(f"metadata.annotations.{ANNOTATION}", problem)] if problem else []


def started_by(service: str, revision: str) -> str:
    """RunTask's ``startedBy`` for the hook of ``service`` moving to ``revision`` (family:N): the key that makes the
    hook run once per revision (128 letters, digits, hyphens and underscores)."""
    return _STARTED_BY.sub("-", f"pre-rollout-{service}-{revision}")[-128:]


def hook_task(hook: Hook, service: Resource) -> RunTask:
    """The action that runs ``hook`` before ``service`` (as planned) moves to its task definition."""
    revision = str(service.spec["taskDefinition"])
    families = sorted({hook.family, family_of(revision)})
    return RunTask(
        service.address,
        hook.family,
        revision,
        {k: service.spec[k] for k in RUN_FIELDS if k in service.spec},
        hook.command,
        hook.container,
        tuple(Address(TASK_DEFINITION.name, f) for f in families),
    )
