"""What each console page shows, read from the daemon's status document (the one /status serves,
``reconciler.daemon.report``): targets, their clusters and services, one cluster, and one service with its diff,
deployment, events and task definition. Pure: a status document in, page data out; values are the document's, already
redacted.

A service is shown in the worse of its own state and its deployment's (``Deployment.state``); a cluster in the worst
of its own and its services' (``worst``, in ``SEVERITY``'s order), on every page that shows it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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
    "failed": "deployment failed",
    "paused": "paused",
    "deploying": "deploying",
}
"""A resource's state in the status document, or its deployment's (``ROLLOUT_STATES``) -> how the console names it."""
SEVERITY = ("error", "failed", "drifted", "held", "pending", "paused", "deploying", "suspended", "unknown", "in_sync")
"""The states a resource is shown in, worst first."""
ROLLOUT_STATES = {"waiting": "deploying", "paused": "paused", "failed": "failed", "timed out": "failed"}
ECS_ROLLOUTS = {"IN_PROGRESS": "waiting", "FAILED": "failed"}
"""A PRIMARY deployment's ``rolloutState`` -> where it stands (COMPLETED: nothing to show)."""
"""Where a deployment stands (the daemon's rollout state, or a history entry's outcome) -> the state it gives its
service; a deployment completed or rolled back gives none."""


def worst(states: Iterable[str]) -> str:
    """The worst of ``states`` in ``SEVERITY``'s order (a state it does not name counts as unknown); in sync when
    there are none."""
    rank = {state: n for n, state in enumerate(SEVERITY)}
    return min(states, key=lambda state: rank.get(state, rank["unknown"]), default="in_sync")


def label_of(state: str) -> str:
    return STATES.get(state, state.replace("_", " "))


@dataclass(frozen=True)
class Deployment:
    """A service's deployment as every part of its pages shows it: ECS's newest deployment of the service when its
    history was read, with the daemon's word on it when the daemon follows that same deployment; else the one the
    daemon follows."""

    standing: str
    """``waiting``, ``paused``, ``completed``, ``failed``, ``timed out`` or ``rolled back``."""
    detail: str | None = None
    strategy: str | None = None
    status: str | None = None
    """ECS's status of the ServiceDeployment (IN_PROGRESS, SUCCESSFUL, ...)."""
    stage: str | None = None
    hook: Mapping[str, Any] | None = None
    """The PAUSE hook it awaits an approval at: ``hookId``, ``expiresAt``, ``timeoutAction``."""
    alarms: tuple[str, ...] = ()
    task_definition: str | None = None
    """``family:revision`` it rolls out."""
    revision: str | None = None
    """The git revision it rolls out."""

    @property
    def state(self) -> str | None:
        """The state it gives its service (None: it is over and went well, or was rolled back)."""
        return "paused" if self.hook else ROLLOUT_STATES.get(self.standing)


