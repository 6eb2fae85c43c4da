"""The ScheduledTask kind's reads and writes: GetSchedule per schedule (Scheduler has no batch read), the schedule
group's tags for ownership, CreateScheduleGroup (tagged) when the tool's group is missing, CreateSchedule,
UpdateSchedule (the whole definition) and DeleteSchedule. The cluster and task definition, written by name, become
ARNs here (DescribeClusters, DescribeTaskDefinition, or the ARN this apply registered)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws
from reconciler.core.diff import FieldChange
from reconciler.core.errors import AwsError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.shapes import from_api_case, to_api_case
from reconciler.core.tags import owner_of
from reconciler.kinds.defaults import fill
from reconciler.kinds.live_base import ApplyContext, BaseLive, Found
from reconciler.kinds.scheduled_task import KIND, OPERATION, SERVICE, group_of
from reconciler.kinds.tagging import SCHEDULER, sync_tags

NOT_FOUND = "ResourceNotFoundException"


def _group_tags(aws: Aws, group: str) -> tuple[str, dict[str, str]] | None:
    """A schedule group's ARN and tags (None: no such group)."""
    try:
        arn = str(aws.call(SERVICE, "GetScheduleGroup", group, Name=group)["Arn"])
        tags = aws.call(SERVICE, "ListTagsForResource", group, ResourceArn=arn).get("Tags", [])
    except AwsError as exc:
        if exc.code == NOT_FOUND:
            return None
        raise
    return arn, SCHEDULER.read(tags)


def _group_managed(aws: Aws, groups: Sequence[str]) -> dict[str, str | None]:
    """Schedule group -> the instance its managed-by tag names (None: no such group, or not managed)."""

    def one(group: str) -> tuple[str, str | None]:
        found = _group_tags(aws, group)
        return group, owner_of(found[1]) if found is not None else None

    return dict(aws.map(one, sorted(set(groups))))


def _get(aws: Aws, address: Address, managed: Mapping[str, str | None]) -> Live | None:
    try:
        answer = aws.call(SERVICE, "GetSchedule", str(address), Name=address.name, GroupName=address.scope)
    except AwsError as exc:
        if exc.code == NOT_FOUND:
            return None
        raise
    body = from_api_case(SERVICE, "GetSchedule", {k: v for k, v in answer.items() if k != "ResponseMetadata"})
    owner = managed.get(str(address.scope))
    return Live(address, body, managed=owner is not None, owner=owner)


def _ecs_arns(aws: Aws, spec: Mapping[str, Any], ctx: ApplyContext) -> tuple[str, str]:
    """The cluster's ARN and the task definition revision's ARN the schedule's target names."""
    target = spec["target"]
    cluster = str(target["arn"])
    if not cluster.startswith("arn:"):
        found = aws.call("ecs", "DescribeClusters", cluster, clusters=[cluster]).get("clusters", [])
        cluster = str(found[0]["clusterArn"]) if found else cluster
    ref = ctx.task_definition(str(target["ecsParameters"]["taskDefinitionArn"]))
    if not ref.startswith("arn:"):
        ref = str(
            aws.call("ecs", "DescribeTaskDefinition", ref, taskDefinition=ref)["taskDefinition"]["taskDefinitionArn"]
        )
    return cluster, ref


def _definition(aws: Aws, resource: Resource, ctx: ApplyContext) -> dict[str, Any]:
    """The whole CreateSchedule/UpdateSchedule input (UpdateSchedule replaces every field)."""
    spec = fill("schedule", {k: v for k, v in resource.spec.items() if k != "groupName"})
    cluster, task = _ecs_arns(aws, spec, ctx)
    target = dict(spec["target"])
    target["arn"] = cluster
    target["ecsParameters"] = {**target["ecsParameters"], "taskDefinitionArn": task}
    spec["target"] = target
    api = to_api_case(SERVICE, OPERATION, spec)
    return {**api, "Name": resource.address.name, "GroupName": resource.address.scope}


def _ensure_group(aws: Aws, group: str, ctx: ApplyContext) -> None:
    """The tool's schedules live in a group it tags (Scheduler cannot tag a schedule)."""
    try:
        aws.call(SERVICE, "GetScheduleGroup", group, Name=group)
    except AwsError as exc:
        if exc.code != NOT_FOUND:
            raise
        tags = SCHEDULER.write(ctx.stamp.tags())
        aws.call(SERVICE, "CreateScheduleGroup", group, Name=group, Tags=tags)


class ScheduledTaskLive(BaseLive):
    kind = KIND

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        managed = _group_managed(aws, [str(a.scope) for a in addresses])
        lives = aws.map(lambda a: _get(aws, a, managed), list(addresses))
        return {live.address: live for live in lives if live is not None}

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        groups = [str(g["Name"]) for g in aws.pages(SERVICE, "ListScheduleGroups", "ScheduleGroups")]
        owners = {g: owner for g, owner in _group_managed(aws, groups).items() if owner is not None}
        addresses = [
            Address(KIND.name, str(s["Name"]), group)
            for group in owners
            for s in aws.pages(SERVICE, "ListSchedules", "Schedules", group, GroupName=group)
        ]
        lives = aws.map(lambda a: _get(aws, a, owners), addresses)
        return {live.address: live for live in lives if live is not None}

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        definition = _definition(aws, desired, ctx)
        _ensure_group(aws, group_of(desired.spec), ctx)
        aws.call(SERVICE, "CreateSchedule", str(desired.address), **definition)
        return None

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        """UpdateSchedule with the whole definition; the group's tags when the owner tag changes (adopt)."""
        if any(c.path.startswith("tags") for c in changes):  # first: a stop between leaves a diff, not a stale tag
            self.retag(aws, desired, live, ctx)
        aws.call(SERVICE, "UpdateSchedule", str(desired.address), **_definition(aws, desired, ctx))
        return None

    def retag(self, aws: Aws, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        """Scheduler cannot tag a schedule: ownership is its group's tags."""
        found = _group_tags(aws, str(desired.address.scope))
        if found is not None:
            arn, tags = found
            sync_tags(aws, SCHEDULER, arn, wanted=None, live=tags, stamp=ctx.stamp, declared=False)
        return None

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        address = live.address
        aws.call(SERVICE, "DeleteSchedule", str(address), Name=address.name, GroupName=address.scope)


LIVE = ScheduledTaskLive()
