"""An error as the JSON document ``--format json`` prints on standard output (besides the line on standard error), so
a script reading stdout learns why there is no plan:

    {"error": {"type": "manifest", "message": "...", "file": "app.yaml", "line": 7, "field": "spec.cluster",
               "problems": [{"file": ..., "line": ..., "field": ..., "message": ...}, ...]}}

``type`` is ``usage`` (a bad command line), ``manifest`` (invalid manifests: every problem in ``problems``, the first
one's file, line and field also at the top), ``aws`` (an AWS call failed: ``operation``, ``resource``, ``code``,
``retryable``), ``plan`` (the plan cannot be made or applied safely) or ``error`` (anything else the tool refuses).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.errors import AwsError, InvalidManifests, ManifestError, PlanError, RetryableAwsError, UsageError


def _problem(error: ManifestError) -> dict[str, Any]:
    return {"file": error.file, "line": error.line, "field": error.field, "message": error.message}


def error_document(error: Exception | str) -> dict[str, Any]:
    """The ``{"error": {...}}`` document of ``error``; a string is a usage error's message (argparse's)."""
    if isinstance(error, str):
        return {"error": {"type": "usage", "message": error}}
    body: dict[str, Any]
    if isinstance(error, InvalidManifests | ManifestError):
        problems = error.errors if isinstance(error, InvalidManifests) else [error]
        count = len(problems)
        first = _problem(problems[0]) if problems else {}
        body = {
            "type": "manifest",
            "message": f"invalid manifests ({count} problem{'s' if count != 1 else ''})",
            **{key: first[key] for key in ("file", "line", "field") if key in first},
            "problems": [_problem(p) for p in problems],
        }
    elif isinstance(error, AwsError):
        body = {
            "type": "aws",
            "message": str(error),
            "operation": error.operation,
            "resource": error.resource,
            "code": error.code,
            "retryable": isinstance(error, RetryableAwsError),
        }
    else:
        kind = "usage" if isinstance(error, UsageError) else "plan" if isinstance(error, PlanError) else "error"
        body = {"type": kind, "message": str(error)}
    return {"error": body}


def error_json(error: Exception | str) -> str:
    """``error_document`` as text, one document and a newline."""
    return json.dumps(error_document(error), indent=2) + "\n"
