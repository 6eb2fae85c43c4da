"""The TaskDefinition kind's reads and writes: the latest ACTIVE revision per family, registration, retagging,
housekeeping of old revisions; and the plan-time check that the IAM roles a task names exist and trust ECS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.aws import Aws
from reconciler.core.errors import AwsError, ManifestError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of, revision_of
from reconciler.core.plan import Action
from reconciler.core.tags import is_managed, managed_tags, owner_of
from reconciler.kinds.live_base import ApplyContext, Found
from reconciler.kinds.tagging import sync_tags
from reconciler.kinds.task_definition import KEEP_REVISIONS_ANNOTATION, KIND, only_tags_changed

ECS_TASKS = "ecs-tasks.amazonaws.com"
ROLE_FIELDS = ("taskRoleArn", "executionRoleArn")


def describe(aws: Aws, families: Sequence[str]) -> dict[Address, Live]:
    """The latest ACTIVE revision of each family (one DescribeTaskDefinition each, concurrently)."""

    def one(family: str) -> Live | None:
        try:
            answer = aws.call("ecs", "DescribeTaskDefinition", family, taskDefinition=family, include=["TAGS"])
        except AwsError as exc:
            if exc.code in ("ClientException", "ResourceNotFoundException"):
                return None
            raise
        body = {**answer["taskDefinition"], "tags": answer.get("tags", [])}
        return Live(Address(KIND.name, family), body, managed=is_managed(body["tags"]), owner=owner_of(body["tags"]))

    return {live.address: live for live in aws.map(one, sorted(set(families))) if live is not None}


def active_revisions(aws: Aws, family: str) -> list[str]:
    """ARNs of the family's ACTIVE revisions, newest first."""
    arns = aws.pages(
        "ecs", "ListTaskDefinitions", "taskDefinitionArns", family, familyPrefix=family, status="ACTIVE", sort="DESC"
    )
    exact = [a for a in arns if revision_of(a).rsplit(":", 1)[0] == family]
    return sorted(exact, key=lambda a: int(a.rsplit(":", 1)[-1]), reverse=True)


def deregister_old(aws: Aws, family: str, *, keep: int, in_use: set[str]) -> list[str]:
    """Deregister ACTIVE revisions beyond the newest ``keep``, never one in ``in_use`` (``family:rev``)."""
    old = [a for a in active_revisions(aws, family)[keep:] if revision_of(a) not in in_use]
    for arn in old:
        aws.call("ecs", "DeregisterTaskDefinition", revision_of(arn), taskDefinition=arn)
    return old


def _keep(resource: Resource, default: int) -> int:
    try:
        return max(1, int(resource.annotations.get(KEEP_REVISIONS_ANNOTATION, default)))
    except ValueError:
        return default


def _trusts_ecs_tasks(role: Mapping[str, Any]) -> bool:
    document = role.get("AssumeRolePolicyDocument") or {}
    for statement in document.get("Statement") or []:
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        principal = (statement.get("Principal") or {}) if isinstance(statement.get("Principal"), Mapping) else {}
        services = principal.get("Service") or []
        services = [services] if isinstance(services, str) else services
        assumes = {"sts:AssumeRole", "sts:*", "*"} & set(actions)
        if statement.get("Effect") == "Allow" and ECS_TASKS in services and assumes:
            return True
    return False


def role_refs(resource: Resource) -> list[tuple[str, str]]:
    """(field path, role name) for the roles a task definition names."""
    return [(f"spec.{f}", name_of(str(resource.spec[f]))) for f in ROLE_FIELDS if resource.spec.get(f)]


def read_roles(aws: Aws, names: Sequence[str]) -> dict[str, Mapping[str, Any] | None]:
    """IAM GetRole for each name, concurrently; None for a role that does not exist."""

    def get(name: str) -> Mapping[str, Any] | None:
        try:
            role: Mapping[str, Any] = aws.call("iam", "GetRole", name, RoleName=name)["Role"]
        except AwsError as exc:
            if exc.code == "NoSuchEntity":
                return None
            raise
        return role

    return dict(zip(names, aws.map(get, names), strict=True))


class TaskDefinitionLive:
    kind = KIND

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        return describe(aws, [a.name for a in addresses])

    def list_managed(self, aws: Aws, found: Mapping[Address, Live]) -> dict[Address, Live]:
        families = aws.pages("ecs", "ListTaskDefinitionFamilies", "families", status="ACTIVE")
        return {a: v for a, v in describe(aws, families).items() if v.managed}

    def check_live(
        self, aws: Aws, resources: Sequence[Resource], declared: Mapping[Address, Resource]
    ) -> list[ManifestError]:
        """Each role a task definition names exists and trusts ecs-tasks.amazonaws.com."""
        roles = read_roles(aws, sorted({name for r in resources for _, name in role_refs(r)}))
        errors = []
        for r in resources:
            for path, name in role_refs(r):
                role = roles.get(name)
                if role is None:
                    message = f"IAM role {name!r} does not exist"
                elif not _trusts_ecs_tasks(role):
                    message = (
                        f"IAM role {name!r} does not trust {ECS_TASKS} (its trust policy must allow sts:AssumeRole)"
                    )
                else:
                    continue
                errors.append(r.error(path, message))
        return errors

    def apply(self, aws: Aws, action: Action, ctx: ApplyContext) -> str | None:
        family = action.address.name
        if action.action == "delete":
            deregister_old(aws, family, keep=0, in_use=ctx.in_use)
            return None
        resource, live = action.resource, action.live
        assert resource is not None
        if live is not None and only_tags_changed(action.changes):
            arn = str(live.body["taskDefinitionArn"])
            sync_tags(aws, arn, resource.spec, live.body.get("tags"), stamp=ctx.stamp)
            return arn
        spec = {**resource.spec, "tags": managed_tags(resource.spec.get("tags"), stamp=ctx.stamp)}
        answer = aws.call("ecs", "RegisterTaskDefinition", family, family=family, **spec)
        arn = str(answer["taskDefinition"]["taskDefinitionArn"])
        keep = _keep(resource, ctx.settings.keep_revisions)
        deregister_old(aws, family, keep=keep, in_use=ctx.in_use | {revision_of(arn)})
        return arn


LIVE = TaskDefinitionLive()
