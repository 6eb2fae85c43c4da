"""The actions a Plan holds: a closed set of frozen types, each with only the fields it has, and why each is planned.

    Create    a resource that does not exist: the desired resource
    Update    in place: desired, live and the field changes
    Replace   delete and create again (``order`` says which first), ``forced_by`` the fields that cannot change in
              place
    Delete    a live resource no longer declared (prune): the live resource only
    Retag     only tags differ (an adopted or migrated owner tag, a user tag): desired, live and the tag changes
    RunTask   a one-off task that must exit 0 before the update of the service at the same address (a pre-rollout
              hook)
    ContinueDeployment
              the answer to the PAUSE hook a service's deployment waits at (CONTINUE or ROLLBACK); only ``continue``
              plans it
    StopDeployment
              ECS's own rollback of a service's deployment in progress (StopServiceDeployment ROLLBACK); only a
              rollback plans it

``Reason`` is a stable value (the JSON plan's ``reason``); the renderers hold its human text.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.model import Address, Live, Resource

Verb = Literal["create", "update", "replace", "delete", "retag", "run", "continue", "stop"]
VERBS: tuple[Verb, ...] = ("create", "update", "replace", "delete", "retag", "run", "continue", "stop")
Answer = Literal["CONTINUE", "ROLLBACK"]
"""ContinueServiceDeployment's action: on to the next stage, or back to the previous service revision."""


class Reason(enum.Enum):
    """Why an action is planned."""

    MISSING = "missing"
    DIFFERS = "differs"
    NEW_REVISION = "new-revision"
    TAGS = "tags"
    ADOPT = "adopt"
    OWNER_MIGRATION = "owner-migration"
    IMMUTABLE = "immutable"
    LAUNCH_SWITCH = "launch-switch"
    PRUNE = "prune"
    ROLLBACK = "rollback"
    HOLD = "hold"
    PRE_ROLLOUT = "pre-rollout"
    PAUSED = "paused"
    IN_PROGRESS = "in-progress"


class Order(enum.Enum):
    """Which half of a replace runs first."""

    DELETE_THEN_CREATE = "delete-then-create"
    """The name is taken while the old resource exists (an ECS service): delete, wait until it is gone, create."""
    CREATE_THEN_DELETE = "create-then-delete"
    """The new resource can stand beside the old one: create, then delete the old one."""


@dataclass(frozen=True)
class Timeline:
    """How a change will roll out once applied: the deployment strategy and its steps in order, in words
    (``canary 10% for 5 min, then 100%``, ``bake 15 min``, ``pauses before production traffic, ...``)."""

    strategy: str
    steps: tuple[str, ...]

    def __str__(self) -> str:
        return "; ".join(self.steps)


@dataclass(frozen=True)
class Create:
    verb: ClassVar[Verb] = "create"
    address: Address
    resource: Resource
    changes: tuple[FieldChange, ...]
    """The fields the new resource gets (redacted)."""
    produces: str | None = None
    """A reference that exists once this action has run (``family:(new revision)``), for later actions."""
    reason: Reason = Reason.MISSING
    rollout: Timeline | None = None
    """How the deployment this action starts will roll out (a service's strategy and its steps)."""


@dataclass(frozen=True)
class Update:
    verb: ClassVar[Verb] = "update"
    address: Address
    resource: Resource
    live: Live
    changes: tuple[FieldChange, ...]
    reason: Reason = Reason.DIFFERS
    produces: str | None = None
    rollout: Timeline | None = None
    revision: str | None = None
    """The git revision the resource's revision tag is to name when it is not the apply's own (a rollback names the
    revision the task definition it returns to was registered from)."""


@dataclass(frozen=True)
class Replace:
    verb: ClassVar[Verb] = "replace"
    address: Address
    resource: Resource
    live: Live
    changes: tuple[FieldChange, ...]
    forced_by: tuple[str, ...]
    """The field paths that cannot change in place."""
    order: Order = Order.DELETE_THEN_CREATE
    reason: Reason = Reason.IMMUTABLE
    produces: str | None = None
    rollout: Timeline | None = None


@dataclass(frozen=True)
class Delete:
    verb: ClassVar[Verb] = "delete"
    address: Address
    live: Live
    reason: Reason = Reason.PRUNE
    changes: tuple[FieldChange, ...] = ()
    produces: None = None
    rollout: None = None


