"""`continue PATH SERVICE [--rollback]`: answer the PAUSE hook a service's deployment waits at, with
ContinueServiceDeployment CONTINUE (to the next stage) or ROLLBACK (to the previous service revision).

SERVICE is a selector as for ``--target`` (``Service/web``, ``Service/prod/web``) naming a Service declared in PATH;
it must be live and this instance's (as plan and apply require). The answer is a plan of one ``ContinueDeployment``
(``reconciler.deployments.approvals``), printed like any plan and run by the executor. Exit 0 answered; 1 when
nothing is paused, the service is not this instance's, or AWS refused.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from reconciler import rollout
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import colour_wanted, open_pipeline, where_of
from reconciler.core.errors import UsageError
from reconciler.core.plan import ContinueDeployment, Plan
from reconciler.core.render import render_text
from reconciler.core.settings import Settings
from reconciler.deployments.approvals import continue_plan
from reconciler.kinds.service import KIND as SERVICE
from reconciler.pipeline import Loaded, Pipeline, names


@dataclass(frozen=True)
class Answered:
    """What became of a paused deployment's answer: sent (``ok``) or why nothing was sent."""

    ok: bool
    message: str
    plan: Plan
    """The answer as a plan (no action when nothing was to be sent)."""


def answer_paused(pipeline: Pipeline, loaded: Loaded, service: str, *, rollback: bool) -> Answered | None:
    """Answer the PAUSE hook of the service ``service`` names among ``loaded``'s (None: none of them), as this
    instance, through the executor: `continue` and the console's actions both answer through here."""
    chosen = [r for r in loaded.resources if r.address.kind == SERVICE.name and names(service, r.address)]
    if not chosen:
        return None
    if len(chosen) > 1:
        raise UsageError(f"{service} names {len(chosen)} services; write Service/CLUSTER/NAME")
    address = chosen[0].address
    live = pipeline.observe(chosen, prune=False).observed.get(address)
    deployment = rollout.current_deployment(pipeline.aws, live.body) if live is not None else None
    options = pipeline.options(loaded)
    plan = continue_plan(
        address, live, deployment, instance=options.instance, former=options.former_owners, rollback=rollback
    )
    if not plan.actions:
        return Answered(False, "; ".join(n.message for n in plan.notes), plan)
    [outcome] = pipeline.run(plan, options)
    if outcome.status != "done":
        return Answered(False, f"{address}: {outcome.status}: {outcome.message}", plan)
    [answer] = [a for a in plan.actions if isinstance(a, ContinueDeployment)]
    done = "rolling back to the previous service revision" if rollback else "continuing"
    return Answered(True, f"{address}: {done} (hook {answer.hook} at {answer.stage or 'its stage'})", plan)


def continue_deployment(path: str, service: str, settings: Settings, *, embedded: bool, rollback: bool) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        for part in pipeline.parts(path):
            answered = answer_paused(part.pipeline, part.load(), service, rollback=rollback)
            if answered is None:
                continue
            if answered.plan.actions:
                sys.stdout.write(render_text(answered.plan, where=where_of(part.pipeline), colour=colour_wanted()))
            print(answered.message, file=sys.stdout if answered.ok else sys.stderr)
            return EXIT_OK if answered.ok else EXIT_ERROR
    raise UsageError(f"{service}: no such Service in the manifests")
