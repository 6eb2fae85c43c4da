"""Plan renderers: Terraform-like text, a markdown pull-request comment and machine-readable JSON, all reading the
same Plan object, with the same security findings and cost delta beside it. One module per format; ``words`` holds
what they say alike, ``parts`` the formats by name and several targets' plans in one output."""

from reconciler.core.render.json_document import plan_as_dict, render_json
from reconciler.core.render.markdown import COMMENT_LIMIT, COMMENT_MARKER, render_markdown
from reconciler.core.render.parts import RENDERERS, PlanPart, Renderer, render_parts
from reconciler.core.render.text import render_text
from reconciler.core.render.words import (
    Where,
    field_changes,
    finding_text,
    findings_heading,
    paint,
    reason_text,
    summary_line,
)

__all__ = [
    "COMMENT_LIMIT",
    "COMMENT_MARKER",
    "RENDERERS",
    "PlanPart",
    "Renderer",
    "Where",
    "field_changes",
    "finding_text",
    "findings_heading",
    "paint",
    "plan_as_dict",
    "reason_text",
    "render_json",
    "render_markdown",
    "render_parts",
    "render_text",
    "summary_line",
]
