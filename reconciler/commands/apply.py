"""`apply`: the whole pipeline — plan, refuse or apply, wait for rollouts, verify; exit 0 converged, 1 error."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Sequence

from reconciler import rollout
from reconciler.commands import EXIT_ERROR, EXIT_OK, planfile
from reconciler.commands.common import (
    TARGETED_APPLY,
    colour_wanted,
    open_pipeline,
    plan_parts,
    shown_parts,
    where_of,
)
from reconciler.core.errors import SecurityRefused, UsageError
from reconciler.core.render import render_parts, render_text, summary_line
from reconciler.core.settings import ApplySettings, Settings
from reconciler.executor import Outcome
from reconciler.pipeline import Pipeline, Planned


def _report(outcomes: list[Outcome]) -> bool:
    ok = True
    for outcome in outcomes:
        if outcome.status != "done":
            ok = False
            print(f"{outcome.status}: {outcome.action.verb} {outcome.address}: {outcome.message}", file=sys.stderr)
    return ok


def apply(
    path: str, settings: Settings, *, embedded: bool, selectors: Sequence[str] = (), auto_approve: bool = False
) -> int:
    saved = planfile.read(path)
    if saved is not None:
        return _apply_saved(path, saved, settings, embedded=embedded)
    with open_pipeline(settings, embedded=embedded) as pipeline:
        planned = plan_parts(pipeline, path, selectors)  # every target planned before any target is written to
        sys.stdout.write(render_parts("text", shown_parts(planned, selectors), colour=colour_wanted()))
        if not any(one.planned.plan.actions for one in planned):
            return EXIT_ERROR if any(one.planned.plan.pending for one in planned) else EXIT_OK
        refusing = [f for one in planned if one.planned.plan.actions for f in one.planned.loaded.refusing]
        if refusing:
            raise SecurityRefused(refusing)  # before asking: the answer could not change it
        if not auto_approve and not _confirmed():
            print("Apply cancelled; nothing was changed.", file=sys.stderr)
            return EXIT_ERROR
        changing = [one for one in planned if one.planned.plan.actions]
        for done, one in enumerate(changing):
            if len(planned) > 1:
                print(f"\nApplying to {one.where}:")
            if _apply_planned(one.pipeline, one.planned, settings, path=path, selectors=selectors) != EXIT_OK:
                left = [str(other.where) for other in changing[done + 1 :]]
                if left:
                    print(f"Not applied, as {one.where} failed: {'; '.join(left)}.", file=sys.stderr)
                return EXIT_ERROR
        blocked = any(one.planned.plan.pending and not one.planned.plan.actions for one in planned)
        return EXIT_ERROR if blocked else EXIT_OK


def _confirmed() -> bool:
    """On a terminal, ask as Terraform does (only "yes" proceeds); without one (CI, a pipe) proceed."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return True
    try:
        answer = input("\nApply these changes? Only 'yes' is accepted (--auto-approve skips this): ")
    except EOFError:
        return False
    return answer.strip() == "yes"


def _apply_saved(file: str, saved: planfile.SavedPlan, settings: Settings, *, embedded: bool) -> int:
    """Apply exactly the plan saved in ``file``: in the account and region it was made for, plan again with what it
    records, refuse if anything changed."""
    with open_pipeline(planfile.settings_for(saved, settings), embedded=embedded) as pipeline:
        if (reason := planfile.wrong_place(saved, where_of(pipeline))) is not None:
            raise UsageError(f"saved plan {file}: {reason}; nothing was read or changed")
        parts = plan_parts(pipeline, saved.path, saved.selectors)
        if len(parts) != 1:
            raise UsageError(f"{saved.path} now holds {len(parts)} targets; a saved plan covers one")
        pipeline, planned = parts[0].pipeline, parts[0].planned
        reasons = planfile.stale(saved, planned, parts[0].where)
        if reasons:
            print(f"Saved plan {file} is stale, nothing was changed:", file=sys.stderr)
            for reason in reasons:
                print(f"  {reason}", file=sys.stderr)
            print("Run `ecs-reconciler plan --out` again, review it, and apply the new one.", file=sys.stderr)
            return EXIT_ERROR
        print(f"Applying the saved plan {file}: {summary_line(planned.plan)}.")
        sys.stdout.write(render_parts("text", shown_parts(parts, saved.selectors), colour=colour_wanted()))
        if not planned.plan.actions:
            return EXIT_ERROR if planned.plan.pending else EXIT_OK
        return _apply_planned(pipeline, planned, settings, path=saved.path, selectors=saved.selectors)


def _apply_planned(
    pipeline: Pipeline, planned: Planned, settings: Settings, *, path: str, selectors: Sequence[str]
) -> int:
    since = datetime.datetime.now(datetime.UTC)
    outcomes = pipeline.apply(planned)
    if not _report(outcomes):
        return EXIT_ERROR
    print(f"\nApplied: {summary_line(planned.plan)}.")
    if settings.apply.wait and not _wait_for_rollouts(pipeline, outcomes, settings.apply, path=path, since=since):
        return EXIT_ERROR
    after = pipeline.verify(planned.loaded)
    if not selectors:
        print("\nPlan after apply:")
        sys.stdout.write(render_text(after))
        return EXIT_ERROR if after.pending else EXIT_OK
    print(f"\nPlan after apply, of the targeted resources only ({', '.join(selectors)} and what they reference):")
    if after.pending:
        sys.stdout.write(render_text(after))
    else:
        print("No changes in the targeted resources; the rest of the manifests was not compared.")
    print("\n" + TARGETED_APPLY.format(path=path), file=sys.stderr)
    return EXIT_ERROR if after.pending else EXIT_OK


def _wait_for_rollouts(
    pipeline: Pipeline, outcomes: list[Outcome], options: ApplySettings, *, path: str, since: datetime.datetime
) -> bool:
    """Wait for every service, Express service and daemon this apply created, updated or replaced until its
    deployment completes, fails or (a service's) pauses at a PAUSE hook awaiting approval (printed with how to
    continue: not a failure); print why a rollout failed: the stage, the alarms that fired, ECS's rollback, the
    events and the unhealthy targets."""
    services = rollout.rolled_out_by([o.action for o in outcomes if o.status == "done"])
    if not services:
        return True
    named = {"Service": "service", "ExpressService": "Express service", "Daemon": "daemon"}
    kinds = " and ".join(sorted({named[a.kind] for a in services}, key=list(named.values()).index))
    print(f"Waiting for {len(services)} {kinds} rollout(s) (up to {options.wait_timeout:g}s)...", file=sys.stderr)
    display = rollout.Display(services)
    results = rollout.wait_for(
        pipeline.aws, services, timeout=options.wait_timeout, poll=options.wait_poll, report=display, since=since
    )
    for progress in results:
        if progress.state == "paused":
            service = f"{progress.address.kind}/{progress.address.name}"
            print(f"Paused: {progress.address}: {progress.detail}")
            print(f"  Approve with `ecs-reconciler continue {path} {service}`, or roll back with `--rollback`.")
    failed = [p for p in results if p.state not in ("completed", "paused")]
    for progress in failed:
        print(f"Rollout {progress.state}: {progress.address}: {progress.detail}", file=sys.stderr)
        if progress.events:
            print("  Recent events:", file=sys.stderr)
            for event in progress.events:
                print(f"    {event}", file=sys.stderr)
    done = [str(p.address) for p in results if p.state == "completed"]
    if not failed and done:
        print(f"Rolled out: {', '.join(done)}.")
    return not failed
