"""Drift bookkeeping, pure: alert once per distinct drift, again if it changes, "resolved" when it is gone.

A drift is a difference found by a pass whose manifests did not change since live state last matched them: someone
changed ECS outside git. The loop decides which passes count; this module only compares drift sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.core.diff import ABSENT
from reconciler.core.model import Address
from reconciler.core.plan import SUSPEND_ANNOTATION, Changing, ContinueDeployment, Plan, RunTask, StopDeployment
from reconciler.core.render import reason_text


@dataclass(frozen=True)
class FieldDrift:
    """One field that differs; values are already redacted by the plan (None means absent)."""

    path: str
    desired: Any
    live: Any


@dataclass(frozen=True)
class Drift:
    """One resource that differs from its manifest."""

    address: Address
    action: str
    """What the plan does about it: update, create (deleted out of band), replace, delete (with --prune)."""
    reason: str
    fields: tuple[FieldDrift, ...]
    suspended: str | None = None
    """The reason given by the resource's ``ecs-reconciler/suspend`` annotation: the drift is reported, not healed."""


@dataclass(frozen=True)
class DriftEvent:
    status: Literal["detected", "resolved"]
    drift: Drift


def _plain(value: Any) -> Any:
    return None if value is ABSENT else value


def drifts_in(plan: Plan) -> dict[Address, Drift]:
    """Each action of a plan, held ones (suspended resources) included, as a drift of its resource."""
    return {
        a.address: Drift(
            a.address,
            a.verb,
            reason_text(a),
            tuple(FieldDrift(c.path, _plain(c.after), _plain(c.before)) for c in a.changes),
            a.resource.annotations.get(SUSPEND_ANNOTATION) if held and isinstance(a, Changing) else None,
        )
        for held, actions in ((False, plan.actions), (True, plan.held))
        for a in actions
        if not isinstance(a, RunTask | ContinueDeployment | StopDeployment)
    }


def track(
    open_drifts: Mapping[Address, Drift], found: Mapping[Address, Drift]
) -> tuple[dict[Address, Drift], list[DriftEvent]]:
    """The drifts now open, and the events to alert: new or changed drifts, and resolved ones."""
    events = [DriftEvent("detected", d) for a, d in sorted(found.items()) if open_drifts.get(a) != d]
    events += [DriftEvent("resolved", d) for a, d in sorted(open_drifts.items()) if a not in found]
    return dict(found), events
