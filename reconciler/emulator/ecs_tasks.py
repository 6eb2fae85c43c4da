"""The emulator's ECS task definitions and one-off tasks as the ECS API reference documents them where moto differs
(filled port mappings, paged and sorted listing, tasks that exit, RunTask idempotent by clientToken)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException
from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.hooks import page, patch


def patch_ecs_tasks() -> None:
    """Install these patches."""
    patch(EC2ContainerServiceBackend, "register_task_definition", _register_task_definition)
    patch(EC2ContainerServiceResponse, "list_task_definitions", _list_task_definitions)
    patch(EC2ContainerServiceBackend, "run_task", _run_task)
    patch(EC2ContainerServiceResponse, "run_task", _run_task_once)
    patch(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", _task_resources)


TASK_EXIT_ENV = "ECS_RECONCILER_EMULATOR_TASK_EXIT"
"""The exit code of a one-off task (RunTask), read when the task is started so a test can set it with
monkeypatch.setenv: the task ran and its essential container exited with this code (default 0, a command that
succeeded). moto's tasks would otherwise run for ever with no exit code."""


def _run_task(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    # ECS developer guide, task lifecycle: a task whose essential container exits is STOPPED, with the container's
    # exit code and stopCode EssentialContainerExited.
    tasks = original(self, *args, **kwargs)
    code = int(os.environ.get(TASK_EXIT_ENV, "0"))
    for task in tasks:
        task.status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stop_code = "EssentialContainerExited"
        task.stopped_reason = "Essential container in task exited"
        for container in task.containers:
            container.last_status = "STOPPED"
            container.exitCode = code
    return tasks


def _run_task_once(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, RunTask clientToken: "An identifier that you provide to ensure the idempotency of the
    # request": a request repeated with the same token answers the tasks the first one started and starts none
    # (moto started new tasks each time).
    token = self._get_param("clientToken")
    backend: Any = self.ecs_backend
    started: dict[str, Any] = backend.__dict__.setdefault("run_task_tokens", {})
    if token and token in started:
        return ActionResult({"tasks": started[token], "failures": []})
    result = original(self)
    if token:
        started[token] = cast("dict[str, Any]", result.result)["tasks"]
    return cast("ActionResult", result)


def _task_resources(original: Callable[..., Any], self: EC2ContainerServiceBackend, task_definition: Any) -> Any:
    # ECS API reference, ContainerDefinition.memory: optional when the task sets memory (Fargate always does); moto
    # added None to an int for such a container.
    sized = copy.copy(task_definition)
    sized.container_definitions = [
        {"memory": 0, **c} if c.get("memory") is None and c.get("memoryReservation") is None else c
        for c in task_definition.container_definitions
    ]
    return original(sized)  # a staticmethod in moto


_TASK_DEFINITIONS_PAGE = 100


def _list_task_definitions(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, ListTaskDefinitions: up to maxResults (1 to 100, default 100) ARNs a page with a nextToken;
    # sort ASC or DESC by family, then revision (moto answered every ARN at once, unsorted).
    size = self._get_param("maxResults") or _TASK_DEFINITIONS_PAGE
    if not 1 <= size <= _TASK_DEFINITIONS_PAGE:
        raise ECSException("ClientException", f"maxResults must be between 1 and {_TASK_DEFINITIONS_PAGE}")
    family, status = self._get_param("familyPrefix"), self._get_param("status", "ACTIVE")
    arns = [  # copies of the registry: another request may register a revision meanwhile
        revision.arn
        for revisions in list(self.ecs_backend.task_definitions.values())
        for revision in list(revisions.values())
        if family in (None, revision.family) and revision.status == status
    ]

    def key(arn: str) -> tuple[str, int]:
        family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
        return family, int(revision)

    arns = sorted(arns, key=key, reverse=self._get_param("sort") == "DESC")
    listed, token = page(arns, size, self._get_param("nextToken"))
    return ActionResult({"taskDefinitionArns": listed, **({"nextToken": token} if token else {})})


def _register_task_definition(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any
) -> TaskDefinition:
    task_definition = original(self, *args, **kwargs)
    # ECS API reference, PortMapping: protocol defaults to "tcp"; with the awsvpc or host network mode hostPort is
    # the containerPort (AWS fills it in). moto echoed the mappings as sent.
    for container in task_definition.container_definitions:
        mappings = []
        for mapping in container.get("portMappings") or []:
            mapping = {"protocol": "tcp", **mapping}
            if task_definition.network_mode in ("awsvpc", "host") and "containerPort" in mapping:
                mapping.setdefault("hostPort", mapping["containerPort"])
            mappings.append(mapping)
        container["portMappings"] = mappings  # a new list: moto shares its default [] between containers
    # AWS's TaskDefinition has a registeredAt; moto had none.
    task_definition.registered_at = utcnow()
    return cast("TaskDefinition", task_definition)
