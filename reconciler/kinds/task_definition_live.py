"""The TaskDefinition kind's reads and writes: the latest ACTIVE revision per family, registration, retagging,
housekeeping of old revisions; and the plan-time check that the IAM roles a task names exist and trust ECS."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from reconciler.aws import Aws
from reconciler.core.diff import FieldChange
from reconciler.core.errors import AwsError, ManifestError
from reconciler.core.kind import PlanContext
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import name_of, revision_of
from reconciler.core.tags import is_managed, managed_tags, owner_of
from reconciler.kinds.live_base import ApplyContext, BaseLive, Found
from reconciler.kinds.tagging import ECS, sync_spec_tags
from reconciler.kinds.task_definition import KEEP_REVISIONS_ANNOTATION, KIND

log = structlog.get_logger("reconciler.task_definition")

ECS_TASKS = "ecs-tasks.amazonaws.com"
ROLE_FIELDS = ("taskRoleArn", "executionRoleArn")


LISTING_PAGE = 100
"""ListTaskDefinitions answers at most 100 ARNs a page."""


def describe(aws: Aws, families: Sequence[str]) -> dict[Address, Live]:
    """The latest ACTIVE revision of each family (one DescribeTaskDefinition each, concurrently); also takes
    ``family:revision`` or an ARN, read as that exact revision."""

    def one(ref: str) -> Live | None:
        try:
            answer = aws.call("ecs", "DescribeTaskDefinition", revision_of(ref), taskDefinition=ref, include=["TAGS"])
        except AwsError as exc:
            if exc.code in ("ClientException", "ResourceNotFoundException"):
                return None
            raise
        body = {**answer["taskDefinition"], "tags": answer.get("tags", [])}
        return Live(
            Address(KIND.name, str(body["family"])),
            body,
            managed=is_managed(body["tags"]),
            owner=owner_of(body["tags"]),
        )

    return {live.address: live for live in aws.map(one, sorted(set(families))) if live is not None}


def registered(aws: Aws, desired: Resource) -> dict[str, Any] | None:
    """After a RegisterTaskDefinition whose answer was lost: the family's latest ACTIVE revision when it holds what
    ``desired`` declares (the content the plan compares; tags aside), as RegisterTaskDefinition answers it; else
    None (nothing was registered, or someone registered something else: register)."""
    latest = describe(aws, [desired.address.name]).get(desired.address)
    if latest is None:
        return None
    if any(not c.path.startswith("tags") for c in KIND.diff(desired, latest, PlanContext({}, {}))):
        return None
    log.info("registration found made after a lost answer", revision=revision_of(latest.body["taskDefinitionArn"]))
    return {"taskDefinition": latest.body, "tags": latest.body.get("tags", [])}


@dataclass
class KeptRevisions:
    """Revisions described by an earlier plan, by ARN, with when they were read: a revision never changes but for
    its tags, so its description serves until ``Found.keep_for`` runs out."""

    described: dict[str, tuple[float, Live]] = field(default_factory=dict)
    listing_pages: int = 0
    """Pages the last account-wide listing took."""


def latest_active(aws: Aws) -> tuple[dict[str, str], int]:
    """The ARN of the latest ACTIVE revision of every family in the account (one listing, 100 ARNs a page), and the
    pages it took."""
    arns = aws.pages(
        "ecs", "ListTaskDefinitions", "taskDefinitionArns", "ACTIVE", status="ACTIVE", maxResults=LISTING_PAGE
    )
    latest: dict[str, tuple[int, str]] = {}
    for arn in arns:
        family, _, number = revision_of(arn).rpartition(":")
        if number.isdigit() and int(number) > latest.get(family, (0, ""))[0]:
            latest[family] = (int(number), arn)
    return {family: arn for family, (_, arn) in latest.items()}, max(1, math.ceil(len(arns) / LISTING_PAGE))


def observe_kept(aws: Aws, families: Sequence[str], found: Found) -> dict[Address, Live]:
    """The latest ACTIVE revision of each family, using what earlier plans described. While that is little (the
    first plan, a CLI plan) or the account's listing would cost more pages than the families it saves, each family is
    described (one call each). Otherwise one account-wide listing names the latest ARN of every family (so a revision
    registered or deregistered since is noticed in this pass), and only ARNs not kept, or kept too long, are
    described. Whatever the listing no longer names as latest is dropped."""
    kept: KeptRevisions = found.kept.setdefault(KIND.name, KeptRevisions())
    now = time.monotonic()
    wanted = sorted(set(families))
    pages = kept.listing_pages or math.ceil(len(kept.described) / LISTING_PAGE)
    if not kept.described or pages >= len(wanted) or found.keep_for <= 0:
        described = describe(aws, wanted)
        if found.keep_for > 0:
            for live in described.values():
                kept.described[str(live.body["taskDefinitionArn"])] = (now, live)
        return described
    latest, kept.listing_pages = latest_active(aws)
    result: dict[Address, Live] = {}
    to_read: list[str] = []
    for family in wanted:
        arn = latest.get(family)
        if arn is None:
            continue
        entry = kept.described.get(arn)
        if entry is not None and now - entry[0] < found.keep_for:
            result[entry[1].address] = entry[1]
        else:
            to_read.append(arn)
    fresh = describe(aws, to_read)
    result.update(fresh)
    current = set(latest.values())
    kept.described = {arn: entry for arn, entry in kept.described.items() if arn in current}
    for live in fresh.values():
        kept.described[str(live.body["taskDefinitionArn"])] = (now, live)
    return result


def active_revisions(aws: Aws, family: str) -> list[str]:
    """ARNs of the family's ACTIVE revisions, newest first."""
    arns = aws.pages(
        "ecs", "ListTaskDefinitions", "taskDefinitionArns", family, familyPrefix=family, status="ACTIVE", sort="DESC"
    )
    exact = [a for a in arns if revision_of(a).rsplit(":", 1)[0] == family]
    return sorted(exact, key=lambda a: int(a.rsplit(":", 1)[-1]), reverse=True)


