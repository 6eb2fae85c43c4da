"""The answer to a paused deployment, decided before anything is sent: which ServiceDeployment and hook a
``continue`` (or ``continue --rollback``) is for, or why there is nothing to answer. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.deployments.stages import Deployment

Answer = Literal["CONTINUE", "ROLLBACK"]


@dataclass(frozen=True)
class Approval:
    """ContinueServiceDeployment's input for one paused hook."""

    deployment: str
    hook: str
    action: Answer
    stage: str | None


def approval(deployment: Deployment | None, *, rollback: bool) -> Approval | str:
    """What to send for the service's paused hook, or why nothing is paused (the text says where it stands)."""
    if deployment is None:
        return "ECS names no deployment for it (its deployment controller is not ECS, or it never deployed)"
    hook = deployment.paused
    if hook is None:
        stage = f" at {deployment.stage}" if deployment.stage else ""
        return f"nothing is paused: deployment {deployment.arn.rsplit('/', 1)[-1]} is {deployment.status}{stage}"
    return Approval(deployment.arn, hook.hook_id, "ROLLBACK" if rollback else "CONTINUE", deployment.stage)
