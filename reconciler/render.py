"""Plan renderers: Terraform-like text and machine-readable JSON, both reading the same Plan object."""

from __future__ import annotations

import json
from typing import Any

from reconciler.diff import ABSENT
from reconciler.plan import Plan

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, sort_keys=True, default=str)


def summary_line(plan: Plan) -> str:
    s = plan.summary
    return f"{s['create']} to create, {s['update']} to update, {s['replace']} to replace, {s['delete']} to delete"


def render_text(plan: Plan) -> str:
    """Terraform-like: one block per action with ``+ ~ -`` field lines, then notes."""
    lines: list[str] = []
    if not plan.actions:
        lines.append("No changes. Live ECS matches the manifests.")
    else:
        lines.append(f"Plan: {summary_line(plan)}.")
    for action in plan.actions:
        lines.append("")
        lines.append(f"{SYMBOLS[action.action]} {action.address}  ({action.reason})")
        for change in action.changes:
            if change.before is ABSENT:
                lines.append(f"    + {change.path}: {_value(change.after)}")
            elif change.after is ABSENT:
                lines.append(f"    - {change.path}: {_value(change.before)}")
            else:
                lines.append(f"    ~ {change.path}: {_value(change.before)} -> {_value(change.after)}")
    if plan.notes:
        lines.append("")
        lines.extend(f"! {note.message}" for note in plan.notes)
    return "\n".join(lines) + "\n"


def _json_value(value: Any) -> Any:
    return None if value is ABSENT else value


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    return {
        "changes": [
            {
                "action": a.action,
                "kind": a.address.kind,
                "name": a.address.name,
                "cluster": a.address.cluster,
                "reason": a.reason,
                "diff": [
                    {"path": c.path, "before": _json_value(c.before), "after": _json_value(c.after)} for c in a.changes
                ],
            }
            for a in plan.actions
        ],
        "summary": plan.summary,
        "notes": [{"message": n.message, "blocking": n.blocking} for n in plan.notes],
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_as_dict(plan), indent=2, sort_keys=False, default=str) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
