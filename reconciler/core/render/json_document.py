"""The machine-readable plan: one JSON document with the changes, notes, security findings and cost."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.core.cost import CostReport, Estimate
from reconciler.core.diff import ABSENT
from reconciler.core.plan import Action, Plan, Replace
from reconciler.core.render.words import Where, reason_text
from reconciler.core.security import Finding


def _json_value(value: Any) -> Any:
    return None if value is ABSENT else value


def _estimate_dict(estimate: Estimate) -> dict[str, Any]:
    return {"low": estimate.low, "high": estimate.high, "reason": estimate.reason}


def _action_dict(action: Action) -> dict[str, Any]:
    """One action: what, where, why (the reason's stable value and its text), how it rolls out, the diff; a replace
    its order and the fields that force it."""
    rollout = action.rollout
    out: dict[str, Any] = {
        "action": action.verb,
        "kind": action.address.kind,
        "name": action.address.name,
        "scope": action.address.scope,
        "reason": action.reason.value,
        "reasonText": reason_text(action),
        "rollout": None
        if rollout is None
        else {"strategy": rollout.strategy, "steps": list(rollout.steps), "text": str(rollout)},
        "diff": [
            {"path": c.path, "before": _json_value(c.before), "after": _json_value(c.after)} for c in action.changes
        ],
    }
    if isinstance(action, Replace):
        out["order"] = action.order.value
        out["forcedBy"] = list(action.forced_by)
    return out


def plan_as_dict(
    plan: Plan, *, findings: Sequence[Finding] = (), cost: CostReport | None = None, where: Where | None = None
) -> dict[str, Any]:
    return {
        "target": where.target if where is not None else None,
        "account": where.account if where is not None else None,
        "region": where.region if where is not None else None,
        "instance": where.instance if where is not None else None,
        "changes": [_action_dict(a) for a in plan.actions],
        "summary": plan.summary,
        "notes": [{"message": n.message, "blocking": n.blocking} for n in plan.notes],
        "security": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "kind": f.address.kind,
                "name": f.address.name,
                "scope": f.address.scope,
                "file": f.file,
                "line": f.line,
                "field": f.field,
                "message": f.message,
                "fix": f.fix,
                "suppressed": f.suppressed,
            }
            for f in findings
        ],
        "cost": None
        if cost is None
        else {
            "region": cost.region,
            "pricesDate": cost.prices_date,
            "currency": "USD",
            "period": "month",
            "services": [
                {
                    "name": c.address.name,
                    "scope": c.address.scope,
                    "before": _estimate_dict(c.before),
                    "after": _estimate_dict(c.after),
                }
                for c in cost.services
            ],
            "partial": cost.partial,
            "notes": list(cost.notes),
            "delta": {
                "low": cost.delta[0],
                "high": cost.delta[1],
                "servicesLeftOut": len(cost.services) - len(cost.priced),
            },
        },
    }


def render_json(
    plan: Plan, *, findings: Sequence[Finding] = (), cost: CostReport | None = None, where: Where | None = None
) -> str:
    document = plan_as_dict(plan, findings=findings, cost=cost, where=where)
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