def _deregister_old(aws: Aws, family: str, *, keep: int, in_use: set[str]) -> list[str]:
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


class TaskDefinitionLive(BaseLive):
    kind = KIND

    def observe(self, aws: Aws, addresses: Sequence[Address], found: Found) -> dict[Address, Live]:
        return observe_kept(aws, [a.name for a in addresses], found)

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

    def create(self, aws: Aws, desired: Resource, ctx: ApplyContext) -> str | None:
        """Register a revision and deregister the ones beyond the revisions kept; returns the new revision's ARN."""
        family = desired.address.name
        spec = {**desired.spec, "tags": managed_tags(desired.spec.get("tags"), stamp=ctx.stamp)}
        answer = aws.write_once(
            "ecs", "RegisterTaskDefinition", family, made=lambda: registered(aws, desired), family=family, **spec
        )
        arn = str(answer["taskDefinition"]["taskDefinitionArn"])
        keep = _keep(desired, ctx.settings.keep_revisions)
        _deregister_old(aws, family, keep=keep, in_use=ctx.in_use | {revision_of(arn)})
        return arn

    def update(
        self, aws: Aws, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        """A revision never changes: a new one is registered."""
        return self.create(aws, desired, ctx)

    def retag(self, aws: Aws, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        """The latest revision's tags; returns its ARN."""
        arn = str(live.body["taskDefinitionArn"])
        sync_spec_tags(aws, ECS, arn, desired.spec, live.body.get("tags"), stamp=ctx.stamp)
        return arn

    def delete(self, aws: Aws, live: Live, ctx: ApplyContext) -> None:
        """Every ACTIVE revision of the family but those in use."""
        _deregister_old(aws, live.address.name, keep=0, in_use=ctx.in_use)


LIVE = TaskDefinitionLive()
