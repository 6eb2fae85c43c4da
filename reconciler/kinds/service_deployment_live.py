"""The Service kind's writes to a deployment ECS runs: answering a paused lifecycle hook
(ContinueServiceDeployment, sent by ``continue``) and ECS's own rollback of a deployment in progress
(StopServiceDeployment ROLLBACK, sent only by the executor's ``stop_deployments``)."""

from __future__ import annotations

from reconciler.aws import Aws
from reconciler.deployments.approvals import Approval


def answer_hook(aws: Aws, approval: Approval) -> None:
    """ContinueServiceDeployment: CONTINUE to the next stage, or ROLLBACK to the previous service revision."""
    aws.call(
        "ecs",
        "ContinueServiceDeployment",
        approval.deployment,
        serviceDeploymentArn=approval.deployment,
        hookId=approval.hook,
        action=approval.action,
    )


def stop_rolling_back(aws: Aws, deployment: str) -> None:
    """StopServiceDeployment with ROLLBACK: ECS returns the service to the revision it ran before this deployment."""
    aws.call("ecs", "StopServiceDeployment", deployment, serviceDeploymentArn=deployment, stopType="ROLLBACK")
