"""`rollback`: a one-off return of each service declared in PATH to the task definition it ran before.

The previous task definition of a service (``rollout.previous_task_definition``): while ECS still lists an older
deployment (a rollout in flight or failed), that deployment's; otherwise the highest ACTIVE revision of the same
family below the one it runs. The service is tagged with the git revision that task definition was registered from
(its revision tag), when it has one. A running daemon in enforce mode applies the manifests again on its next pass:
revert the commit in git, or suspend the services (``ecs-reconciler/suspend``), to keep the rollback.
Exit 0 done (or nothing to roll back), 1 error.
"""

from __future__ import annotations

import sys

from reconciler import rollout
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import open_pipeline
from reconciler.core.errors import ReconcilerError
from reconciler.core.settings import Settings
from reconciler.pipeline import Loaded, Pipeline


def rollback(path: str, settings: Settings, *, embedded: bool, dry_run: bool) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        parts = [(part, part.load()) for part in pipeline.parts(path)]
        if not any(rollout.has_rollouts(r.address) for _, loaded in parts for r in loaded.resources):
            print("No services declared: nothing to roll back.")
            return EXIT_OK
        ok = True
        for part, loaded in parts:
            ok = _roll_back(part.pipeline, loaded, dry_run=dry_run) and ok
    return EXIT_OK if ok else EXIT_ERROR


def _roll_back(pipeline: Pipeline, loaded: Loaded, *, dry_run: bool) -> bool:
    ok = True
    services = [r.address for r in loaded.resources if rollout.has_rollouts(r.address)]
    if not services:
        return True
    observed = pipeline.observe(loaded.resources, prune=False).observed
    named = "" if pipeline.target.is_default else f"{pipeline.target.name}: "
    for address in services:
        live = observed.get(address)
        if live is None or not live.managed:
            print(f"{named}{address}: {'not found' if live is None else 'not managed by ecs-reconciler'}; left alone")
            continue
        current = rollout.task_definition_of(live.body)
        previous = rollout.previous_task_definition(pipeline.aws, live.body)
        if previous is None:
            print(f"{named}{address}: runs {current}; no earlier revision to return to")
            continue
        revision = rollout.revision_of_task_definition(pipeline.aws, previous)
        origin = f" (git revision {revision})" if revision else ""
        if dry_run:
            print(f"{named}{address}: would return from {current} to {previous}{origin}")
            continue
        try:
            rollout.roll_back(pipeline.aws, address, task_definition=previous, revision=revision)
        except ReconcilerError as exc:
            ok = False
            print(f"{named}{address}: rollback failed: {exc}", file=sys.stderr)
            continue
        print(f"{named}{address}: {current} -> {previous}{origin}")
    return ok
