"""Prometheus metrics: the daemon's metric families, in a registry of their own (served by
``reconciler.daemon.http``)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from reconciler.core.errors import AwsError


class Metrics:
    """The daemon's metric families, in a registry of their own (no process-global state). Every series carries the
    ``target`` it is about (``default`` for the process's own account and region); each target's daemon writes
    through its own ``for_target`` view."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        t = ["target"]
        self.passes = Counter("ecs_reconciler_passes", "Passes by result.", [*t, "result"], registry=r)
        self.pass_duration = Histogram(
            "ecs_reconciler_pass_duration_seconds",
            "Time a pass takes, reading the manifests to the last write.",
            t,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.drifted = Gauge(
            "ecs_reconciler_drifted_resources", "Resources found drifted and not healed.", t, registry=r
        )
        self.revision = Info("ecs_reconciler_applied_revision", "The revision live state last matched.", t, registry=r)
        self.last_success = Gauge(
            "ecs_reconciler_last_success_timestamp_seconds", "Unix time of the last successful pass.", t, registry=r
        )
        self.aws_calls = Counter(
            "ecs_reconciler_aws_calls", "AWS call attempts by operation.", [*t, "service", "operation"], registry=r
        )
        self.aws_errors = Counter(
            "ecs_reconciler_aws_errors",
            "Failed AWS call attempts.",
            [*t, "service", "operation", "code"],
            registry=r,
        )
        self.leader = Gauge(
            "ecs_reconciler_leader",
            "1 while this replica acts for the target: it holds the target's lease, or no lease table is used (a "
            "single replica always acts); 0 on a standby.",
            t,
            registry=r,
        )
        self.rollouts = Counter(
            "ecs_reconciler_rollouts",
            "Service rollouts followed, by outcome (completed, failed, stuck).",
            [*t, "outcome"],
            registry=r,
        )
        self.rollbacks = Counter(
            "ecs_reconciler_rollbacks", "Revisions rolled back after a failed rollout.", t, registry=r
        )
        self.held = Gauge(
            "ecs_reconciler_revision_held", "1 while a git revision is held after a failed rollout.", t, registry=r
        )
        self.suspended = Gauge(
            "ecs_reconciler_suspended_resources", "Resources whose healing is suspended by annotation.", t, registry=r
        )
        self.errors = Counter(
            "ecs_reconciler_errors",
            "Failures by class (retryable, terminal, bug) and where (apply: an action; pass: the pass itself).",
            [*t, "class", "where"],
            registry=r,
        )
        self.failing = Gauge(
            "ecs_reconciler_failing_resources",
            "Resources whose last apply failed, waiting for a retry or a change.",
            t,
            registry=r,
        )
        self.alerts_dropped = Counter(
            "ecs_reconciler_alerts_dropped",
            "Alerts a sink never delivered (its queue was full, every attempt failed, or shutdown came first).",
            [*t, "sink"],
            registry=r,
        )
        self.targets_held = Gauge(
            "ecs_reconciler_targets_held", "Targets whose lease this replica holds (with a lease table).", registry=r
        )
        self.replicas_live = Gauge(
            "ecs_reconciler_replicas_live", "Replicas sharing the lease table, this one included.", registry=r
        )

    def for_target(self, target: str) -> TargetMetrics:
        return TargetMetrics(self, target)


class _Labelled:
    """A metric family with its ``target`` label already given: ``labels`` takes the remaining ones."""

    def __init__(self, family: Any, target: str) -> None:
        self._family, self._target = family, target

    def labels(self, *values: str) -> Any:
        return self._family.labels(self._target, *values)


class TargetMetrics:
    """The metrics of one target, as its daemon writes them (the same names as ``Metrics``, target label given)."""

    def __init__(self, metrics: Metrics, target: str) -> None:
        self.target = target
        self.registry = metrics.registry
        self.passes = _Labelled(metrics.passes, target)
        self.pass_duration = metrics.pass_duration.labels(target)
        self.drifted = metrics.drifted.labels(target)
        self.revision = metrics.revision.labels(target)
        self.last_success = metrics.last_success.labels(target)
        self.aws_calls = _Labelled(metrics.aws_calls, target)
        self.aws_errors = _Labelled(metrics.aws_errors, target)
        self.leader = metrics.leader.labels(target)
        self.rollouts = _Labelled(metrics.rollouts, target)
        self.rollbacks = metrics.rollbacks.labels(target)
        self.held = metrics.held.labels(target)
        self.suspended = metrics.suspended.labels(target)
        self.errors = _Labelled(metrics.errors, target)
        self.failing = metrics.failing.labels(target)

    def observe_call(self, service: str, operation: str, error: AwsError | None) -> None:
        """An ``Aws.listeners`` hook."""
        self.aws_calls.labels(service, operation).inc()
        if error is not None:
            self.aws_errors.labels(service, operation, error.code).inc()
