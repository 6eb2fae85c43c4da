"""`rollback`: a one-off return of each service declared in PATH to where it was before, on ECS's terms.

A service whose current ServiceDeployment is in progress is rolled back by ECS (StopServiceDeployment ROLLBACK);
any other returns to its previous successful service revision (the newest SUCCESSFUL deployment ECS lists whose task
definition is not the one it runs now): its task definition, and what else that revision records that UpdateService
sets where it differs from the revision the service is on (``reconciler.rollback.RETURNED``). A service ECS names no
deployment for (CODE_DEPLOY, EXTERNAL) returns to ``rollout.previous_task_definition``: the highest ACTIVE revision
of its family below the one it runs. The service is tagged with the git revision that task definition was registered
from (its revision tag), when it has one. The rollback is a plan (``reconciler.rollback``), printed like any plan and
run by the executor; ``--dry-run`` prints it only. A service managed by another instance, or by none, is refused and
nothing is written to it. A running daemon in enforce mode applies the manifests again on its next pass: revert the
commit in git, or suspend the services (``ecs-reconciler/suspend``), to keep the rollback.
Exit 0 done (or nothing to roll back), 1 error or a service refused.
"""

from __future__ import annotations

import sys

from reconciler import rollout
from reconciler.aws import Aws
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import colour_wanted, open_pipeline, where_of
from reconciler.core.model import Address, Live
from reconciler.core.plan import Plan, StopDeployment
from reconciler.core.render import render_text
from reconciler.core.settings import Settings
from reconciler.deployments import history
from reconciler.deployments.stages import IN_FLIGHT
from reconciler.executor import Outcome
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


def return_of(aws: Aws, live: Live) -> Return:
    """Where a live service goes back to: ECS's rollback of its deployment in progress, else its previous successful
    service revision (for a service ECS names no deployment for, its previous task definition)."""
    current = rollout.current_deployment(aws, live.body)
    if current is not None and current.status in IN_FLIGHT:
        return Return(None, stop=current.arn)
    if current is not None:
        running = rollout.task_definition_of(live.body)
        found = history.last_completed(aws, live.address, other_than=running, now_on=history.revision_now(current))
        if found is None:
            return Return(None)
        return Return(
            found.task_definition, found.git_revision, service_revision=found.service_revision, now_on=found.now_on
        )
    previous = rollout.previous_task_definition(aws, live.body)
    return Return(previous, rollout.revision_of_task_definition(aws, previous) if previous else None)


def plan_rollback(pipeline: Pipeline, loaded: Loaded) -> Plan:
    """The rollback of every service ``loaded`` declares, as a plan (ECS's rollback of a deployment in progress is
    one of its actions)."""
    services = [r for r in loaded.resources if rollout.has_rollouts(r.address)]
    observed = pipeline.observe(services, prune=False).observed
    returns: dict[Address, Return] = {}
    for resource in services:
        live = observed.get(resource.address)
        if live is not None:
            returns[resource.address] = return_of(pipeline.aws, live)
    named = "" if pipeline.target.is_default else f"{pipeline.target.name}: "
    lives = {r.address: observed.get(r.address) for r in services}
    options = pipeline.options(loaded)
    return rollback_plan(lives, returns, instance=options.instance, former=options.former_owners, named=named)


def outcome_line(outcome: Outcome) -> str:
    """One line for what happened to a rollback's action."""
    if outcome.status != "done":
        return f"{outcome.status}: rollback of {outcome.address}: {outcome.message}"
    by_ecs = isinstance(outcome.action, StopDeployment)
    return f"rolled back by ECS: {outcome.address}" if by_ecs else f"rolled back: {outcome.address}"


def roll_back_now(pipeline: Pipeline, loaded: Loaded) -> tuple[bool, list[str]]:
    """``rollback`` of the services ``loaded`` declares, without printing (the console's action): the same plan, run
    by the executor; whether every service went back or had nothing to do, and a line per note and outcome."""
    plan = plan_rollback(pipeline, loaded)
    lines = [note.message for note in plan.notes]
    refused = any(n.blocking for n in plan.notes)
    if refused or not plan.actions:
        return not refused, lines
    outcomes = pipeline.run(plan, pipeline.options(loaded))
    return all(o.status == "done" for o in outcomes), lines + [outcome_line(o) for o in outcomes]


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
        ok = ok and outcome.status == "done"
        print(outcome_line(outcome), file=sys.stdout if outcome.status == "done" else sys.stderr)
    return ok and not refused
