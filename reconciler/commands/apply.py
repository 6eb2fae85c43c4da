"""`apply`: the whole pipeline — plan, refuse or apply, wait for rollouts, verify; exit 0 converged, 1 error."""

from __future__ import annotations

import sys

from reconciler import rollout
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import pipeline
from reconciler.core.render import render_text, summary_line
from reconciler.core.settings import ApplySettings, Settings
from reconciler.executor import Outcome
from reconciler.kinds.service import KIND as SERVICE
from reconciler.pipeline import Pipeline


def _report(outcomes: list[Outcome]) -> bool:
    ok = True
    for outcome in outcomes:
        if outcome.status != "done":
            ok = False
            error = f": {outcome.error}" if outcome.error else ""
            print(f"{outcome.status}: {outcome.action.action} {outcome.action.address}{error}", file=sys.stderr)
    return ok


def apply(path: str, settings: Settings, *, embedded: bool) -> int:
    with pipeline(settings, embedded=embedded) as stages:
        loaded = stages.load(path)
        planned = stages.plan(loaded)
        sys.stdout.write(render_text(planned.plan, findings=loaded.findings))
        if not planned.plan.actions:
            return EXIT_ERROR if planned.plan.pending else EXIT_OK
        outcomes = stages.apply(planned)
        if not _report(outcomes):
            return EXIT_ERROR
        print(f"\nApplied: {summary_line(planned.plan)}.")
        if settings.apply.wait and not _wait_for_rollouts(stages, outcomes, settings.apply):
            return EXIT_ERROR
        after = stages.verify(loaded)
    print("\nPlan after apply:")
    sys.stdout.write(render_text(after))
    return EXIT_ERROR if after.pending else EXIT_OK


def _wait_for_rollouts(stages: Pipeline, outcomes: list[Outcome], options: ApplySettings) -> bool:
    """Wait for every service this apply created, updated or replaced; print why a rollout did not finish."""
    services = [
        o.action.address
        for o in outcomes
        if o.status == "done" and o.action.address.kind == SERVICE.name and o.action.action != "delete"
    ]
    if not services:
        return True
    print(f"Waiting for {len(services)} service rollout(s) (up to {options.wait_timeout:g}s)...", file=sys.stderr)
    display = rollout.Display(services)
    results = rollout.wait_for(
        stages.aws, services, timeout=options.wait_timeout, poll=options.wait_poll, report=display
    )
    failed = [p for p in results if p.state != "completed"]
    for progress in failed:
        print(f"Rollout {progress.state}: {progress.address}: {progress.detail}", file=sys.stderr)
        if progress.events:
            print("  Recent events:", file=sys.stderr)
            for event in progress.events:
                print(f"    {event}", file=sys.stderr)
    if not failed:
        print(f"Rolled out: {', '.join(str(a) for a in services)}.")
    return not failed
