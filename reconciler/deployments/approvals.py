"""The answer to a paused deployment, decided before anything is sent: a plan of one ``ContinueDeployment`` for the
ServiceDeployment and hook a ``continue`` (or ``continue --rollback``) is for, or a note saying why there is nothing
to answer. The executor runs it like any plan. Pure."""

from __future__ import annotations

from collections.abc import Collection

from reconciler.core.actions import Answer, ContinueDeployment
from reconciler.core.kind import Note
from reconciler.core.model import Address, Live
from reconciler.core.plan import Plan
from reconciler.core.tags import not_ours
from reconciler.deployments.stages import Deployment


def approval(address: Address, deployment: Deployment | None, *, rollback: bool) -> ContinueDeployment | str:
    """The answer to the service's paused hook, or why nothing is paused (the text says where it stands)."""
    if deployment is None:
        return "ECS names no deployment for it (its deployment controller is not ECS, or it never deployed)"
    hook = deployment.paused
    if hook is None:
        stage = f" at {deployment.stage}" if deployment.stage else ""
        return f"nothing is paused: deployment {deployment.arn.rsplit('/', 1)[-1]} is {deployment.status}{stage}"
    answer: Answer = "ROLLBACK" if rollback else "CONTINUE"
    return ContinueDeployment(address, deployment.arn, hook.hook_id, answer, deployment.stage)


def continue_plan(
    address: Address,
    live: Live | None,
    deployment: Deployment | None,
    *,
    instance: str,
    former: Collection[str] = (),
    rollback: bool,
) -> Plan:
    """The answer to the service's paused deployment as a plan, or no action and a note: the service is not live,
    not this instance's (a blocking note: nothing is written to it), or nothing is paused. ``former``: the managed-by
    values ``instance`` takes over (as plan does)."""
    if live is None:
        return Plan(notes=(Note(f"{address}: not found live; nothing was sent", address),))
    whose = not_ours(live.owner, managed=live.managed, instance=instance, former=former)
    if whose is not None:
        return Plan(notes=(Note(f"{address}: {whose}; nothing was sent", address, blocking=True),))
    answer = approval(address, deployment, rollback=rollback)
    if isinstance(answer, str):
        return Plan(notes=(Note(f"{address}: {answer}; nothing was sent", address),))
    return Plan((answer,))
