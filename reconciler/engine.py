"""The imperative shell around the pure plan: read live state for a manifest set, plan, apply, verify."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.aws import Aws
from reconciler.errors import InvalidManifests
from reconciler.executor import Outcome, execute
from reconciler.kinds import cluster, service, task_definition
from reconciler.manifests import check_references
from reconciler.model import Address, Live, Resource
from reconciler.plan import Plan, make_plan, service_revisions_in_use
from reconciler.settings import ApplySettings


@dataclass(frozen=True)
class State:
    """Live state read for one pass."""

    observed: dict[Address, Live]
    """Live resources at the addresses the manifests name (and the families and clusters they refer to)."""
    prune_candidates: dict[Address, Live]
    """Every managed resource found live (read only with --prune)."""

    def revisions_in_use(self) -> set[str]:
        return service_revisions_in_use([*self.observed.values(), *self.prune_candidates.values()])


def observe(aws: Aws, resources: list[Resource], *, prune: bool) -> State:
    """Read what the manifests refer to, in as few calls as the APIs allow (batched, concurrent)."""
    by_kind: dict[str, list[Resource]] = {}
    for r in resources:
        by_kind.setdefault(r.address.kind, []).append(r)
    services = by_kind.get(service.KIND, [])
    cluster_names = [r.address.name for r in by_kind.get(cluster.KIND, [])] + [str(r.address.cluster) for r in services]
    families = [r.address.name for r in by_kind.get(task_definition.KIND, [])] + [
        service.family_of(str(r.spec["taskDefinition"])) for r in services if r.spec.get("taskDefinition")
    ]
    observed: dict[Address, Live] = {}
    observed.update(cluster.observe(aws, cluster_names))
    observed.update(task_definition.observe(aws, families))
    names_by_cluster: dict[str, list[str]] = {}
    for r in services:
        if Address(cluster.KIND, str(r.address.cluster)) in observed:
            names_by_cluster.setdefault(str(r.address.cluster), []).append(r.address.name)
    observed.update(service.observe(aws, names_by_cluster))
    candidates: dict[Address, Live] = {}
    if prune:
        candidates.update(cluster.list_managed(aws))
        candidates.update(task_definition.list_managed(aws))
        live_clusters = {a.name for a in [*observed, *candidates] if a.kind == cluster.KIND}
        candidates.update(service.list_managed(aws, sorted(live_clusters)))
    return State(observed, candidates)


def plan(aws: Aws, resources: list[Resource], options: ApplySettings) -> tuple[Plan, State]:
    """Read live state and compute the plan; raises InvalidManifests for references that resolve nowhere."""
    state = observe(aws, resources, prune=options.prune)
    errors = check_references(resources, state.observed)
    if errors:
        raise InvalidManifests(errors)
    return make_plan(resources, state.observed, options, prune_candidates=state.prune_candidates), state


def apply(
    aws: Aws,
    the_plan: Plan,
    state: State,
    options: ApplySettings,
    *,
    revision: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    return execute(aws, the_plan, options, in_use=state.revisions_in_use(), revision=revision, stop=stop)