def deployment_of(
    rollout: Mapping[str, Any] | None, newest: Mapping[str, Any] | None, primary: Mapping[str, Any] | None = None
) -> Deployment | None:
    """The one reading of a service's deployment: ``rollout`` is the daemon's (the status document's ``rollout``),
    ``newest`` the newest entry of the service's history (``history --format json``), when read; ``primary`` the
    PRIMARY deployment's rollout state as the last pass read the service (``live.primary``), for a deployment the
    daemon does not follow. None: none names one in progress or failed."""
    followed = rollout if rollout and rollout.get("state") else None
    ecs: Mapping[str, Any] = (followed or {}).get("deployment") or {}
    if newest is not None:
        same = followed is not None and ecs.get("arn") == newest.get("deployment")
        standing = str(newest.get("outcome") or "")
        if same and followed is not None and followed["state"] == "timed out":
            standing = "timed out"  # the daemon's word: ECS still calls it in progress
        agreed = same and followed is not None and followed["state"] == standing  # else the daemon's word is stale
        detail = (followed or {}).get("detail") if agreed else newest.get("detail")
        return Deployment(
            standing,
            detail or None,
            newest.get("strategy"),
            newest.get("status"),
            newest.get("stage"),
            newest.get("awaitingApproval") or None,
            tuple(ecs.get("triggeredAlarms") or ()) if same else (),
            newest.get("taskDefinition"),
            newest.get("gitRevision"),
        )
    ecs_says = ECS_ROLLOUTS.get(str((primary or {}).get("rolloutState")))
    if ecs_says is not None and (followed is None or followed["state"] == "completed"):
        return Deployment(ecs_says, (primary or {}).get("reason"))  # a deployment after the one the daemon followed
    if followed is None:
        return None
    return Deployment(
        str(followed["state"]),
        followed.get("detail"),
        ecs.get("strategy"),
        ecs.get("status"),
        ecs.get("stage"),
        ecs.get("awaitingApproval") or None,
        tuple(ecs.get("triggeredAlarms") or ()),
        followed.get("task_definition"),
        followed.get("revision"),
    )


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
    newest: Mapping[str, Any] | None = None
    """A service's newest deployment as its history gives it, when its history was read."""

    @property
    def title(self) -> str:
        return str(self.entry.get("name", ""))

    @property
    def kind(self) -> str:
        return str(self.entry.get("kind", ""))

    @property
    def deployment(self) -> Deployment | None:
        """A service's deployment (``deployment_of``); None for other kinds."""
        if self.kind != SERVICE:
            return None
        return deployment_of(self.entry.get("rollout"), self.newest, self.live.get("primary"))

    @property
    def state(self) -> str:
        """The worse of its own state and its deployment's."""
        own = str(self.entry.get("state", "unknown"))
        deployment = self.deployment
        return worst([own, deployment.state] if deployment is not None and deployment.state else [own])

    @property
    def state_label(self) -> str:
        return label_of(self.state)

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
    target: str
    name: str
    row: Row | None
    """The Cluster resource, when the manifests declare it."""
    services: list[Row] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The worst of its own state and its services'."""
        return worst([r.state for r in ([self.row] if self.row else []) + self.services])

    @property
    def state_label(self) -> str:
        return label_of(self.state)

    @property
    def why(self) -> list[str]:
        """The services in its state, when the state is theirs and not its own (to say on its badge)."""
        if self.state == "in_sync" or (self.row is not None and self.row.state == self.state):
            return []
        return [r.title for r in self.services if r.state == self.state]

    @property
    def url(self) -> str:
        return "/targets/{}/clusters/{}".format(*(quote(p, safe="") for p in (self.target, self.name)))


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
    def cluster_url(self) -> str:
        cluster = str(self.service.entry.get("scope") or "default")
        return "/targets/{}/clusters/{}".format(*(quote(p, safe="") for p in (self.target.name, cluster)))

    @property
    def paused(self) -> Deployment | None:
        """Its deployment, when it awaits an approval at a PAUSE hook."""
        deployment = self.service.deployment
        return deployment if deployment is not None and deployment.hook else None


@dataclass(frozen=True)
class ClusterPage:
    target: Target
    cluster: Cluster


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
            clusters[row.title] = Cluster(name, row.title, row)
        elif row.kind == SERVICE:
            scope = str(row.entry.get("scope") or "default")
            clusters.setdefault(scope, Cluster(name, scope, None)).services.append(row)
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
    service = replace(found[0], newest=history[-1] if history else None)
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


def cluster_page(status: Mapping[str, Any], target: str, cluster: str) -> ClusterPage | None:
    """The page of one cluster with its services, or None when the status knows no such cluster."""
    document = _documents(status).get(target)
    if document is None:
        return None
    page_target = _target(target, document)
    found = next((c for c in page_target.clusters if c.name == cluster), None)
    return None if found is None else ClusterPage(page_target, found)
