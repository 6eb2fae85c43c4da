"""The Service kind's writes to a deployment ECS runs, each the executor's runner of an action: answering a paused
lifecycle hook (ContinueServiceDeployment, a ``ContinueDeployment``) and ECS's own rollback of a deployment in
progress (StopServiceDeployment ROLLBACK, a ``StopDeployment``)."""

from __future__ import annotations

from reconciler.aws import Aws
from reconciler.core.actions import ContinueDeployment


def answer_hook(aws: Aws, answer: ContinueDeployment) -> None:
    """ContinueServiceDeployment: CONTINUE to the next stage, or ROLLBACK to the previous service revision (the
    executor's runner of a ``ContinueDeployment``)."""
    aws.call(
        "ecs",
        "ContinueServiceDeployment",
        answer.deployment,
        serviceDeploymentArn=answer.deployment,
        hookId=answer.hook,
        action=answer.answer,
    )


def stop_rolling_back(aws: Aws, deployment: str) -> None:
    """StopServiceDeployment with ROLLBACK: ECS returns the service to the revision it ran before this deployment
    (the executor's runner of a ``StopDeployment``)."""
    aws.call("ecs", "StopServiceDeployment", deployment, serviceDeploymentArn=deployment, stopType="ROLLBACK")
