"""`plan`: the pipeline up to the plan, rendered (grouped by target); exit 0 no changes, 2 changes pending, 1 error."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from reconciler.commands import EXIT_CHANGES, EXIT_OK, planfile
from reconciler.commands.common import colour_wanted, open_pipeline, plan_parts, shown_parts, write
from reconciler.core.errors import UsageError
from reconciler.core.render import render_parts
from reconciler.core.settings import Settings


def plan(
    path: str,
    settings: Settings,
    *,
    embedded: bool,
    output_format: str,
    output: str | None,
    selectors: Sequence[str] = (),
    save: str | None = None,
    var_files: Sequence[str] = (),
) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        planned = plan_parts(pipeline, path, selectors)
        if save is not None and len(planned) > 1:
            raise UsageError("--out saves the plan of one target; plan each target's folder on its own to save it")
        parts = shown_parts(planned, selectors)
    colour = output_format == "text" and output is None and colour_wanted()
    write(pipeline.masker.text(render_parts(output_format, parts, colour=colour)), output)
    if save is not None:
        only = planned[0]
        planfile.save(
            save,
            only.planned,
            settings=settings,
            manifests_path=path,
            selectors=selectors,
            var_files=var_files,
            where=only.where,
        )
        print(f"Plan saved to {save}; `ecs-reconciler apply {save}` applies exactly this plan.", file=sys.stderr)
    return EXIT_CHANGES if any(one.planned.plan.pending for one in planned) else EXIT_OK
