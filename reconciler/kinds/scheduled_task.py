"""The ScheduledTask kind: an EventBridge Scheduler schedule (CreateSchedule input, camelCase) whose target runs an
ECS task. ``target.arn`` names the cluster and ``target.ecsParameters.taskDefinitionArn`` the task definition family
(or family:revision), both by name: the schedule runs the revision the tool manages, so a new revision moves it.

Scheduler rather than EventBridge rules: one resource per schedule (a rule needs a rule plus targets), time zones and
flexible windows, and a target shape that is ECS's RunTask input. Scheduler's schedules carry no tags, so ownership
is the schedule group's: the tool's schedules live in a group it tags (``groupName``, default ``ecs-reconciler``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.core.diff import FieldChange, compare, project
from reconciler.core.errors import ManifestError
from reconciler.core.json_schema import input_schema
from reconciler.core.kind import BaseKind, Note, Pins, PlanContext, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import check_ecs_name, family_of, name_of, revision_of
from reconciler.core.schema import ShapeProblem, check_spec
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.defaults import fill, fill_awsvpc
from reconciler.kinds.scheduled_task_rules import schedule_rules
from reconciler.kinds.task_definition import KIND as TASK_DEFINITION
from reconciler.kinds.task_definition import revision_to_run

SERVICE = "scheduler"
OPERATION = "CreateSchedule"
DEFAULT_GROUP = "ecs-reconciler"
"""The schedule group the tool's schedules live in unless ``groupName`` says otherwise."""


def group_of(spec: Mapping[str, Any]) -> str:
    return str(spec.get("groupName") or DEFAULT_GROUP)


def _ecs(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return (doc.get("target") or {}).get("ecsParameters") or {}


def normalize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a spec or a GetSchedule answer (camelCase): cluster and task definition by name, defaults
    filled in, subnets and security groups as sets."""
    out = {k: v for k, v in doc.items() if k not in ("name", "groupName", "clientToken", "arn")}
    out = fill("schedule", out)
    target = fill("schedule.target", out.get("target"))
    if target.get("arn"):
        target["arn"] = name_of(str(target["arn"]))
    ecs = fill("schedule.ecsParameters", target.get("ecsParameters"))
    if ecs.get("taskDefinitionArn"):
        ecs["taskDefinitionArn"] = revision_of(str(ecs["taskDefinitionArn"]))
    vpc = (ecs.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if vpc is not None:
        ecs["networkConfiguration"] = {"awsvpcConfiguration": fill_awsvpc(vpc, "schedule.awsvpcConfiguration")}
    target["ecsParameters"] = ecs
    out["target"] = target
    return out


class ScheduledTaskKind(BaseKind, Refers, Pins):
    name = "ScheduledTask"
    name_field = "name"

    def check_name(self, name: object) -> str | None:
        """Scheduler: 1 to 64 letters, digits, ``.``, ``-`` and ``_``."""
        if not isinstance(name, str) or not (0 < len(name) <= 64) or not all(c.isalnum() or c in ".-_" for c in name):
            return f"{name!r} is not a valid schedule name: 1 to 64 letters, digits, '.', '-' and '_'"
        return None

    def check_shape(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[ShapeProblem]]:
        return check_spec(SERVICE, OPERATION, spec, provided=["Name", "FlexibleTimeWindow"], user_case=True)

    def spec_schema(self) -> dict[str, Any]:
        return input_schema(SERVICE, OPERATION, provided=["Name", "FlexibleTimeWindow"], user_case=True)

    def address(self, name: str, spec: Mapping[str, Any]) -> Address:
        return Address(self.name, name, group_of(spec))

    def check(self, resource: Resource, declared: Mapping[Address, Resource]) -> list[ManifestError]:
        spec, errors = resource.spec, []
        family = family_of(str(_ecs(spec).get("taskDefinitionArn", "")))
        declared_td = declared.get(Address(TASK_DEFINITION.name, family)) if family else None
        errors += resource.spec_errors(schedule_rules(spec, declared_td.spec if declared_td is not None else None))
        target = spec.get("target") or {}
        if problem := check_ecs_name(name_of(str(target.get("arn", "")))):
            errors.append(resource.error("spec.target.arn", f"the cluster to run in: {problem}"))
        ref = _ecs(spec).get("taskDefinitionArn")
        if not ref:
            message = "missing: the task definition family (or family:revision) to run"
            errors.append(resource.error("spec.target.ecsParameters.taskDefinitionArn", message))
        return errors

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        cluster = name_of(str((resource.spec.get("target") or {}).get("arn", "")))
        family = family_of(str(_ecs(resource.spec).get("taskDefinitionArn", "")))
        return [
            Reference(
                Address(CLUSTER.name, cluster),
                "spec.target.arn",
                missing=f"cluster {cluster!r} is neither declared in the manifests nor live",
            ),
            Reference(
                Address(TASK_DEFINITION.name, family),
                "spec.target.ecsParameters.taskDefinitionArn",
                missing=f"task definition family {family!r} is neither declared in the manifests nor live",
            ),
        ]

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        family = family_of(str(_ecs(live.body).get("taskDefinitionArn", "")))
        return [Address(TASK_DEFINITION.name, family)] if family else []

    def in_use(self, live: Live) -> set[str]:
        """The revision the schedule runs is never deregistered while it does."""
        ref = _ecs(live.body).get("taskDefinitionArn")
        return {revision_of(str(ref))} if ref else set()

    def prepare(self, resource: Resource, live: Live | None, ctx: PlanContext) -> tuple[Resource, list[Note]]:
        ref = _ecs(resource.spec).get("taskDefinitionArn")
        if not ref:
            return resource, []
        target = dict(resource.spec["target"])
        target["ecsParameters"] = {**target["ecsParameters"], "taskDefinitionArn": revision_to_run(str(ref), ctx)}
        return replace(resource, spec={**resource.spec, "target": target}), []

    def diff(self, resource: Resource, live: Live, ctx: PlanContext) -> list[FieldChange]:
        desired = normalize(resource.spec)
        return compare(project(normalize(live.body), desired), desired)


KIND = ScheduledTaskKind()
