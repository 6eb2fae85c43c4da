"""The imperative shell around the pure plan: read live state for a manifest set, plan, apply, verify."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.core.errors import AwsError, InvalidManifests
from reconciler.core.manifests import awslogs_groups, check_references, check_roles, role_refs
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Plan, make_plan, service_revisions_in_use
from reconciler.core.settings import ApplySettings
from reconciler.core.variables import Parameter
from reconciler.executor import Outcome, execute
from reconciler.kinds import cluster, log_group, scaling, service, task_definition


@dataclass(frozen=True)
class State:
    """Live state read for one pass."""

    observed: dict[Address, Live]
    """Live resources at the addresses the manifests name (and the families and clusters they refer to)."""
    prune_candidates: dict[Address, Live]
    """Every managed resource found live (read only with --prune)."""
    roles: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    """IAM roles the task definitions name: role name -> GetRole's Role, or None when it does not exist."""

    def revisions_in_use(self) -> set[str]:
        return service_revisions_in_use([*self.observed.values(), *self.prune_candidates.values()])

    @property
    def live(self) -> dict[Address, Live]:
        """Everything read, by address."""
        return {**self.prune_candidates, **self.observed}


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
    groups = [r.address.name for r in by_kind.get(log_group.KIND, [])] + [
        group for r in by_kind.get(task_definition.KIND, []) for _, group in awslogs_groups(r, aws.region)
    ]
    observed: dict[Address, Live] = {}
    observed.update(log_group.observe(aws, groups))
    observed.update(cluster.observe(aws, cluster_names))
    observed.update(task_definition.observe(aws, families))
    names_by_cluster: dict[str, list[str]] = {}
    for r in services:
        if Address(cluster.KIND, str(r.address.cluster)) in observed:
            names_by_cluster.setdefault(str(r.address.cluster), []).append(r.address.name)
    for r in by_kind.get(scaling.KIND, []):
        target = scaling.service_address(r.address)
        if Address(cluster.KIND, str(target.cluster)) in observed:
            names_by_cluster.setdefault(str(target.cluster), []).append(target.name)
    observed.update(service.observe(aws, names_by_cluster))
    observed.update(scaling.observe(aws, [r.address for r in by_kind.get(scaling.KIND, [])]))
    roles = read_roles(aws, sorted({name for r in resources for _, name in role_refs(r)}))
    candidates: dict[Address, Live] = {}
    if prune:
        candidates.update(log_group.list_managed(aws))
        candidates.update(scaling.list_managed(aws))
        candidates.update(cluster.list_managed(aws))
        candidates.update(task_definition.list_managed(aws))
        live_clusters = {a.name for a in [*observed, *candidates] if a.kind == cluster.KIND}
        candidates.update(service.list_managed(aws, sorted(live_clusters)))
    return State(observed, candidates, roles)


def read_roles(aws: Aws, names: list[str]) -> dict[str, Mapping[str, Any] | None]:
    """IAM GetRole for each name, concurrently; None for a role that does not exist."""

    def get(name: str) -> Mapping[str, Any] | None:
        try:
            role: Mapping[str, Any] = aws.call("iam", "GetRole", name, RoleName=name)["Role"]
        except AwsError as exc:
            if exc.code == "NoSuchEntity":
                return None
            raise
        return role

    return dict(zip(names, aws.map(get, names), strict=True))


def plan(aws: Aws, resources: list[Resource], options: ApplySettings) -> tuple[Plan, State]:
    """Read live state and compute the plan; raises InvalidManifests for references that resolve nowhere and for
    roles that do not exist or do not trust ECS tasks (before any write)."""
    state = observe(aws, resources, prune=options.prune)
    errors = check_references(resources, state.observed, region=aws.region) + check_roles(resources, state.roles)
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


def read_parameters(aws: Aws, names: list[str]) -> dict[str, Parameter]:
    """SSM parameters by name, 10 per GetParameters call, never decrypted (a SecureString's value is not read).
    Names that do not exist are left out."""
    found: dict[str, Parameter] = {}
    for chunk in batches(sorted(set(names)), 10):
        answer = aws.call("ssm", "GetParameters", ",".join(chunk), Names=chunk, WithDecryption=False)
        for item in answer.get("Parameters", []):
            value = "" if item.get("Type") == "SecureString" else str(item.get("Value", ""))
            found[str(item["Name"])] = Parameter(str(item.get("Type", "String")), value)
    return found
