"""What a followed deployment's alerts say: a pause awaiting approval, a rollout completed, a rollout failed (pure:
the service, its git revision, its task definition and where its deployment stands in, an Alert out)."""

from __future__ import annotations

from reconciler import rollout
from reconciler.core.model import Address
from reconciler.daemon.alerts import Alert
from reconciler.deployments.stages import Hook

HELD = "; the revision is held (not applied again) until a new git revision arrives"


def _where(address: Address, task_definition: str | None) -> str:
    return f"{address} ({task_definition or 'task definition unknown'})"


def paused_alert(
    address: Address, revision: str | None, task_definition: str | None, progress: rollout.Progress, hook: Hook
) -> Alert:
    """``deployment_paused``: the hook, the stage, the expiry, and the command that answers it."""
    deployment = progress.deployment
    selector = f"{address.kind}/{address.scope}/{address.name}"
    return Alert(
        "deployment_paused",
        f"deployment paused: {_where(address, task_definition)}: {progress.detail}; answer with "
        f"`ecs-reconciler continue PATH {selector}` (or --rollback)",
        revision,
        resource=str(address),
        task_definition=task_definition,
        deployment=deployment.arn if deployment else None,
        stage=deployment.stage if deployment else None,
        hook=hook.hook_id,
        expires_at=hook.expires_at.isoformat() if hook.expires_at else None,
    )


def outcome_alert(
    address: Address, revision: str | None, task_definition: str | None, progress: rollout.Progress
) -> Alert:
    """``rollout_completed``, or ``rollout_failed`` with the events, unhealthy targets, alarms and ECS's rollback."""
    deployment = progress.deployment
    where = _where(address, task_definition)
    if progress.state == "completed":
        return Alert(
            "rollout_completed",
            f"rollout completed: {where}",
            revision,
            resource=str(address),
            task_definition=task_definition,
            deployment=deployment.arn if deployment else None,
            stage=deployment.stage if deployment else None,
        )
    return Alert(
        "rollout_failed",
        f"rollout {progress.state}: {where}: {progress.detail}{HELD}",
        revision,
        resource=str(address),
        task_definition=task_definition,
        events=progress.events,
        unhealthy_targets=progress.trouble,
        deployment=deployment.arn if deployment else None,
        stage=deployment.stage if deployment else None,
        triggered_alarm_names=deployment.alarms if deployment else (),
        rollback=deployment.rollback if deployment else None,
    )
