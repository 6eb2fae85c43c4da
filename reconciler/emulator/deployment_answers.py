"""A service deployment as DescribeServiceDeployments and ListServiceDeployments answer it (botocore's
ServiceDeployment and ServiceDeploymentBrief shapes), shaped as AWS's published answers are (aws-cli's
awscli/examples/ecs/describe-service-deployments.rst: a rolling deployment has no lifecycleStage; alarms not enabled
answer only ``{"status": "DISABLED"}``)."""

from __future__ import annotations

from typing import Any

from reconciler.emulator.clock import CLOCK
from reconciler.emulator.deployment_records import Deployment, Hook, breaker_threshold
from reconciler.emulator.deployment_stages import ROLLING


def _times(deployment: Deployment) -> dict[str, Any]:
    moments = {
        "createdAt": deployment.created,
        "startedAt": deployment.started,
        "finishedAt": deployment.finished,
        "stoppedAt": deployment.stopped,
        "updatedAt": deployment.updated,
    }
    return {name: CLOCK.utc(moment) for name, moment in moments.items() if moment is not None}


def _weights(deployment: Deployment, now: float) -> tuple[float, float]:
    """Percent of (production, test) traffic on the target revision now."""
    if deployment.status == "SUCCESSFUL":
        return 100.0, 100.0
    if deployment.status in ("ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL") or not deployment.started:
        return 0.0, 0.0
    stage = deployment.stages[deployment.index]
    if now >= deployment.entered + stage.shift_seconds:
        return stage.production, stage.test
    earlier = deployment.stages[deployment.index - 1] if deployment.index else None
    return (earlier.production, earlier.test) if earlier else (0.0, 0.0)


def _revisions(deployment: Deployment, service: Any, now: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    # ServiceRevisionSummary: task counts per revision; traffic weights for the staged strategies.
    counts = {summary["arn"]: summary for summary in getattr(service, "current_service_revisions", None) or []}

    def summary(arn: str, weights: tuple[float, float] | None) -> dict[str, Any]:
        live = counts.get(arn, {})
        answer = {
            "arn": arn,
            "requestedTaskCount": int(live.get("requestedTaskCount", 0)),
            "runningTaskCount": int(live.get("runningTaskCount", 0)),
            "pendingTaskCount": int(live.get("pendingTaskCount", 0)),
        }
        if weights is not None:
            answer.update(requestedProductionTrafficWeight=weights[0], requestedTestTrafficWeight=weights[1])
        return answer

    staged = deployment.strategy != ROLLING
    production, test = _weights(deployment, now) if staged else (0.0, 0.0)
    target = summary(deployment.target, (production, test) if staged else None)
    sources = [summary(arn, (100 - production, 100 - test) if staged else None) for arn in deployment.sources]
    return target, sources


def _hook(hook: Hook) -> dict[str, Any]:
    detail = {
        "hookId": hook.hook_id,
        "targetType": hook.target_type,
        "status": hook.status,
        "expiresAt": CLOCK.utc(hook.expires),
        "timeoutAction": hook.timeout_action,
    }
    if hook.target_arn:
        detail["targetArn"] = hook.target_arn
    return detail


def _monitors(deployment: Deployment, service: Any) -> dict[str, Any]:
    alarms = deployment.configuration.get("alarms") or {}
    watched: dict[str, Any] = {"status": deployment.alarms_status}
    if deployment.alarms_status != "DISABLED":
        watched["alarmNames"] = list(alarms.get("alarmNames") or [])
        watched["triggeredAlarmNames"] = list(deployment.triggered_alarms)
    breaker = {
        "status": deployment.breaker_status,
        "failureCount": deployment.failed_tasks,
        "threshold": breaker_threshold(deployment.configuration, service.desired_count),
    }
    return {"deploymentCircuitBreaker": breaker, "alarms": watched}


def describe_answer(deployment: Deployment, service: Any, now: float) -> dict[str, Any]:
    """The ServiceDeployment."""
    target, sources = _revisions(deployment, service, now)
    answer: dict[str, Any] = {
        "serviceDeploymentArn": deployment.arn,
        "serviceArn": deployment.service_arn,
        "clusterArn": deployment.cluster_arn,
        **_times(deployment),
        "sourceServiceRevisions": sources,
        "targetServiceRevision": target,
        "status": deployment.status,
        "deploymentConfiguration": deployment.configuration,
        **_monitors(deployment, service),
    }
    if deployment.reason:
        answer["statusReason"] = deployment.reason
    if deployment.stages and deployment.started is not None:
        answer["lifecycleStage"] = deployment.stages[deployment.index].name
    if deployment.hooks:
        answer["lifecycleHookDetails"] = [_hook(h) for h in deployment.hooks]
    if deployment.rollback:
        answer["rollback"] = deployment.rollback
    return answer


def brief_answer(deployment: Deployment) -> dict[str, Any]:
    """The ServiceDeploymentBrief ListServiceDeployments answers."""
    times = _times(deployment)
    answer: dict[str, Any] = {
        "serviceDeploymentArn": deployment.arn,
        "serviceArn": deployment.service_arn,
        "clusterArn": deployment.cluster_arn,
        **{k: times[k] for k in ("startedAt", "createdAt", "finishedAt") if k in times},
        "targetServiceRevisionArn": deployment.target,
        "status": deployment.status,
    }
    if deployment.reason:
        answer["statusReason"] = deployment.reason
    return answer
