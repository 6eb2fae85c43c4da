"""What a ServiceDeployment says, read once (``Deployment.of``), and where it stands for whoever waits on it
(``standing``): still rolling out, paused at a PAUSE hook awaiting an approval, completed, or failed (ECS's own
rollback, the alarms that fired, the circuit breaker, a stop).

Pure: a DescribeServiceDeployments entry (botocore's ``ServiceDeployment``: parsed by boto3, or as AWS's published
JSON with ISO timestamps) and a clock reading in, data out.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["waiting", "paused", "completed", "failed"]

SUCCEEDED = frozenset({"SUCCESSFUL"})
ROLLED_BACK = frozenset({"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"})
STOPPED = frozenset({"STOPPED", "STOP_REQUESTED"})
"""botocore ServiceDeploymentStatus: a deployment ECS rolls back or was stopped did not roll out."""
IN_FLIGHT = frozenset({"PENDING", "IN_PROGRESS"})


def _time(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if isinstance(value, str) and value:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return None


@dataclass(frozen=True)
class Hook:
    """A lifecycle hook ECS is running or waiting on (botocore ``DeploymentLifecycleHookDetail``)."""

    hook_id: str
    target_type: str
    status: str
    expires_at: datetime.datetime | None
    timeout_action: str

    @property
    def awaiting(self) -> bool:
        """A PAUSE hook waiting for ContinueServiceDeployment."""
        return self.target_type == "PAUSE" and self.status == "AWAITING_ACTION"

    def as_json(self) -> dict[str, Any]:
        """The hook as the status and history documents show a deployment awaiting approval."""
        return {
            "hookId": self.hook_id,
            "expiresAt": self.expires_at.isoformat() if self.expires_at else None,
            "timeoutAction": self.timeout_action,
        }


@dataclass(frozen=True)
class Deployment:
    """One ServiceDeployment, as much of it as waiting, alerts and status use."""

    arn: str
    status: str
    stage: str | None
    strategy: str
    target_revision: str | None
    source_revisions: tuple[str, ...]
    production_weight: float | None
    """Percent of production traffic the target revision is asked to carry (None: ECS does not say)."""
    running: int
    requested: int
    pending: int
    hooks: tuple[Hook, ...]
    alarms: tuple[str, ...]
    """The alarms that fired (``alarms.triggeredAlarmNames``)."""
    rollback: str | None
    """Why ECS rolled back (``rollback.reason``), when it did."""
    rollback_revision: str | None
    circuit_breaker: str | None
    reason: str | None
    started_at: datetime.datetime | None
    updated_at: datetime.datetime | None
    bake_minutes: int | None

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Deployment:
        target = doc.get("targetServiceRevision") or {}
        config = doc.get("deploymentConfiguration") or {}
        rollback = doc.get("rollback") or {}
        hooks = tuple(
            Hook(
                str(h.get("hookId", "")),
                str(h.get("targetType", "AWS_LAMBDA")),
                str(h.get("status", "")),
                _time(h.get("expiresAt")),
                str(h.get("timeoutAction", "ROLLBACK")),
            )
            for h in doc.get("lifecycleHookDetails") or []
        )
        weight = target.get("requestedProductionTrafficWeight")
        return cls(
            arn=str(doc.get("serviceDeploymentArn", "")),
            status=str(doc.get("status", "PENDING")),
            stage=doc.get("lifecycleStage"),
            strategy=str(config.get("strategy") or "ROLLING"),
            target_revision=target.get("arn"),
            source_revisions=tuple(str(s.get("arn")) for s in doc.get("sourceServiceRevisions") or [] if s.get("arn")),
            production_weight=float(weight) if isinstance(weight, int | float) else None,
            running=int(target.get("runningTaskCount", 0) or 0),
            requested=int(target.get("requestedTaskCount", 0) or 0),
            pending=int(target.get("pendingTaskCount", 0) or 0),
            hooks=hooks,
            alarms=tuple(str(a) for a in (doc.get("alarms") or {}).get("triggeredAlarmNames") or []),
            rollback=rollback.get("reason") or (str(doc["status"]) if doc.get("status") in ROLLED_BACK else None),
            rollback_revision=rollback.get("serviceRevisionArn"),
            circuit_breaker=(doc.get("deploymentCircuitBreaker") or {}).get("status"),
            reason=doc.get("statusReason"),
            started_at=_time(doc.get("startedAt") or doc.get("createdAt")),
            updated_at=_time(doc.get("updatedAt")),
            bake_minutes=config.get("bakeTimeInMinutes"),
        )

    @classmethod
    def of_daemon(cls, doc: Mapping[str, Any]) -> Deployment:
        """A DescribeDaemonDeployments entry (botocore ``DaemonDeployment``) read the same way: its target daemon
        revision's instances running the daemon task (``requested``: those and the ones still without it), the
        circuit breaker, the alarms that fired and ECS's rollback; a daemon deployment has no lifecycle stages nor
        hooks, and its strategy is ``DAEMON`` (instance by instance, ``drainPercent`` at a time)."""
        target = doc.get("targetDaemonRevision") or {}
        rollback = doc.get("rollback") or {}
        running = int(target.get("totalRunningInstanceCount", 0) or 0)
        without = int(target.get("totalWithoutDaemonInstanceCount", 0) or 0)
        status = str(doc.get("status", "PENDING"))
        return cls(
            arn=str(doc.get("daemonDeploymentArn", "")),
            status=status,
            stage=None,
            strategy="DAEMON",
            target_revision=target.get("arn"),
            source_revisions=tuple(str(s.get("arn")) for s in doc.get("sourceDaemonRevisions") or [] if s.get("arn")),
            production_weight=None,
            running=running,
            requested=running + without,
            pending=without,
            hooks=(),
            alarms=tuple(str(a) for a in (doc.get("alarms") or {}).get("triggeredAlarmNames") or []),
            rollback=rollback.get("reason") or (status if status in ROLLED_BACK else None),
            rollback_revision=rollback.get("rollbackTargetDaemonRevisionArn"),
            circuit_breaker=(doc.get("circuitBreaker") or {}).get("status"),
            reason=doc.get("statusReason"),
            started_at=_time(doc.get("startedAt") or doc.get("createdAt")),
            updated_at=_time(doc.get("finishedAt") or doc.get("startedAt")),
            bake_minutes=(doc.get("deploymentConfiguration") or {}).get("bakeTimeInMinutes"),
        )

    @property
    def paused(self) -> Hook | None:
        """The PAUSE hook awaiting an approval, if the deployment waits on one."""
        return next((h for h in self.hooks if h.awaiting), None) if self.status in IN_FLIGHT else None

    @property
    def finished(self) -> bool:
        return self.status not in IN_FLIGHT


@dataclass(frozen=True)
class Standing:
    """Where a deployment stands: its state and a line that says why."""

    state: State
    detail: str
    paused: Hook | None = None
    alarms: tuple[str, ...] = ()
    rollback: str | None = None


def _left(until: datetime.datetime, now: datetime.datetime) -> str:
    seconds = max(0, int((until - now).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def _where(deployment: Deployment, now: datetime.datetime) -> str:
    """``at PRODUCTION_TRAFFIC_SHIFT, 10% of production traffic on the new revision, 1/2 running, 1 pending``."""
    parts = [f"at {deployment.stage}"] if deployment.stage else []
    if deployment.production_weight is not None and deployment.strategy != "ROLLING":
        parts.append(f"{deployment.production_weight:g}% of production traffic on the new revision")
    if deployment.stage == "BAKE_TIME" and deployment.bake_minutes is not None and deployment.updated_at is not None:
        end = deployment.updated_at + datetime.timedelta(minutes=int(deployment.bake_minutes))
        parts.append(f"bake {_left(end, now)} left")
    parts.append(f"{deployment.running}/{deployment.requested} running, {deployment.pending} pending")
    return ", ".join(parts)


def standing(deployment: Deployment, now: datetime.datetime) -> Standing:
    """The state a waiter acts on: completed, failed (ECS rolled back, or it was stopped), paused at a PAUSE hook, or
    still waiting; the detail names the stage, traffic, bake left, the hook's expiry and the alarms that fired."""
    where = _where(deployment, now)
    alarms = f"; alarms in ALARM: {', '.join(deployment.alarms)}" if deployment.alarms else ""
    if deployment.status in SUCCEEDED:
        return Standing("completed", f"{deployment.strategy} {deployment.status}: {where}")
    if deployment.status in ROLLED_BACK | STOPPED:
        why = deployment.rollback or deployment.reason or deployment.status
        detail = f"{deployment.strategy} {deployment.status}: {where} ({why}){alarms}"
        if deployment.circuit_breaker == "TRIGGERED":
            detail += "; the circuit breaker triggered"
        return Standing("failed", detail, alarms=deployment.alarms, rollback=deployment.rollback)
    hook = deployment.paused
    if hook is not None:
        expiry = ""
        if hook.expires_at is not None:
            left = _left(hook.expires_at, now)
            expiry = f", expires {hook.expires_at.isoformat()} (in {left}, then {hook.timeout_action})"
        detail = f"{deployment.strategy} paused: {where}; awaiting approval (hook {hook.hook_id}{expiry})"
        return Standing("paused", detail, paused=hook, alarms=deployment.alarms)
    return Standing("waiting", f"{deployment.strategy} {deployment.status}: {where}{alarms}", alarms=deployment.alarms)


def status_entry(deployment: Deployment, state: str, detail: str) -> dict[str, Any]:
    """A service's deployment as ``status --format json`` and the daemon's ``/status`` show it (``state`` and
    ``detail``: where the waiter that read it says it stands)."""
    hook = deployment.paused
    return {
        "arn": deployment.arn,
        "strategy": deployment.strategy,
        "status": deployment.status,
        "stage": deployment.stage,
        "state": state,
        "detail": detail,
        "productionTrafficPercent": deployment.production_weight,
        "awaitingApproval": None if hook is None else hook.as_json(),
        "triggeredAlarms": list(deployment.alarms),
        "rollback": deployment.rollback,
        "targetRevision": deployment.target_revision,
    }
