"""`status`: where each declared resource stands, from live AWS with read access only (no daemon needed): in sync,
drifted or suspended; for services, desired vs running, the deployment's state, the task definition and the git
revision it was applied from (the revision tag). Exit 0 everything in sync and rolled out, 2 otherwise, 1 error."""

from __future__ import annotations

import sys

from reconciler import rollout
from reconciler.commands import EXIT_CHANGES, EXIT_OK
from reconciler.commands.common import open_pipeline, plan_parts
from reconciler.core.diff import tag_map
from reconciler.core.kind import Registry
from reconciler.core.plan import SUSPEND_ANNOTATION
from reconciler.core.settings import Settings
from reconciler.core.tags import REVISION_TAG_KEY
from reconciler.pipeline import Planned

COLUMNS = ("RESOURCE", "STATE", "DRIFT", "RUNNING/DESIRED", "DEPLOYMENT", "TASK DEFINITION", "REVISION")


def rows_for(path: str, settings: Settings, *, embedded: bool) -> list[tuple[str, ...]]:
    """One row per declared resource, target by target, in the plan's order (named ``TARGET: RESOURCE`` when the
    manifests declare targets)."""
    with open_pipeline(settings, embedded=embedded) as pipeline:
        parts = plan_parts(pipeline, path, ())
    return [row for part in parts for row in _rows(part.planned, part.pipeline.kinds, part.where.target)]


def _rows(planned: Planned, kinds: Registry, target: str | None) -> list[tuple[str, ...]]:
    loaded, the_plan = planned.loaded, planned.plan
    changing = {a.address: a for a in (*the_plan.actions, *the_plan.held)}
    unmanaged = {n.address for n in the_plan.notes if n.blocking}
    rows: list[tuple[str, ...]] = []
    for resource in sorted(loaded.resources, key=lambda r: kinds.order(r.address)):
        address = resource.address
        live = planned.state.observed.get(address)
        action = changing.get(address)
        if live is None:
            state = "missing"
        elif address in unmanaged:
            state = "unmanaged"
        elif SUSPEND_ANNOTATION in resource.annotations:
            state = "suspended"
        else:
            state = "drifted" if action is not None else "in sync"
        drift = "yes" if action is not None or address in unmanaged else "no"
        running = deployment = task_definition = "-"
        revision = "-"
        if live is not None:
            revision = tag_map(live.body.get("tags")).get(REVISION_TAG_KEY) or "-"
            if rollout.has_rollouts(address):
                progress = rollout.assess(address, live.body)
                running = rollout.counts(live.body)
                deployment = progress.state if progress.state != "waiting" else progress.detail.split(":", 1)[0]
                task_definition = rollout.task_definition_of(live.body) or "-"
        name = f"{target}: {address}" if target else str(address)
        rows.append((name, state, drift, running, deployment, task_definition, revision))
    return rows


def render(rows: list[tuple[str, ...]]) -> str:
    table = [COLUMNS, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in table
    )


def status(path: str, settings: Settings, *, embedded: bool) -> int:
    rows = rows_for(path, settings, embedded=embedded)
    sys.stdout.write(render(rows))
    settled = all(r[1] in ("in sync", "suspended") and r[2] == "no" and r[4] in ("-", "completed") for r in rows)
    return EXIT_OK if settled else EXIT_CHANGES
