"""`rollback`: a one-off return of each service declared in PATH to the task definition it ran before.

The previous task definition of a service (``rollout.previous_task_definition``): while ECS still lists an older
deployment (a rollout in flight or failed), that deployment's; otherwise the highest ACTIVE revision of the same
family below the one it runs. The service is tagged with the git revision that task definition was registered from
(its revision tag), when it has one. The rollback is a plan (``reconciler.rollback``), printed like any plan and run
by the executor; ``--dry-run`` prints it only. A service managed by another instance, or by none, is refused and
nothing is written to it. A running daemon in enforce mode applies the manifests again on its next pass: revert the
commit in git, or suspend the services (``ecs-reconciler/suspend``), to keep the rollback.
Exit 0 done (or nothing to roll back), 1 error or a service refused.
"""

from __future__ import annotations

import sys

from reconciler import rollout
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import colour_wanted, open_pipeline, where_of
from reconciler.core.model import Address
from reconciler.core.plan import Plan
from reconciler.core.render import render_text
from reconciler.core.settings import Settings
from reconciler.pipeline import Loaded, Pipeline
from reconciler.rollback import Return, rollback_plan


def rollback(path: str, settings: Settings, *, embedded: bool, dry_run: bool) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        parts = [(part, part.load()) for part in pipeline.parts(path)]
        if not any(rollout.has_rollouts(r.address) for _, loaded in parts for r in loaded.resources):
            print("No services declared: nothing to roll back.")
            return EXIT_OK
        ok = True
        for part, loaded in parts:
            ok = _roll_back(part.pipeline, loaded, dry_run=dry_run) and ok
    return EXIT_OK if ok else EXIT_ERROR


def plan_rollback(pipeline: Pipeline, loaded: Loaded) -> Plan:
    """The rollback of every service ``loaded`` declares, as a plan."""
    services = [r for r in loaded.resources if rollout.has_rollouts(r.address)]
    observed = pipeline.observe(services, prune=False).observed
    returns: dict[Address, Return] = {}
    for resource in services:
        live = observed.get(resource.address)
        if live is None:
            continue
        previous = rollout.previous_task_definition(pipeline.aws, live.body)
        revision = rollout.revision_of_task_definition(pipeline.aws, previous) if previous else None
        returns[resource.address] = Return(previous, revision)
    named = "" if pipeline.target.is_default else f"{pipeline.target.name}: "
    lives = {r.address: observed.get(r.address) for r in services}
    options = pipeline.options(loaded)
    return rollback_plan(lives, returns, instance=options.instance, former=options.former_owners, named=named)


def roll_back_now(pipeline: Pipeline, loaded: Loaded) -> tuple[bool, list[str]]:
    """``rollback`` of the services ``loaded`` declares, without printing (the console's action): the same plan, run
    by the executor; whether every service went back or had nothing to do, and a line per note and outcome."""
    plan = plan_rollback(pipeline, loaded)
    lines = [note.message for note in plan.notes]
    refused = any(n.blocking for n in plan.notes)
    if refused or not plan.actions:
        return not refused, lines
    outcomes = pipeline.run(plan, pipeline.options(loaded))
    lines += [
        f"rolled back: {o.address}" if o.status == "done" else f"{o.status}: rollback of {o.address}: {o.message}"
        for o in outcomes
    ]
    return all(o.status == "done" for o in outcomes), lines


def _roll_back(pipeline: Pipeline, loaded: Loaded, *, dry_run: bool) -> bool:
    if not any(rollout.has_rollouts(r.address) for r in loaded.resources):
        return True
    plan = plan_rollback(pipeline, loaded)
    sys.stdout.write(render_text(plan, where=where_of(pipeline), colour=colour_wanted()))
    refused = any(n.blocking for n in plan.notes)
    if dry_run or not plan.actions:
        return not refused
    ok = True
    for outcome in pipeline.run(plan, pipeline.options(loaded)):
        if outcome.status == "done":
            print(f"rolled back: {outcome.address}")
        else:
            ok = False
            print(f"{outcome.status}: rollback of {outcome.address}: {outcome.message}", file=sys.stderr)
    return ok and not refused
