"""`plan`: the pipeline up to the plan, rendered; exit 0 no changes, 2 changes pending, 1 error."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence

from reconciler.commands import EXIT_CHANGES, EXIT_OK, planfile
from reconciler.commands.common import colour_wanted, pipeline, plan_targeted, where_of, write
from reconciler.core import cost
from reconciler.core.render import RENDERERS, render_text
from reconciler.core.settings import Settings


def plan(
    path: str,
    settings: Settings,
    *,
    embedded: bool,
    output_format: str,
    output: str | None,
    targets: Sequence[str] = (),
    save: str | None = None,
) -> int:
    with pipeline(settings, embedded=embedded) as stages:
        planned = plan_targeted(stages, path, targets)
        where = where_of(stages.aws)
        costs = cost.estimate(
            planned.plan,
            planned.loaded.resources,
            planned.state.live,
            stages.kinds,
            prices=cost.load_prices(),
            region=stages.aws.region,
        )
    renderer = RENDERERS[output_format]
    if output_format == "text" and output is None and colour_wanted():
        renderer = functools.partial(render_text, colour=True)
    write(renderer(planned.plan, findings=planned.loaded.findings, cost=costs, where=where), output)
    if save is not None:
        planfile.save(save, path, planned, targets=targets, where=where, options=settings.apply)
        print(
            f"Plan saved to {save}; `ecs-reconciler apply {save}` applies exactly this plan "
            "(give it the same --var and --var-file).",
            file=sys.stderr,
        )
    return EXIT_CHANGES if planned.plan.pending else EXIT_OK
