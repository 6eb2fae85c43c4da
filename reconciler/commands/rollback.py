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
from reconciler.core.plan import Plan
from reconciler.core.render import render_text
from reconciler.core.settings import Settings
from reconciler.deployments import history
from reconciler.deployments.stages import IN_FLIGHT
from reconciler.executor import stop_deployments
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
        on = current.rollback_revision or current.target_revision  # where ECS's rollback took it, if it did
        found = history.last_completed(aws, live.address, other_than=rollout.task_definition_of(live.body), now_on=on)
        if found is None:
            return Return(None)
        return Return(
            found.task_definition, found.git_revision, service_revision=found.service_revision, now_on=found.now_on
        )
    previous = rollout.previous_task_definition(aws, live.body)
    return Return(previous, rollout.revision_of_task_definition(aws, previous) if previous else None)


def plan_rollback(pipeline: Pipeline, loaded: Loaded) -> tuple[Plan, dict[Address, str]]:
    """The rollback of every service ``loaded`` declares, as a plan, and the deployments in progress ECS is to roll
    back (those of services the plan does not refuse)."""
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
    plan = rollback_plan(lives, returns, instance=options.instance, former=options.former_owners, named=named)
    refused = {n.address for n in plan.notes if n.blocking}
    stops = {a: r.stop for a, r in returns.items() if r.stop is not None and a not in refused}
    return plan, stops


def _stopped(pipeline: Pipeline, stops: dict[Address, str]) -> list[tuple[bool, str]]:
    """ECS's rollback of each deployment in progress, through the executor: (done, a line) each."""
    return [
        (error is None, f"rolled back by ECS: {a}" if error is None else f"failed: rollback of {a}: {error}")
        for a, error in stop_deployments(pipeline.aws, stops).items()
    ]


def roll_back_now(pipeline: Pipeline, loaded: Loaded) -> tuple[bool, list[str]]:
    """``rollback`` of the services ``loaded`` declares, without printing (the console's action): the same plan, run
    by the executor; whether every service went back or had nothing to do, and a line per note and outcome."""
    plan, stops = plan_rollback(pipeline, loaded)
    lines = [note.message for note in plan.notes]
    refused = any(n.blocking for n in plan.notes)
    if refused or not (plan.actions or stops):
        return not refused, lines
    stopped = _stopped(pipeline, stops)
    lines += [line for _, line in stopped]
    if not plan.actions:
        return all(ok for ok, _ in stopped), lines
    outcomes = pipeline.run(plan, pipeline.options(loaded))
    lines += [
        f"rolled back: {o.address}" if o.status == "done" else f"{o.status}: rollback of {o.address}: {o.message}"
        for o in outcomes
    ]
    return all(o.status == "done" for o in outcomes) and all(ok for ok, _ in stopped), lines


def _roll_back(pipeline: Pipeline, loaded: Loaded, *, dry_run: bool) -> bool:
    if not any(rollout.has_rollouts(r.address) for r in loaded.resources):
        return True
    plan, stops = plan_rollback(pipeline, loaded)
    sys.stdout.write(render_text(plan, where=where_of(pipeline), colour=colour_wanted()))
    refused = any(n.blocking for n in plan.notes)
    if dry_run or not (plan.actions or stops):
        return not refused
    ok = True
    for done, line in _stopped(pipeline, stops):
        ok = ok and done
        print(line, file=sys.stdout if done else sys.stderr)
    for outcome in pipeline.run(plan, pipeline.options(loaded)):
        if outcome.status == "done":
            print(f"rolled back: {outcome.address}")
        else:
            ok = False
            print(f"{outcome.status}: rollback of {outcome.address}: {outcome.message}", file=sys.stderr)
    return ok and not refused
