"""What every plan format says alike: the action symbols and reasons in words, the headline and summary line, a
field's value, the finding and cost lines, and where a plan was made (``Where``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.core.cost import CostReport, Estimate, ServiceCost
from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.plan import Action, ContinueDeployment, Create, Order, Plan, Reason, Replace, RunTask
from reconciler.core.redact import MASK
from reconciler.core.security import Finding

SYMBOLS = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    "retag": "~",
    "run": ">",
    "continue": ">",
    "stop": "<",
}
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
    Reason.IN_PROGRESS: "its deployment is in progress: ECS rolls it back to the revision it replaced",
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
    "stop": "31",
    "note": "33",
    "finding": "31",
}
"""ANSI SGR codes for a terminal: green create, yellow update, magenta replace, red delete."""
SENSITIVE_CHANGED = "(sensitive value changed)"


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


def value_text(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, sort_keys=True, default=str)


def sensitive_change(change: FieldChange) -> bool:
    """Both sides masked: the value changed, and neither may be shown (Terraform's "(sensitive value)")."""
    return bool(change.before == MASK and change.after == MASK)


def change_lines(change: FieldChange, *, split: bool = False) -> list[tuple[str, str]]:
    """One field change as lines, each with what it is painted as: ``+ path: after`` (create), ``- path: before``
    (delete), ``~ path: (sensitive value changed)`` or ``~ path: before -> after`` (update). ``split``: a changed
    value as a ``-`` line, then a ``+`` line (a unified diff)."""
    if change.before is ABSENT:
        return [("create", f"+ {change.path}: {value_text(change.after)}")]
    if change.after is ABSENT:
        return [("delete", f"- {change.path}: {value_text(change.before)}")]
    if sensitive_change(change):
        return [("update", f"~ {change.path}: {SENSITIVE_CHANGED}")]
    if split:
        return [
            ("delete", f"- {change.path}: {value_text(change.before)}"),
            ("create", f"+ {change.path}: {value_text(change.after)}"),
        ]
    return [("update", f"~ {change.path}: {value_text(change.before)} -> {value_text(change.after)}")]


def summary_line(plan: Plan) -> str:
    """``1 to create, 2 to update, 0 to replace, 0 to delete``, then retags, tasks to run, paused deployments to
    answer and deployments in progress to roll back when there are any."""
    s = plan.summary
    line = f"{s['create']} to create, {s['update']} to update, {s['replace']} to replace, {s['delete']} to delete"
    if s["retag"]:
        line += f", {s['retag']} to retag"
    if s["run"]:
        line += f", {s['run']} task{'s' if s['run'] != 1 else ''} to run"
    if s["continue"]:
        line += f", {s['continue']} paused deployment{'s' if s['continue'] != 1 else ''} to answer"
    if s["stop"]:
        line += f", {s['stop']} deployment{'s' if s['stop'] != 1 else ''} in progress to roll back"
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


def cost_cells(line: ServiceCost) -> tuple[str, str, str]:
    """One service's monthly cost before, after, and the change (``—`` without a figure on both sides)."""
    change = delta_text(*line.delta) if line.delta is not None else "—"
    return estimate_text(line.before), estimate_text(line.after), change


def rollout_text(action: Action) -> str:
    """``CANARY: canary 10% for 5 min, then 100%; bake 15 min; pauses before production traffic, ...``."""
    return f"{action.rollout.strategy}: {action.rollout}" if action.rollout is not None else ""


def findings_heading(findings: Sequence[Finding]) -> str:
    suppressed = sum(1 for f in findings if f.suppressed is not None)
    return f"Security findings: {len(findings) - suppressed} open, {suppressed} suppressed"


def finding_text(finding: Finding) -> str:
    """One line: where, severity, rule, what, and the fix (or the suppression's reason)."""
    if finding.suppressed is not None:
        return f"{finding.file}:{finding.line}: {finding.field}: suppressed [{finding.rule}] ({finding.suppressed})"
    return str(finding)
