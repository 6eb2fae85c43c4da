"""Applies a Plan, exactly that Plan, in its order; stops at the first failure and reports what happened to each
action (done, failed with its error, skipped because an earlier one failed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import PlanError, ReconcilerError
from reconciler.core.plan import NEW_REVISION, Action, Plan
from reconciler.core.settings import KEEP_REVISIONS_ANNOTATION, ApplySettings
from reconciler.kinds import KINDS, service, task_definition

log = structlog.get_logger("reconciler.apply")


@dataclass(frozen=True)
class Outcome:
    action: Action
    status: Literal["done", "failed", "skipped"]
    error: str | None = None


@dataclass
class _Context:
    """What earlier actions of the same apply produced, for later ones."""

    registered: dict[str, str] = field(default_factory=dict)
    """Family -> ARN of the revision registered in this apply."""

    def task_definition(self, ref: str | None) -> str:
        if not ref:
            raise PlanError("a service action has no task definition")
        family, _, revision = ref.partition(":")
        if revision == NEW_REVISION:
            if family not in self.registered:
                raise PlanError(f"task definition {family!r} was to be registered earlier in this apply but was not")
            return self.registered[family]
        return ref


def refuse_unsafe(plan: Plan, options: ApplySettings) -> None:
    """Raise before any write when the plan holds a replace that was not allowed."""
    replaces = [str(a.address) for a in plan.actions if a.action == "replace"]
    if replaces and not options.allow_replace:
        raise PlanError(
            f"{', '.join(replaces)}: the change can only be made by deleting and re-creating the service; "
            "re-run with --allow-replace (nothing was changed)"
        )


def _keep(action: Action, options: ApplySettings) -> int:
    annotations = action.resource.annotations if action.resource else {}
    try:
        return max(1, int(annotations.get(KEEP_REVISIONS_ANNOTATION, options.keep_revisions)))
    except ValueError:
        return options.keep_revisions


def _run(
    aws: Aws, action: Action, ctx: _Context, options: ApplySettings, in_use: set[str], revision: str | None
) -> None:
    kind, resource, live = action.address.kind, action.resource, action.live
    if action.action == "delete":
        assert live is not None
        if kind == task_definition.KIND:
            task_definition.delete(aws, live, in_use=in_use)
        else:
            KINDS[kind].delete(aws, live)
        return
    assert resource is not None
    if kind not in (task_definition.KIND, service.KIND):
        if live is None:
            KINDS[kind].create(aws, resource, revision=revision)
        else:
            KINDS[kind].update(aws, resource, live, list(action.changes), revision=revision)
    elif kind == task_definition.KIND:
        if live is not None and task_definition.only_tags_changed(list(action.changes)):
            task_definition.retag(aws, resource, live, revision=revision)
            return
        arn = task_definition.register(aws, resource, revision=revision)
        ctx.registered[resource.address.name] = arn
        keep = in_use | {task_definition.revision_of(arn)}
        task_definition.deregister_old(aws, resource.address.name, keep=_keep(action, options), in_use=keep)
    else:
        ref = ctx.task_definition(action.task_definition)
        if action.action == "replace":
            assert live is not None
            service.delete(aws, live, wait_seconds=options.drain_timeout)
            service.create(aws, resource, task_definition=ref, revision=revision)
        elif live is None:
            service.create(aws, resource, task_definition=ref, revision=revision)
        else:
            service.update(aws, resource, live, list(action.changes), task_definition=ref, revision=revision)


def execute(
    aws: Aws,
    plan: Plan,
    options: ApplySettings,
    *,
    in_use: set[str],
    revision: str | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Run every action in order. ``in_use``: ``family:revision`` strings live services run (never deregistered).
    ``revision``: the git revision being applied, tagged onto what changes. ``stop``: asked before each action;
    once it answers True (the daemon is shutting down) the remaining actions are skipped, to be redone by a later
    pass."""
    refuse_unsafe(plan, options)
    ctx = _Context()
    outcomes: list[Outcome] = []
    failed = False
    for action in plan.actions:
        if failed:
            outcome = Outcome(action, "skipped", "an earlier action failed")
        elif stop is not None and stop():
            outcome = Outcome(action, "skipped", "shutting down")
        else:
            log.info("apply", action=action.action, resource=str(action.address))
            try:
                _run(aws, action, ctx, options, in_use, revision)
                outcome = Outcome(action, "done")
            except ReconcilerError as exc:
                failed = True
                outcome = Outcome(action, "failed", str(exc))
                log.error("apply failed", action=action.action, resource=str(action.address), error=str(exc))
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    return outcomes
