"""`plan`: the pipeline up to the plan, rendered; exit 0 no changes, 2 changes pending, 1 error."""

from __future__ import annotations

from reconciler.commands import EXIT_CHANGES, EXIT_OK
from reconciler.commands.common import pipeline, write
from reconciler.core import cost
from reconciler.core.render import RENDERERS
from reconciler.core.settings import Settings


def plan(path: str, settings: Settings, *, embedded: bool, output_format: str, output: str | None) -> int:
    with pipeline(settings, embedded=embedded) as stages:
        loaded = stages.load(path)
        planned = stages.plan(loaded)
        costs = cost.estimate(
            planned.plan,
            loaded.resources,
            planned.state.live,
            stages.kinds,
            prices=cost.load_prices(),
            region=stages.aws.region,
        )
    write(RENDERERS[output_format](planned.plan, findings=loaded.findings, cost=costs), output)
    return EXIT_CHANGES if planned.plan.pending else EXIT_OK
