"""The markdown plan: a pull-request comment that stays under GitHub's length limit, cutting diffs (last first)
and saying which."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reconciler.core.cost import CostReport
from reconciler.core.plan import Action, Delete, Plan
from reconciler.core.render.words import (
    NO_CHANGES,
    SYMBOLS,
    Where,
    change_lines,
    cost_cells,
    cost_heading,
    cost_total,
    field_changes,
    findings_heading,
    headline,
    reason_text,
    rollout_text,
)
from reconciler.core.security import Finding

COMMENT_MARKER = "<!-- ecs-reconciler-plan -->"
"""First line of the markdown plan: how a CI job finds its own earlier comment to update it in place."""
COMMENT_LIMIT = 65_536
"""GitHub's limit on the length of an issue or pull-request comment, in characters."""
DETAILS_AFTER = 15
"""Diffs longer than this many lines are folded into a collapsible <details> section."""
_TRUNCATION_RESERVE = 2_000
"""Characters kept free for the note that says what was cut."""


def _fence(body: str, info: str = "") -> str:
    """A fenced code block whose fence is longer than any run of backticks inside."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_action(action: Action) -> str:
    title = f"#### `{SYMBOLS[action.verb]}` {action.verb} `{action.address}`\n{_cell(reason_text(action))}\n\n"
    if action.rollout is not None:
        title += f"**Rollout** {_cell(rollout_text(action))}\n\n"
    lines = [line for change in field_changes(action) for _, line in change_lines(change, split=True)]
    if isinstance(action, Delete):
        lines = [f"- {action.address}"]
    block = _fence("\n".join(lines), "diff")
    if len(lines) > DETAILS_AFTER:
        block = f"<details><summary>{len(action.changes)} fields</summary>\n\n{block}\n</details>\n"
    return title + block + "\n"


def _md_notes(plan: Plan) -> str:
    if not plan.notes:
        return ""
    return "#### Notes\n" + "".join(f"- {_cell(n.message)}\n" for n in plan.notes) + "\n"


def _md_finding_row(f: Finding) -> str:
    where = f"`{f.file}:{f.line}` `{f.field}`"
    severity, advice = ("suppressed", f.suppressed) if f.suppressed is not None else (f.severity, f.fix)
    return f"| {severity} | `{f.rule}` | {_cell(str(f.address))} | {where} | {_cell(f.message)} | {_cell(advice)} |\n"


_FINDINGS_TABLE = (
    "| severity | rule | resource | where | finding | fix (or reason) |\n| --- | --- | --- | --- | --- | --- |\n"
)


def _md_cost(cost: CostReport | None) -> str:
    if not cost or not cost.services:
        return ""
    rows = "".join(f"| `{c.address}` | {' | '.join(cost_cells(c))} |\n" for c in cost.services)
    table = "| service | before | after | change |\n| --- | --- | --- | --- |\n"
    notes = "".join(f"- {note}\n" for note in cost.notes)
    return f"#### {cost_heading(cost)}\n{table}{rows}\n**{cost_total(cost)}**\n{notes}"


def _fit(parts: Sequence[str], budget: int) -> int:
    """How many of ``parts``, in order, fit in ``budget`` characters."""
    used = 0
    for count, part in enumerate(parts):
        used += len(part)
        if used > budget:
            return count
    return len(parts)


def render_markdown(
    plan: Plan,
    *,
    findings: Sequence[Finding] = (),
    cost: CostReport | None = None,
    where: Where | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """A pull-request comment: summary, one section per changed resource with its diff, notes, findings, cost.
    Never longer than ``limit``: diffs that do not fit are cut (last first) and the comment says which."""
    summary = f"**{headline(plan)}**" if plan.pending else NO_CHANGES
    context = f" for {where}" if where is not None else ""
    head = f"{COMMENT_MARKER}\n### ecs-reconciler plan{context}\n\n{summary}\n\n"
    sections = [_md_action(a) for a in plan.actions]
    rows = [_md_finding_row(f) for f in findings]
    security_head = f"#### {findings_heading(findings)}\n{_FINDINGS_TABLE}" if findings else ""
    tail = _md_notes(plan) + _md_cost(cost)
    whole = head + "".join(sections) + security_head + "".join(rows) + ("\n" if rows else "") + tail
    if len(whole) <= limit:
        return whole
    budget = limit - len(head) - len(tail) - len(security_head) - _TRUNCATION_RESERVE
    kept_rows = _fit(rows, budget // 2)
    security = security_head + "".join(rows[:kept_rows])
    if kept_rows < len(rows):
        security += f"\n_{len(rows) - kept_rows} more findings not shown; run `ecs-reconciler validate` for all._\n"
    budget -= len(security) - len(security_head)
    kept = _fit(sections, budget)
    cut = [f"`{a.address}`" for a in plan.actions[kept:]]
    named = cut[: _fit([c + ", " for c in cut], _TRUNCATION_RESERVE // 2)]
    more = f" and {len(cut) - len(named)} more" if len(named) < len(cut) else ""
    note = (
        f"> **Truncated** to stay under GitHub's {limit:,}-character comment limit: the diffs of {len(cut)} of "
        f"{len(sections)} resources are not shown ({', '.join(named)}{more}). "
        "Run `ecs-reconciler plan` for the full plan.\n\n"
    )
    return head + "".join(sections[:kept]) + note + security + ("\n" if rows else "") + tail
