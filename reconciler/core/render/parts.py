"""The formats by name, and the plans of several targets in one output."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from reconciler.core.cost import CostReport
from reconciler.core.plan import Plan
from reconciler.core.render.json_document import plan_as_dict, render_json
from reconciler.core.render.markdown import COMMENT_LIMIT, COMMENT_MARKER, render_markdown
from reconciler.core.render.text import render_text
from reconciler.core.render.words import Where, paint
from reconciler.core.security import Finding


class Renderer(Protocol):
    def __call__(
        self,
        plan: Plan,
        *,
        findings: Sequence[Finding] = (),
        cost: CostReport | None = None,
        where: Where | None = None,
    ) -> str: ...


RENDERERS: dict[str, Renderer] = {"text": render_text, "markdown": render_markdown, "json": render_json}


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
