"""Applies a Plan, exactly that Plan; stops at the first failure and reports what happened to each action (done,
failed with its error, skipped because an earlier one failed), in plan order. Each write is its kind's
(``LiveKind.apply``); the executor names no kind.

Independent actions run concurrently (``ApplySettings.concurrency`` at once, paced by the AWS boundary's buckets): an
action starts only once every earlier action it depends on is done (``dependencies``). After a failure no further
action starts; those in flight finish."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Literal

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import PlanError, ReconcilerError
from reconciler.core.kind import Registry
from reconciler.core.model import Address
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


def dependencies(plan: Plan, kinds: Registry | None, *, region: str | None) -> list[set[int]]:
    """For each action (by index), the earlier actions it must wait for: those at the addresses its resource references
    (a service waits for its cluster, and for the task definition whose new revision it runs), and in either direction
    around a delete or replace (what is deleted or re-created waits for everything before it, and everything after it
    waits for it: prune's order, services before the revisions they ran, stays as planned). Without ``kinds`` every
    action waits for the one before it (one at a time)."""
    index: dict[Address, int] = {a.address: i for i, a in enumerate(plan.actions)}
    needs: list[set[int]] = []
    barrier: int | None = None
    for i, action in enumerate(plan.actions):
        if kinds is None:
            needs.append({i - 1} if i else set())
            continue
        wanted: set[int] = set()
        if action.action in ("delete", "replace"):
            wanted = set(range(i))
            barrier = i
        else:
            if barrier is not None:
                wanted.add(barrier)
            if action.resource is not None:
                for ref in kinds.references(action.resource, region=region):
                    j = index.get(ref.address)
                    if j is not None and j < i:
                        wanted.add(j)
        needs.append(wanted)
    return needs


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
    workers = max(1, ctx.settings.concurrency)
    kinds = Registry([lk.kind for lk in live.values()]) if workers > 1 else None
    needs = dependencies(plan, kinds, region=aws.region if workers > 1 else None)
    outcomes: dict[int, Outcome] = {}
    lock = threading.Lock()
    failed = threading.Event()

    def run(i: int) -> Outcome:
        action = plan.actions[i]
        log.info("apply", action=action.action, resource=str(action.address))
        try:
            produced = live[action.address.kind].apply(aws, action, ctx)
        except ReconcilerError as exc:
            failed.set()
            log.error("apply failed", action=action.action, resource=str(action.address), error=str(exc))
            return Outcome(action, "failed", str(exc))
        if produced is not None:
            with lock:
                ctx.outputs[action.address] = produced
        return Outcome(action, "done")

    def record(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if on_outcome:
            on_outcome(outcome)

    pending = list(range(len(plan.actions)))
    running: dict[Future[Outcome], int] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        while pending or running:
            for i in list(pending):
                if failed.is_set():
                    record(i, Outcome(plan.actions[i], "skipped", "an earlier action failed"))
                elif stop is not None and stop():
                    record(i, Outcome(plan.actions[i], "skipped", "shutting down"))
                elif len(running) < workers and all(outcomes.get(j) is not None for j in needs[i]):
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
