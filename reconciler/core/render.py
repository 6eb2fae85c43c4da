"""Plan renderers: Terraform-like text, a markdown pull-request comment and machine-readable JSON, all reading the
same Plan object, with the same security findings and cost delta beside it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.core.cost import CostReport, Estimate, ServiceCost
from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.plan import Action, ContinueDeployment, Create, Delete, Order, Plan, Reason, Replace, RunTask
from reconciler.core.redact import MASK
from reconciler.core.security import Finding

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "retag": "~", "run": ">", "continue": ">"}
REASONS = {
    Reason.MISSING: "{address} does not exist",
    Reason.DIFFERS: "live state differs from the manifest",
    Reason.NEW_REVISION: "content differs from the latest ACTIVE revision: register a new revision",
    Reason.TAGS: "only tags differ",
    Reason.ADOPT: "adopt: take ownership",
    Reason.OWNER_MIGRATION: "managed-by names a name this instance had before: retag with its name",
    Reason.IMMUTABLE: "{fields} cannot change in place",
    Reason.LAUNCH_SWITCH: "switching between launchType and capacityProviderStrategy needs a new service",
    Reason.PRUNE: "managed, and no longer in the manifests (--prune)",
    Reason.ROLLBACK: "roll back to the task definition it ran before",
    Reason.HOLD: "record that its revision is held after a failed rollout",
    Reason.PRE_ROLLOUT: "pre-rollout task {family}: must exit 0 before the service moves to {revision}",
    Reason.PAUSED: "its deployment waits at a PAUSE hook: {answer}",
}
"""The human text of each reason (the JSON plan carries the reason's value)."""
ANSWERS = {"CONTINUE": "continue to the next stage", "ROLLBACK": "roll back to the previous service revision"}
"""What each answer to a paused deployment does, in words."""
ORDERS = {Order.DELETE_THEN_CREATE: "delete, then create", Order.CREATE_THEN_DELETE: "create, then delete"}
NO_CHANGES = "No changes. Live ECS matches the manifests."
BLOCKED = "Nothing can be applied: {count} problem{s} below stand{verb} between live ECS and the manifests."
"""Instead of NO_CHANGES when the plan has no action but a blocking note (an unmanaged resource that differs)."""
COLOURS = {
    "create": "32",
    "update": "33",
    "replace": "35",
    "delete": "31",
    "retag": "33",
    "run": "36",
    "continue": "36",
    "note": "33",
    "finding": "31",
}
"""ANSI SGR codes for a terminal: green create, yellow update, magenta replace, red delete."""
COMMENT_MARKER = "<!-- ecs-reconciler-plan -->"
"""First line of the markdown plan: how a CI job finds its own earlier comment to update it in place."""
COMMENT_LIMIT = 65_536
"""GitHub's limit on the length of an issue or pull-request comment, in characters."""
DETAILS_AFTER = 15
"""Diffs longer than this many lines are folded into a collapsible <details> section."""
_TRUNCATION_RESERVE = 2_000
"""Characters kept free for the note that says what was cut."""


@dataclass(frozen=True)
class Where:
    """The target, account and region a plan was made against (shown in every format's header)."""

    account: str | None
    region: str
    target: str | None = None
    """None: the default target (the process's own account and region)."""
    instance: str | None = None
    """The instance the plan is made as (its managed-by name; None: not said)."""

    def __str__(self) -> str:
        where = f"account {self.account or 'unknown'}, region {self.region}"
        if self.instance is not None:
            where += f", instance {self.instance}"
        return f"target {self.target} ({where})" if self.target else where


class Renderer(Protocol):
    def __call__(
        self,
        plan: Plan,
        *,
        findings: Sequence[Finding] = (),
        cost: CostReport | None = None,
        where: Where | None = None,
    ) -> str: ...


def paint(text: str, what: str, colour: bool) -> str:
    """``text`` in the colour for ``what`` (an action, "note" or "finding") when ``colour``, else as it is."""
    return f"\x1b[{COLOURS[what]}m{text}\x1b[0m" if colour else text


def headline(plan: Plan) -> str:
    """The plan's first line: what it would do, or that nothing is to do, or what blocks it."""
    if plan.actions:
        return f"Plan: {summary_line(plan)}."
    blocking = sum(1 for n in plan.notes if n.blocking)
    if blocking:
        return BLOCKED.format(count=blocking, s="s" if blocking != 1 else "", verb="" if blocking != 1 else "s")
    return NO_CHANGES


def reason_text(action: Action) -> str:
    """Why the action is planned, in words; a replace also says what forces it and in which order it runs."""
    fields = ", ".join(action.forced_by) if isinstance(action, Replace) else ""
    family, revision = (action.family, action.for_revision) if isinstance(action, RunTask) else ("", "")
    answer = ANSWERS[action.answer] if isinstance(action, ContinueDeployment) else ""
    text = REASONS[action.reason].format(
        address=action.address, fields=fields, family=family, revision=revision, answer=answer
    )
    if isinstance(action, Replace):
        forced = f"forced by {fields}; " if action.reason is not Reason.IMMUTABLE else ""
        text += f" ({forced}{ORDERS[action.order]})"
    return text


def field_changes(action: Action) -> Iterator[FieldChange]:
    """An action's changes, a created resource's nested values spelled out field by field (as an update's are)."""
    for change in action.changes:
        if change.before is ABSENT and isinstance(action, Create):
            for path, value in _leaves(change.path, change.after):
                yield FieldChange(path, ABSENT, value)
        else:
            yield change


def _leaves(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _leaves(f"{path}.{key}", value[key])
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            yield from _leaves(f"{path}[{index}]", item)
    else:
        yield path, value


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, sort_keys=True, default=str)


def summary_line(plan: Plan) -> str:
    """``1 to create, 2 to update, 0 to replace, 0 to delete``, then retags, tasks to run and paused deployments to
    answer when there are any."""
    s = plan.summary
    line = f"{s['create']} to create, {s['update']} to update, {s['replace']} to replace, {s['delete']} to delete"
    if s["retag"]:
        line += f", {s['retag']} to retag"
    if s["run"]:
        line += f", {s['run']} task{'s' if s['run'] != 1 else ''} to run"
    if s["continue"]:
        line += f", {s['continue']} paused deployment{'s' if s['continue'] != 1 else ''} to answer"
    return line


def money(amount: float, *, signed: bool = False) -> str:
    sign = ("+" if amount >= 0 else "-") if signed else ("-" if amount < 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def estimate_text(estimate: Estimate) -> str:
    """``$18.02``, ``$9.01 to $36.04``, or why there is no figure."""
    if estimate.low is None or estimate.high is None:
        return str(estimate.reason)
    if round(estimate.low, 2) == round(estimate.high, 2):
        return money(estimate.low)
    return f"{money(estimate.low)} to {money(estimate.high)}"


def delta_text(low: float, high: float) -> str:
    if round(low, 2) == round(high, 2):
        return money(low, signed=True)
    return f"{money(low, signed=True)} to {money(high, signed=True)}"


def cost_heading(cost: CostReport) -> str:
    partial = "; partial: only the targeted resources" if cost.partial else ""
    return f"Monthly cost (Fargate prices for {cost.region} as of {cost.prices_date}; 730 hours a month{partial})"


def cost_total(cost: CostReport) -> str:
    unpriced = len(cost.services) - len(cost.priced)
    total = f"Total change: {delta_text(*cost.delta)} a month"
    if unpriced:
        total += f" ({unpriced} service{'s' if unpriced != 1 else ''} without a figure left out)"
    return total


def rollout_text(action: Action) -> str:
    """``CANARY: canary 10% for 5 min, then 100%; bake 15 min; pauses before production traffic, ...``."""
    return f"{action.rollout.strategy}: {action.rollout}" if action.rollout is not None else ""


def _change_lines(change: FieldChange) -> list[str]:
    """Unified-diff lines for one field."""
    if change.before is ABSENT:
        return [f"+ {change.path}: {_value(change.after)}"]
    if change.after is ABSENT:
        return [f"- {change.path}: {_value(change.before)}"]
    if _sensitive_change(change):
        return [f"~ {change.path}: {SENSITIVE_CHANGED}"]
    return [f"- {change.path}: {_value(change.before)}", f"+ {change.path}: {_value(change.after)}"]


SENSITIVE_CHANGED = "(sensitive value changed)"


def _sensitive_change(change: FieldChange) -> bool:
    """Both sides masked: the value changed, and neither may be shown (Terraform's "(sensitive value)")."""
    return bool(change.before == MASK and change.after == MASK)


# --- text ---------------------------------------------------------------------------------------------------------


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
            if change.before is ABSENT:
                lines.append(paint(f"    + {change.path}: {_value(change.after)}", "create", colour))
            elif change.after is ABSENT:
                lines.append(paint(f"    - {change.path}: {_value(change.before)}", "delete", colour))
            elif _sensitive_change(change):
                lines.append(paint(f"    ~ {change.path}: {SENSITIVE_CHANGED}", "update", colour))
            else:
                lines.append(
                    paint(f"    ~ {change.path}: {_value(change.before)} -> {_value(change.after)}", "update", colour)
                )
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
            lines.append(
                f"  {line.address}: {estimate_text(line.before)} -> {estimate_text(line.after)} ({_change(line)})"
            )
        lines.append(f"  {cost_total(cost)}")
    return "\n".join(lines) + "\n"


def findings_heading(findings: Sequence[Finding]) -> str:
    suppressed = sum(1 for f in findings if f.suppressed is not None)
    return f"Security findings: {len(findings) - suppressed} open, {suppressed} suppressed"


def finding_text(finding: Finding) -> str:
    """One line: where, severity, rule, what, and the fix (or the suppression's reason)."""
    if finding.suppressed is not None:
        return f"{finding.file}:{finding.line}: {finding.field}: suppressed [{finding.rule}] ({finding.suppressed})"
    return str(finding)


# --- markdown -----------------------------------------------------------------------------------------------------


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
    lines = [line for change in field_changes(action) for line in _change_lines(change)]
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


def _change(line: ServiceCost) -> str:
    return delta_text(*line.delta) if line.delta is not None else "—"


def _md_cost(cost: CostReport | None) -> str:
    if not cost or not cost.services:
        return ""
    rows = "".join(
        f"| `{c.address}` | {estimate_text(c.before)} | {estimate_text(c.after)} | {_change(c)} |\n"
        for c in cost.services
    )
    table = "| service | before | after | change |\n| --- | --- | --- | --- |\n"
    return f"#### {cost_heading(cost)}\n{table}{rows}\n**{cost_total(cost)}**\n"


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


# --- JSON ---------------------------------------------------------------------------------------------------------


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


RENDERERS: dict[str, Renderer] = {"text": render_text, "markdown": render_markdown, "json": render_json}


# --- several targets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPart:
    """One target's plan and what is shown beside it."""

    plan: Plan
    findings: Sequence[Finding] = ()
    cost: CostReport | None = None
    where: Where | None = None
    warnings: Sequence[str] = ()
    """Shown before the plan (``--target``'s warning)."""


def render_parts(output_format: str, parts: Sequence[PlanPart], *, colour: bool = False) -> str:
    """Plans of several targets in one output, grouped by target: each target's plan in turn under its own header
    (text; markdown in one comment that shares the length limit and carries the marker once), or
    ``{"targets": [plan, ...]}`` (JSON). One target renders exactly as ``RENDERERS`` does, its warnings first
    (``"warnings"`` in JSON)."""
    if output_format == "json":
        plans = [
            {**plan_as_dict(p.plan, findings=p.findings, cost=p.cost, where=p.where), "warnings": list(p.warnings)}
            for p in parts
        ]
        document = plans[0] if len(plans) == 1 else {"targets": plans}
        return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
    if output_format == "markdown":
        limit = COMMENT_LIMIT // max(1, len(parts))
        texts = [
            render_markdown(p.plan, findings=p.findings, cost=p.cost, where=p.where, limit=limit).replace(
                COMMENT_MARKER + "\n", COMMENT_MARKER + "\n" + "".join(f"> **{w}**\n\n" for w in p.warnings), 1
            )
            for p in parts
        ]
        return "".join(t if i == 0 else t.replace(COMMENT_MARKER + "\n", "", 1) for i, t in enumerate(texts))
    return "\n".join(
        "".join(paint(w, "note", colour) + "\n\n" for w in p.warnings)
        + render_text(p.plan, findings=p.findings, cost=p.cost, where=p.where, colour=colour)
        for p in parts
    )
