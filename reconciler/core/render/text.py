"""The Terraform-like text plan, for a terminal or a log."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.cost import CostReport
from reconciler.core.plan import Plan
from reconciler.core.render.words import (
    SYMBOLS,
    Where,
    change_lines,
    cost_cells,
    cost_heading,
    cost_total,
    field_changes,
    finding_text,
    findings_heading,
    headline,
    paint,
    reason_text,
    rollout_text,
)
from reconciler.core.security import Finding


def render_text(
    plan: Plan,
    *,
    findings: Sequence[Finding] = (),
    cost: CostReport | None = None,
    where: Where | None = None,
    colour: bool = False,
) -> str:
    """Terraform-like: one block per action with ``+ ~ -`` field lines, then notes, findings and cost. ``colour``
    adds ANSI colours (for a terminal)."""
    lines: list[str] = []
    if where is not None:
        lines.append(f"Planned against {where}.")
    lines.append(headline(plan))
    for action in plan.actions:
        lines.append("")
        lines.append(
            paint(f"{SYMBOLS[action.verb]} {action.address}", action.verb, colour) + f"  ({reason_text(action)})"
        )
        if action.rollout is not None:
            lines.append(f"    rollout: {rollout_text(action)}")
        for change in field_changes(action):
            lines.extend(paint(f"    {line}", what, colour) for what, line in change_lines(change))
    if plan.notes:
        lines.append("")
        lines.extend(paint(f"! {note.message}", "note", colour) for note in plan.notes)
    if findings:
        lines.append("")
        lines.append(findings_heading(findings) + ":")
        lines.extend(
            "  " + (finding_text(f) if f.suppressed is not None else paint(finding_text(f), "finding", colour))
            for f in findings
        )
    if cost and cost.services:
        lines.append("")
        lines.append(cost_heading(cost) + ":")
        for line in cost.services:
            before, after, delta = cost_cells(line)
            lines.append(f"  {line.address}: {before} -> {after} ({delta})")
        lines.append(f"  {cost_total(cost)}")
        lines.extend(f"  {note}" for note in cost.notes)
    return "\n".join(lines) + "\n"
