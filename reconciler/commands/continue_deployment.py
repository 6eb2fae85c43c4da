"""`continue PATH SERVICE [--rollback]`: answer the PAUSE hook a service's deployment waits at, with
ContinueServiceDeployment CONTINUE (to the next stage) or ROLLBACK (to the previous service revision).

SERVICE is a selector as for ``--target`` (``Service/web``, ``Service/prod/web``) naming a Service declared in PATH;
it must be live and this instance's (as plan and apply require). Exit 0 answered; 1 when nothing is paused, the
service is not this instance's, or AWS refused.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from reconciler import rollout
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import open_pipeline
from reconciler.core.errors import UsageError
from reconciler.core.model import Live
from reconciler.core.settings import Settings
from reconciler.core.tags import ownership
from reconciler.deployments.approvals import approval
from reconciler.kinds.service import KIND as SERVICE
from reconciler.kinds.service_deployment_live import answer_hook
from reconciler.pipeline import Loaded, Pipeline, names


@dataclass(frozen=True)
class Answered:
    """What became of a paused deployment's answer: sent (``ok``) or why nothing was sent."""

    ok: bool
    message: str


def answer_paused(pipeline: Pipeline, loaded: Loaded, service: str, *, rollback: bool) -> Answered | None:
    """Answer the PAUSE hook of the service ``service`` names among ``loaded``'s (None: none of them), as this
    instance: `continue` and the console's actions both answer through here."""
    chosen = [r for r in loaded.resources if r.address.kind == SERVICE.name and names(service, r.address)]
    if not chosen:
        return None
    if len(chosen) > 1:
        raise UsageError(f"{service} names {len(chosen)} services; write Service/CLUSTER/NAME")
    address = chosen[0].address
    live = pipeline.observe(chosen, prune=False).observed.get(address)
    refused = _refused(live, instance=pipeline.options(loaded).instance)
    if live is None or refused:
        return Answered(False, f"{address}: {refused}; nothing was sent")
    answer = approval(rollout.current_deployment(pipeline.aws, live.body), rollback=rollback)
    if isinstance(answer, str):
        return Answered(False, f"{address}: {answer}; nothing was sent")
    answer_hook(pipeline.aws, answer)
    done = "rolling back to the previous service revision" if rollback else "continuing"
    return Answered(True, f"{address}: {done} (hook {answer.hook} at {answer.stage or 'its stage'})")


def continue_deployment(path: str, service: str, settings: Settings, *, embedded: bool, rollback: bool) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        for part in pipeline.parts(path):
            answered = answer_paused(part.pipeline, part.load(), service, rollback=rollback)
            if answered is None:
                continue
            print(answered.message, file=sys.stdout if answered.ok else sys.stderr)
            return EXIT_OK if answered.ok else EXIT_ERROR
    raise UsageError(f"{service}: no such Service in the manifests")


def _refused(live: Live | None, *, instance: str) -> str | None:
    """Why this instance may not answer for the service (None: it is live and ours)."""
    if live is None:
        return "not found live"
    owner = ownership(live.owner, managed=live.managed, instance=instance)
    if owner == "ours":
        return None
    if owner == "unmanaged":
        return "not managed by ecs-reconciler"
    return f"managed by another ecs-reconciler instance ({live.owner!r}, this one is {instance!r})"
