"""`continue PATH SERVICE [--rollback]`: answer the PAUSE hook a service's deployment waits at, with
ContinueServiceDeployment CONTINUE (to the next stage) or ROLLBACK (to the previous service revision).

SERVICE is a selector as for ``--target`` (``Service/web``, ``Service/prod/web``) naming a Service declared in PATH;
it must be live and this instance's (as plan and apply require). Exit 0 answered; 1 when nothing is paused, the
service is not this instance's, or AWS refused.
"""

from __future__ import annotations

import sys

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
from reconciler.pipeline import names


def continue_deployment(path: str, service: str, settings: Settings, *, embedded: bool, rollback: bool) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        for part in pipeline.parts(path):
            loaded = part.load()
            chosen = [r for r in loaded.resources if r.address.kind == SERVICE.name and names(service, r.address)]
            if not chosen:
                continue
            if len(chosen) > 1:
                raise UsageError(f"{service} names {len(chosen)} services; write Service/CLUSTER/NAME")
            address = chosen[0].address
            live = part.pipeline.observe(chosen, prune=False).observed.get(address)
            refused = _refused(live, instance=settings.apply.instance)
            if live is None or refused:
                print(f"{address}: {refused}; nothing was sent", file=sys.stderr)
                return EXIT_ERROR
            answer = approval(rollout.current_deployment(part.pipeline.aws, live.body), rollback=rollback)
            if isinstance(answer, str):
                print(f"{address}: {answer}; nothing was sent", file=sys.stderr)
                return EXIT_ERROR
            answer_hook(part.pipeline.aws, answer)
            done = "rolling back to the previous service revision" if rollback else "continuing"
            print(f"{address}: {done} (hook {answer.hook} at {answer.stage or 'its stage'})")
            return EXIT_OK
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
