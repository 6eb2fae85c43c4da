"""Applies a Plan, exactly that Plan, and reports what happened to each action, in plan order: done, failed (with
its error), held (not attempted, with why: a replace that was not allowed, a resource waiting out its backoff), or
skipped (because an action it depends on failed or was held, named by address; or because the process is shutting
down). Every write the tool makes goes through here: each action is its kind's verb (``LiveKind.create``,
``update``, ``retag``, ``delete``; a replace is delete and create in the action's order) or a task the executor runs
before the update it guards (``RunTask``, a pre-rollout hook), the answer to a paused deployment
(``ContinueDeployment``), or ECS's rollback of a deployment in progress (``StopDeployment``). The executor names no
kind.

Independent actions run concurrently (``ApplySettings.concurrency`` at once, paced by the AWS boundary's buckets): an
action starts only once every earlier action it depends on is done (``dependencies``). A failure skips only what
depends on it, transitively; everything else in the plan is still applied. A replace that was not allowed
(``ApplySettings.allow_replace``) is held, not a refusal of the plan."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Literal

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import AwsError, ReconcilerError
from reconciler.core.kind import Registry
from reconciler.core.model import Address
from reconciler.core.plan import (
    Action,
    ContinueDeployment,
    Create,
    Delete,
    Order,
    Plan,
    Replace,
    Retag,
    RunTask,
    StopDeployment,
    Update,
)
from reconciler.kinds.live_base import ApplyContext, LiveKind
from reconciler.kinds.pre_rollout_live import run_hook
from reconciler.kinds.service_deployment_live import answer_hook, stop_rolling_back

log = structlog.get_logger("reconciler.apply")


@dataclass(frozen=True)
class Outcome:
    """What happened to one action."""

    action: Action
    status: Literal["done", "failed", "held", "skipped"]
    error: Exception | None = None
    """Failed: the error (an ``AwsError`` carries AWS's code; anything not a ``ReconcilerError`` is a bug)."""
    because: Address | None = None
    """Skipped: the address of the failed or held action it depends on (None: the process is shutting down)."""
    note: str = ""
    """Held: why the action was not attempted."""

    @property
    def address(self) -> Address:
        return self.action.address

    @property
    def code(self) -> str | None:
        """AWS's error code, when AWS answered the failure."""
        return self.error.code if isinstance(self.error, AwsError) else None

    @property
    def message(self) -> str:
        """One line: the error, or why the action was skipped; empty when done."""
        if self.status == "failed":
            return str(self.error)
        if self.status == "held":
            return self.note
        if self.status == "skipped":
            return f"because {self.because} failed" if self.because is not None else "the process is shutting down"
        return ""


def held_replaces(plan: Plan, *, allow_replace: bool) -> dict[Address, str]:
    """The replaces that were not allowed, each with why it is held (nothing else in the plan waits for them but
    what depends on them)."""
    if allow_replace:
        return {}
    return {
        a.address: "the change can only be made by deleting and re-creating it; held, apply with --allow-replace"
        for a in plan.actions
        if isinstance(a, Replace)
    }


def dependencies(plan: Plan, kinds: Registry, *, region: str | None, held: Collection[Address] = ()) -> list[set[int]]:
    """For each action (by index), the earlier actions it must wait for: those at the addresses its resource references
    (a service waits for its cluster, and for the task definition whose new revision it runs), the tasks that run
    before it (a service's update waits for its pre-rollout task, which waits for the task definitions it runs), and
    in either direction around a delete or replace (what is deleted or re-created waits for everything before it, and
    everything after it waits for it: prune's order, services before the revisions they ran, stays as planned). A
    delete or replace at a ``held`` address is no such barrier: it does not run, so nothing waits for its turn."""
    index: dict[Address, int] = {}
    tasks: dict[Address, int] = {}
    needs: list[set[int]] = []
    barrier: int | None = None
    for i, action in enumerate(plan.actions):
        wanted: set[int] = set()
        if isinstance(action, Delete | Replace) and action.address not in held:
            wanted = set(range(i))
            barrier = i
        elif barrier is not None:
            wanted.add(barrier)
        if isinstance(action, RunTask):
            wanted |= {index[a] for a in action.needs if a in index}
            tasks[action.address] = i
        elif not isinstance(action, ContinueDeployment | StopDeployment):
            if not isinstance(action, Delete):
                for ref in kinds.references(action.resource, region=region):
                    if ref.address in index:
                        wanted.add(index[ref.address])
            if action.address in tasks:
                wanted.add(tasks[action.address])
            index[action.address] = i
        needs.append(wanted)
    return needs


def run_action(aws: Aws, action: Action, live: LiveKind, ctx: ApplyContext) -> str | None:
    """One action's writes; returns what later actions may need (an ARN) or None."""
    if isinstance(action, Create):
        return live.create(aws, action.resource, ctx)
    if isinstance(action, Update):
        stamped = ctx if action.revision is None else replace(ctx, revision=action.revision)
        return live.update(aws, action.resource, action.live, action.changes, stamped)
    if isinstance(action, Retag):
        return live.retag(
            aws, action.resource, action.live, ctx if action.held is None else replace(ctx, held=action.held)
        )
    if isinstance(action, Delete):
        live.delete(aws, action.live, ctx)
        return None
    if isinstance(action, Replace):
        creating = replace(ctx, replacing=action.live)
        if action.order is Order.CREATE_THEN_DELETE:
            produced = live.create(aws, action.resource, creating)
            live.delete(aws, action.live, ctx)
            return produced
        live.delete(aws, action.live, ctx)
        live.await_gone(aws, action.live, ctx)
        return live.create(aws, action.resource, creating)
    if isinstance(action, ContinueDeployment):
        answer_hook(aws, action)
        return None
    if isinstance(action, StopDeployment):
        stop_rolling_back(aws, action.deployment)
        return None
    run_hook(aws, action, ctx)
    return None


def execute(
    aws: Aws,
    plan: Plan,
    live: Mapping[str, LiveKind],
    ctx: ApplyContext,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
    hold: Mapping[Address, str] | None = None,
) -> list[Outcome]:
    """Run every action, each once what it depends on is done. ``stop``: asked before each action; once it answers
    True (the daemon is shutting down) the remaining actions are skipped, to be redone by a later pass. ``hold``:
    addresses whose actions are not attempted, with why (the daemon's resources waiting out a backoff); replaces
    that were not allowed are held too."""
    holding = {**held_replaces(plan, allow_replace=ctx.settings.allow_replace), **(hold or {})}
    workers = max(1, ctx.settings.concurrency)
    kinds = Registry([lk.kind for lk in live.values()])
    needs = dependencies(plan, kinds, region=aws.region, held=holding)
    outcomes: dict[int, Outcome] = {}
    lock = threading.Lock()

    def run(i: int) -> Outcome:
        action = plan.actions[i]
        where = {"action": action.verb, "resource": str(action.address)}
        log.info("apply", **where)
        try:
            produced = run_action(aws, action, live[action.address.kind], ctx)
        except ReconcilerError as exc:
            log.error("apply failed", **where, error=str(exc), code=getattr(exc, "code", None))
            return Outcome(action, "failed", exc)
        except Exception as exc:  # a bug: this action fails, the others go on
            log.exception("apply failed: unexpected error", **where)
            return Outcome(action, "failed", exc)
        if produced is not None:
            with lock:
                ctx.outputs[action.address] = produced
        return Outcome(action, "done")

    def record(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if on_outcome:
            on_outcome(outcome)

    def blocker(i: int) -> Outcome | None:
        """The first failed, held or skipped action ``i`` depends on."""
        return next((outcomes[j] for j in sorted(needs[i]) if j in outcomes and outcomes[j].status != "done"), None)

    pending = list(range(len(plan.actions)))
    running: dict[Future[Outcome], int] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        while pending or running:
            for i in list(pending):
                if plan.actions[i].address in holding:
                    record(i, Outcome(plan.actions[i], "held", note=holding[plan.actions[i].address]))
                elif (failed := blocker(i)) is not None:
                    cause = failed.because if failed.status == "skipped" else failed.address
                    record(i, Outcome(plan.actions[i], "skipped", because=cause))
                elif stop is not None and stop():
                    record(i, Outcome(plan.actions[i], "skipped"))
                elif len(running) < workers and all(j in outcomes for j in needs[i]):
                    context = contextvars.copy_context()  # the pass's bound log fields follow the write
                    running[pool.submit(context.run, run, i)] = i
                else:
                    continue
                pending.remove(i)
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                record(running.pop(future), future.result())
    return [outcomes[i] for i in range(len(plan.actions))]
