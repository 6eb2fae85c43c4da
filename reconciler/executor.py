"""Applies a Plan, exactly that Plan, in its order; stops at the first failure and reports what happened to each
action (done, failed with its error, skipped because an earlier one failed). Each write is its kind's
(``LiveKind.apply``); the executor names no kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import PlanError, ReconcilerError
from reconciler.core.plan import Action, Plan
from reconciler.kinds.live_base import ApplyContext, LiveKind

log = structlog.get_logger("reconciler.apply")


@dataclass(frozen=True)
class Outcome:
    action: Action
    status: Literal["done", "failed", "skipped"]
    error: str | None = None


def refuse_unsafe(plan: Plan, *, allow_replace: bool) -> None:
    """Raise before any write when the plan holds a replace that was not allowed."""
    replaces = [str(a.address) for a in plan.actions if a.action == "replace"]
    if replaces and not allow_replace:
        raise PlanError(
            f"{', '.join(replaces)}: the change can only be made by deleting and re-creating the service; "
            "re-run with --allow-replace (nothing was changed)"
        )


def execute(
    aws: Aws,
    plan: Plan,
    live: Mapping[str, LiveKind],
    ctx: ApplyContext,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Run every action in order. ``stop``: asked before each action; once it answers True (the daemon is shutting
    down) the remaining actions are skipped, to be redone by a later pass."""
    refuse_unsafe(plan, allow_replace=ctx.settings.allow_replace)
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
                produced = live[action.address.kind].apply(aws, action, ctx)
                if produced is not None:
                    ctx.outputs[action.address] = produced
                outcome = Outcome(action, "done")
            except ReconcilerError as exc:
                failed = True
                outcome = Outcome(action, "failed", str(exc))
                log.error("apply failed", action=action.action, resource=str(action.address), error=str(exc))
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    return outcomes
