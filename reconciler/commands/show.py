"""`show PLANFILE`: plan again, read-only, with what a saved plan records, print that plan and say whether it still
matches the saved one (exit 0 it does, 1 it does not or an error)."""

from __future__ import annotations

import json
import sys

from reconciler.commands import EXIT_ERROR, EXIT_OK, planfile
from reconciler.commands.common import colour_wanted, open_pipeline, plan_parts, shown_parts, where_of, write
from reconciler.core.errors import UsageError
from reconciler.core.render import render_parts
from reconciler.core.settings import Settings


def show(file: str, settings: Settings, *, embedded: bool, output_format: str, output: str | None) -> int:
    saved = planfile.read(file)
    if saved is None:
        raise UsageError(f"{file} is not a saved plan (`plan --out FILE` writes one)")
    with open_pipeline(planfile.settings_for(saved, settings), embedded=embedded) as pipeline:
        reason = planfile.wrong_place(saved, where_of(pipeline))
        if reason is not None:  # another account or region: nothing of it is read
            reasons, text = [reason], ""
        else:
            parts = plan_parts(pipeline, saved.path, saved.selectors)
            if len(parts) != 1:
                raise UsageError(f"{saved.path} now holds {len(parts)} targets; a saved plan covers one")
            reasons = planfile.stale(saved, parts[0].planned, parts[0].where)
            colour = output_format == "text" and output is None and colour_wanted()
            text = render_parts(output_format, shown_parts(parts, saved.selectors), colour=colour)
    verdict = (
        f"The saved plan {file} still matches: `ecs-reconciler apply {file}` applies exactly this plan."
        if not reasons
        else f"The saved plan {file} no longer matches; apply would refuse it: {'; '.join(reasons)}."
    )
    if output_format == "json":
        document = json.loads(text) if text else {}
        document["saved_plan"] = {"file": file, "matches": not reasons, "reasons": reasons}
        write(json.dumps(document, indent=2, default=str) + "\n", output)
    else:
        write(text + ("\n" if text else "") + verdict + "\n", output)
    if output_format != "text" or output is not None:
        print(verdict, file=sys.stderr)
    return EXIT_ERROR if reasons else EXIT_OK