@dataclass(frozen=True)
class Retag:
    verb: ClassVar[Verb] = "retag"
    address: Address
    resource: Resource
    live: Live
    changes: tuple[FieldChange, ...]
    """Only ``tags`` / ``tags.<key>`` paths."""
    reason: Reason = Reason.TAGS
    produces: None = None
    rollout: None = None
    held: str | None = None
    """The hold marker to write (``core.tags.HELD_TAG_KEY``): the daemon's record, kept on a service whose rollout
    failed, that its revision is held and the failure alerted."""


def _shown(**fields: object) -> tuple[FieldChange, ...]:
    """An action that changes no resource shown as the fields it would add (those that are not None), in order."""
    return tuple(FieldChange(path, ABSENT, value) for path, value in fields.items() if value is not None)


def _deployment_id(arn: str) -> str:
    """A ServiceDeployment's ARN, shortened to its last part."""
    return arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RunTask:
    """Run ``family`` once for the service at ``address`` moving to ``for_revision`` (``family:N`` or
    ``family:(new revision)``, resolved when it runs) and wait for it to exit 0; the service's update waits for it."""

    verb: ClassVar[Verb] = "run"
    address: Address
    family: str
    for_revision: str
    run: Mapping[str, Any] = field(default_factory=dict)
    """Where and how the task runs (the service's launch type or capacity, network configuration, platform)."""
    command: tuple[str, ...] | None = None
    container: str | None = None
    needs: tuple[Address, ...] = ()
    """The task definitions whose registration in this apply it waits for."""
    reason: Reason = Reason.PRE_ROLLOUT
    produces: None = None
    rollout: None = None

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        """What the task is, shown as fields."""
        command = None if self.command is None else list(self.command)
        return _shown(family=self.family, command=command, container=self.container)


@dataclass(frozen=True)
class ContinueDeployment:
    """Answer the PAUSE hook ``hook`` the ServiceDeployment ``deployment`` of the service at ``address`` waits at
    (ContinueServiceDeployment)."""

    verb: ClassVar[Verb] = "continue"
    address: Address
    deployment: str
    """The ServiceDeployment's ARN."""
    hook: str
    answer: Answer
    stage: str | None = None
    """The lifecycle stage the deployment is paused at, when ECS names one."""
    reason: Reason = Reason.PAUSED
    produces: None = None
    rollout: None = None

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        """What is answered, shown as fields."""
        return _shown(deployment=_deployment_id(self.deployment), hook=self.hook, stage=self.stage, answer=self.answer)


@dataclass(frozen=True)
class StopDeployment:
    """Have ECS roll back the ServiceDeployment ``deployment`` of the service at ``address``, still in progress
    (StopServiceDeployment with stopType ROLLBACK: ECS returns the service to the revision the deployment replaced)."""

    verb: ClassVar[Verb] = "stop"
    address: Address
    deployment: str
    """The ServiceDeployment's ARN."""
    reason: Reason = Reason.IN_PROGRESS
    produces: None = None
    rollout: None = None

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        """What is stopped, shown as fields."""
        return _shown(deployment=_deployment_id(self.deployment), stopType="ROLLBACK")


Action = Create | Update | Replace | Delete | Retag | RunTask | ContinueDeployment | StopDeployment
"""One step of a Plan."""
Changing = Create | Update | Replace | Retag
"""The actions that carry a desired resource."""


def fingerprint(action: Action, declared: Resource | None = None) -> str:
    """What the action asks of AWS, hashed: its verb, address, the resource as declared (spec and annotations;
    ``declared``, before the plan resolved its references, else the action's) and the live side of each field
    change. Equal fingerprints mean the same manifest against the same live state: a terminal answer stands until
    either changes (a reference resolving to a revision registered since, ``family:(new revision)`` becoming
    ``family:3``, is no change)."""
    content: dict[str, Any] = {
        "verb": action.verb,
        "address": str(action.address),
        "live": [[c.path, repr(c.before)] for c in action.changes],
    }
    if isinstance(action, RunTask):
        content["task"] = [action.family, dict(action.run), action.command, action.container]
    elif isinstance(action, ContinueDeployment):
        content["answer"] = [action.deployment, action.hook, action.answer]
    elif isinstance(action, StopDeployment):
        content["stop"] = action.deployment
    elif not isinstance(action, Delete):
        resource = declared or action.resource
        content["resource"] = [resource.spec, dict(resource.annotations)]
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
