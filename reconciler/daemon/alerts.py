"""Alerts: what a drift or a broken revision looks like to a human, and the sinks that carry it.

Every alert is a structured log event; configured sinks also get it: SNS (the JSON document as the message) and a
webhook (``reconciler.daemon.webhook``: Slack-compatible JSON, ``text`` for humans, ``ecs_reconciler`` for
machines). A sink is anything with a ``name`` and a ``send(alert)`` that makes one attempt; sinks that talk to the
outside are wrapped in ``reconciler.daemon.delivery.Background``, which queues, retries and drops (counted) without
ever holding a pass. Values come from plans, which hold redacted values only; a sink that fails is logged and
never fails the pass.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol

import structlog

from reconciler.aws import Aws
from reconciler.core.errors import ReconcilerError
from reconciler.core.redact import Masker
from reconciler.daemon.drift import DriftEvent, FieldDrift

log = structlog.get_logger("reconciler.alerts")

AlertKind = Literal[
    "drift",
    "resolved",
    "invalid",
    "refused",
    "applied",
    "deployment_paused",
    "rollout_completed",
    "rollout_failed",
    "rollback",
    "apply_failed",
    "error",
]
LEVELS: dict[str, str] = {
    "apply_failed": "error",
    "error": "error",
    "applied": "info",
    "rollout_completed": "info",
    "rollout_failed": "error",
    "rollback": "error",
}
"""Log level of each alert kind (the others: warning)."""


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    """drift (new or changed), resolved (a drift is gone), invalid (a revision failed to load), refused (a plan
    the safety rules refuse), applied (a pass applied a git revision), deployment_paused (a service's deployment
    waits at a PAUSE hook for an approval), rollout_completed / rollout_failed (a service's deployment after a pass
    changed it), rollback (a failed revision's services returned to the last revision that rolled out completely),
    apply_failed (AWS refused a resource's change: sent once per resource and desired content), error (a bug: an
    unexpected exception, sent once per distinct error)."""
    summary: str
    revision: str | None
    resource: str | None = None
    action: str | None = None
    fields: tuple[FieldDrift, ...] = ()
    healed: bool | None = None
    """Drift only: True when this pass applied the manifest over it (enforce), False when it was left (detect)."""
    errors: tuple[str, ...] = ()
    task_definition: str | None = None
    """Rollouts: the ``family:revision`` the service was rolling out."""
    events: tuple[str, ...] = ()
    """Rollouts: the service's most recent events, newest first."""
    unhealthy_targets: tuple[str, ...] = ()
    """Failed rollouts: the service's load balancer targets that are not healthy, with ELB's reasons."""
    target: str | None = None
    """The target (account and region) the alert is about; None for the default target."""
    deployment: str | None = None
    """Rollouts: the ServiceDeployment's ARN, when ECS names one."""
    stage: str | None = None
    """Rollouts: the lifecycle stage the deployment was at."""
    hook: str | None = None
    """deployment_paused: the PAUSE hook awaiting an approval."""
    expires_at: str | None = None
    """deployment_paused: when the hook expires (ISO 8601) and ECS takes its timeout action."""
    triggered_alarm_names: tuple[str, ...] = ()
    """Failed rollouts: the CloudWatch alarms that fired (``alarms.triggeredAlarmNames``)."""
    rollback: str | None = None
    """Failed rollouts: why ECS rolled the deployment back (``rollback.reason``), when it did."""
    code: str | None = None
    """apply_failed: AWS's error code (``InvalidParameterException``)."""

    @property
    def level(self) -> str:
        return LEVELS.get(self.kind, "warning")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def drift_alert(event: DriftEvent, *, revision: str | None, healed: bool) -> Alert:
    drift = event.drift
    if event.status == "resolved":
        return Alert(
            "resolved",
            f"drift resolved: {drift.address} matches the manifests again",
            revision,
            resource=str(drift.address),
        )
    if drift.suspended is not None:
        healed = False
        outcome = f"left in place (suspended: {drift.suspended})"
    else:
        outcome = "healed" if healed else "left in place (detect mode)"
    return Alert(
        "drift",
        f"drift on {drift.address}: {drift.reason}; {outcome}",
        revision,
        resource=str(drift.address),
        action=drift.action,
        fields=drift.fields,
        healed=healed,
    )


def text_of(alert: Alert) -> str:
    """The alert for humans (Slack's ``text``)."""
    source = f"ecs-reconciler, target {alert.target}" if alert.target else "ecs-reconciler"
    lines = [f"[{source}] {alert.summary}" + (f" (revision {alert.revision})" if alert.revision else "")]
    lines += [
        f"• {f.path}: desired {json.dumps(f.desired, default=str)}, live {json.dumps(f.live, default=str)}"
        for f in alert.fields
    ]
    lines += [f"• {e}" for e in alert.errors]
    lines += [f"• event: {e}" for e in alert.events]
    return "\n".join(lines)


class Sink(Protocol):
    """Where alerts go: ``send`` makes one attempt and raises (OSError, a ReconcilerError) when it fails."""

    name: str

    def send(self, alert: Alert) -> None: ...


class SnsSink:
    name = "sns"

    def __init__(self, aws: Aws, topic_arn: str) -> None:
        self._aws = aws
        self._topic = topic_arn

    def send(self, alert: Alert) -> None:
        where = f" [{alert.target}]" if alert.target else ""
        subject = f"ecs-reconciler{where} {alert.kind}: {alert.resource or alert.revision or ''}"
        self._aws.call(
            "sns",
            "Publish",
            self._topic,
            TopicArn=self._topic,
            Subject=subject.encode("ascii", "replace").decode()[:100],
            Message=json.dumps(alert.as_dict(), default=str),
        )


class Alerter:
    """Logs every alert (unless ``logged`` is off: a sink already shows it on the terminal, as the demo's does) and
    hands it to each sink, the sensitive variables' values masked first (``mask``); ``target``: the target every
    alert it sends is about."""

    def __init__(
        self, sinks: list[Sink], *, target: str | None = None, mask: Masker | None = None, logged: bool = True
    ) -> None:
        self.sinks = sinks
        self.target = target
        self.mask = mask or Masker()
        self.logged = logged

    def for_target(self, target: str | None) -> Alerter:
        """The same sinks, each alert marked with ``target`` (None: the default target, unmarked)."""
        return Alerter(self.sinks, target=target, mask=self.mask, logged=self.logged)

    def send(self, alert: Alert) -> None:
        if self.target is not None:
            alert = replace(alert, target=self.target)
        alert = self.mask.value(alert)
        if self.logged:
            getattr(log, alert.level)("alert", **alert.as_dict())
        for sink in self.sinks:
            try:
                sink.send(alert)
            except (OSError, ReconcilerError) as exc:
                log.error("alert not delivered", sink=sink.name, kind=alert.kind, error=self.mask.text(str(exc)))
