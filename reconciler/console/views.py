"""What each console page shows, read from the daemon's status document (the one /status serves,
``reconciler.daemon.report``): targets, their clusters and services, and one service with its diff, events and task
definition. Pure: a status document in, page data out; values are the document's, already redacted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from reconciler.core.names import family_of
from reconciler.core.targets import DEFAULT

SERVICE = "Service"
CLUSTER = "Cluster"
TASK_DEFINITION = "TaskDefinition"
STATES = {
    "in_sync": "in sync",
    "drifted": "drifted",
    "pending": "pending",
    "held": "held",
    "suspended": "suspended",
    "error": "error",
    "unknown": "unknown",
}
"""A resource's state in the status document -> how the console names it."""


@dataclass(frozen=True)
class ActionText:
    """What a confirmation page says of one action."""

    title: str
    what: str
    per_service: bool = True
    """Acts on the service the form names (else on the whole daemon)."""


ACTIONS = {
    "reconcile": ActionText(
        "Reconcile now",
        "Ask the daemon for a pass now, as POST /reconcile does: it starts at once unless one was started in the last "
        "5 seconds; otherwise it joins the one queued for then.",
        per_service=False,
    ),
    "continue": ActionText(
        "Continue the paused deployment",
        "Answer the PAUSE hook the service's deployment waits at with CONTINUE: ECS carries the deployment on to its "
        "next stage (as `ecs-reconciler continue`).",
    ),
    "continue-rollback": ActionText(
        "Roll back the paused deployment",
        "Answer the PAUSE hook the service's deployment waits at with ROLLBACK: ECS returns the service to its "
        "previous service revision (as `ecs-reconciler continue --rollback`).",
    ),
    "rollback": ActionText(
        "Roll back the service",
        "Return the service to the task definition it ran before, as `ecs-reconciler rollback` does. In enforce "
        "mode the daemon applies git again on its next pass: revert the commit, or suspend the service, to keep it.",
    ),
}
"""Every action the console can offer, by name (``run`` registers them)."""


@dataclass(frozen=True)
class Row:
    """One resource in a list."""

    target: str
    entry: Mapping[str, Any]
    """Its status entry: kind, name, scope, state, suspended, changes, live, rollout, last_change, last_error."""

    @property
    def title(self) -> str:
        return str(self.entry.get("name", ""))

    @property
    def kind(self) -> str:
        return str(self.entry.get("kind", ""))

    @property
    def state(self) -> str:
        return str(self.entry.get("state", "unknown"))

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state.replace("_", " "))

    @property
    def live(self) -> Mapping[str, Any]:
        return self.entry.get("live") or {}

    @property
    def url(self) -> str | None:
        """The service page's address (other kinds have none)."""
        if self.kind != SERVICE:
            return None
        parts = (self.target, self.entry.get("scope") or "default", self.title)
        return "/targets/{}/services/{}/{}".format(*(quote(str(p), safe="") for p in parts))


@dataclass(frozen=True)
class Cluster:
    name: str
    row: Row | None
    """The Cluster resource, when the manifests declare it."""
    services: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    name: str
    document: Mapping[str, Any]
    """The target's status document: mode, revision, held, last_pass, last_error."""
    clusters: list[Cluster]
    others: list[Row]
    """Resources neither a cluster nor a service (task definitions, log groups, scaling policies, ...)."""


@dataclass(frozen=True)
class Overview:
    targets: list[Target]
    alerts: list[Mapping[str, Any]]


@dataclass(frozen=True)
class ServicePage:
    target: Target
    service: Row
    task_definition: Row | None
    alerts: list[Mapping[str, Any]]
    history: list[Mapping[str, Any]] | None = None
    """The service's deployments, oldest first (None: not read here)."""

    @property
    def selector(self) -> str:
        """The service as the actions' forms and ``--target`` name it."""
        return f"{SERVICE}/{self.service.entry.get('scope') or 'default'}/{self.service.title}"

    @property
    def paused(self) -> Mapping[str, Any] | None:
        """The deployment awaiting an approval, with its ``awaitingApproval`` hook: the newest in the history, else
        the one the status document names."""
        newest = (self.history or [])[-1:]
        if newest and newest[0].get("awaitingApproval"):
            return newest[0]
        found = (self.service.entry.get("rollout") or {}).get("deployment") or {}
        return found if found.get("awaitingApproval") else None


def _documents(status: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Each target's status document: one daemon's is the status itself, several are under ``targets``."""
    if "targets" in status:
        return dict(status["targets"])
    return {DEFAULT: status}


def _target(name: str, document: Mapping[str, Any]) -> Target:
    rows = [Row(name, entry) for entry in (document.get("resources") or {}).values()]
    clusters: dict[str, Cluster] = {}
    for row in sorted(rows, key=lambda r: (r.kind != CLUSTER, r.title)):
        if row.kind == CLUSTER:
            clusters[row.title] = Cluster(row.title, row)
        elif row.kind == SERVICE:
            scope = str(row.entry.get("scope") or "default")
            clusters.setdefault(scope, Cluster(scope, None)).services.append(row)
    others = [r for r in rows if r.kind not in (CLUSTER, SERVICE)]
    return Target(name, document, list(clusters.values()), sorted(others, key=lambda r: (r.kind, r.title)))


def overview(status: Mapping[str, Any]) -> Overview:
    targets = [_target(name, document) for name, document in _documents(status).items()]
    return Overview(targets, list(status.get("alerts") or []))


def service_page(
    status: Mapping[str, Any],
    target: str,
    cluster: str,
    name: str,
    *,
    history: list[Mapping[str, Any]] | None = None,
) -> ServicePage | None:
    """The page of one service (``history``: its deployments, oldest first), or None when the status knows no such
    service."""
    document = _documents(status).get(target)
    if document is None:
        return None
    page_target = _target(target, document)
    found = [
        row
        for c in page_target.clusters
        for row in c.services
        if row.title == name and (row.entry.get("scope") or "default") == cluster
    ]
    if not found:
        return None
    service = found[0]
    family = family_of(str(service.live.get("task_definition") or "")) or name
    task_definition = next(
        (r for r in page_target.others if r.kind == TASK_DEFINITION and r.title == family),
        None,
    )
    address = f"{SERVICE} {cluster}/{name}"
    alerts = [
        a for a in status.get("alerts") or [] if a.get("resource") == address and (a.get("target") or DEFAULT) == target
    ]
    return ServicePage(page_target, service, task_definition, alerts, history)
