"""The daemon's status document (served at /status, shown by the console): the git revision applied and being
applied, and for each resource whether it is in sync, drifted or suspended, what the plan would change (the plan's
redacted field changes), what AWS last said of it (a service's counts and events, a task definition's containers,
secrets masked), its rollout, its last change and its last error; and the recent alerts.

Written by the loop thread after each pass, read by the HTTP thread: each write replaces whole values, so a reader
sees one pass's picture or the next one's, never a mix inside one resource.
"""

from __future__ import annotations

import collections
import datetime
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.diff import ABSENT
from reconciler.core.model import Address, Live
from reconciler.core.names import revision_of
from reconciler.core.plan import SUSPEND_ANNOTATION, Action, Plan
from reconciler.core.redact import redact
from reconciler.core.render import field_changes, reason_text
from reconciler.daemon.alerts import Alert
from reconciler.daemon.deployments import Deployments
from reconciler.executor import Outcome

EVENTS_SHOWN = 5
"""A service's most recent events kept in its status."""
ALERTS_KEPT = 20
"""Recent alerts kept for /status and the console."""
CONTAINER_FIELDS = ("name", "image", "cpu", "memory", "essential", "portMappings", "environment", "secrets")
"""What a task definition's status shows of each container (environment values masked as in every output)."""


def _by_address(outcomes: list[Outcome]) -> dict[Address, Outcome]:
    """Each resource's outcome: of the actions at one address (a pre-rollout task and the update it guards), the one
    that did not go through, else the last."""
    out: dict[Address, Outcome] = {}
    for outcome in outcomes:
        if out.get(outcome.address) is None or out[outcome.address].status == "done":
            out[outcome.address] = outcome
    return out


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _identity(address: Address) -> dict[str, Any]:
    return {"kind": address.kind, "name": address.name, "scope": address.scope}


ENTRY: dict[str, Any] = {
    "state": "in_sync",
    "suspended": None,
    "drift": False,
    "last_change": None,
    "last_error": None,
    "changes": None,
    "live": {},
}
"""A resource's /status entry as most are: in sync, unchanged, nothing to show (the book keeps what differs)."""
_UNSET = object()


def _value(value: Any) -> Any:
    return None if value is ABSENT else value


def changes_of(action: Action) -> dict[str, Any]:
    """What the plan would do to a resource, field by field, with the plan's redacted values (absent: null)."""
    return {
        "action": action.verb,
        "reason": reason_text(action),
        "diff": [{"path": c.path, "live": _value(c.before), "desired": _value(c.after)} for c in field_changes(action)],
    }


def live_facts(live: Live) -> dict[str, Any]:
    """What a resource's describe answer says that a person looks for: a service's task definition, counts, latest
    events and its PRIMARY deployment's rollout state and reason (ECS's; the daemon follows only the deployments it
    starts or finds at start-up); a task definition's revision and containers (secrets masked). Empty for other
    kinds."""
    body = live.body
    facts: dict[str, Any] = {}
    if "serviceName" in body:
        facts["task_definition"] = revision_of(str(body.get("taskDefinition", "")))
        facts["running"], facts["desired"] = body.get("runningCount"), body.get("desiredCount")
        facts["events"] = [
            {"at": str(e.get("createdAt", "")), "message": str(e.get("message", ""))}
            for e in (body.get("events") or [])[:EVENTS_SHOWN]
        ]
        deployments: list[dict[str, Any]] = body.get("deployments") or []
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
        if primary.get("rolloutState"):
            facts["primary"] = {"rolloutState": primary["rolloutState"], "reason": primary.get("rolloutStateReason")}
    if "containerDefinitions" in body:
        facts["revision"] = f"{body.get('family')}:{body.get('revision')}"
        facts["containers"] = [
            redact({k: c[k] for k in CONTAINER_FIELDS if k in c}) for c in body.get("containerDefinitions") or []
        ]
    return facts


class RecentAlerts:
    """An alert sink that keeps the last ``ALERTS_KEPT`` alerts for /status and the console."""

    name = "recent"

    def __init__(self) -> None:
        self._alerts: collections.deque[dict[str, Any]] = collections.deque(maxlen=ALERTS_KEPT)
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        with self._lock:
            self._alerts.appendleft({"at": _now(), **alert.as_dict()})

    def newest_first(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._alerts)


@dataclass
class StatusBook:
    """What /status reports, kept up to date by the loop."""

    mode: str
    applied: str | None = None
    """The git revision (or manifest fingerprint) the last successful pass brought live state to."""
    applying: str | None = None
    """The revision a pass is working on now (None between passes)."""
    last_pass: dict[str, Any] | None = None
    last_error: dict[str, Any] | None = None
    resources: dict[Address, dict[str, Any]] = field(default_factory=dict)
    """Each declared resource's entry, without its identity and the fields at their usual value (``ENTRY``):
    at thousands of resources most entries are in sync, and the book lives between passes."""

    def begin(self, revision: str | None) -> None:
        self.applying = revision

    def error(self, message: str, revision: str | None) -> None:
        self.last_error = {"at": _now(), "revision": revision, "error": message}
        self.applying = None

    def record(
        self,
        *,
        revision: str | None,
        result: str,
        plan: Plan | None,
        desired: Mapping[Address, Mapping[str, str]],
        outcomes: list[Outcome],
        drift: bool,
        observed: Mapping[Address, Live] | None = None,
        failures: Mapping[Address, Mapping[str, Any]] | None = None,
    ) -> None:
        """One pass's result. ``desired``: each declared resource's annotations; ``drift``: this pass's differences
        were made outside git (manifests unchanged since live state last matched them); ``observed``: live state as
        the pass read it; ``failures``: the resources whose last change failed (``Failure.as_dict``)."""
        at = _now()
        pending = {a.address: a for a in plan.actions} if plan else {}
        held = {a.address: a for a in plan.held} if plan else {}
        done = _by_address(outcomes)
        resources: dict[Address, dict[str, Any]] = {}
        # An entry (and its address) unchanged since the last pass is kept, not rebuilt: the book outlives passes,
        # and a fresh copy of it each pass, made among the pass's short-lived objects, keeps their memory pages.
        keys = {a: a for a in self.resources}
        for address, notes in sorted(desired.items()):
            before = self.resources.get(address, {})
            entry: dict[str, Any] = {
                **ENTRY,
                "suspended": notes.get(SUSPEND_ANNOTATION),
                "last_change": before.get("last_change"),
                "last_error": before.get("last_error"),
            }
            outcome = done.get(address)
            failure = (failures or {}).get(address)
            if failure is not None:
                entry["state"] = "error"
                entry["last_error"] = dict(failure)
            elif outcome is not None and outcome.status == "done":
                entry["last_change"] = {"at": at, "revision": revision, "action": outcome.action.verb}
                entry["drift"] = False
            elif outcome is not None and outcome.status in ("held", "skipped"):
                entry["state"] = outcome.status
                entry["note"] = outcome.message
            elif address in pending and result == "held":
                entry["state"] = "held"
            elif address in pending:
                entry["state"] = "drifted" if drift else "pending"
                entry["drift"] = drift
            if address in held:
                entry["state"] = "suspended"
                entry["drift"] = True
            elif entry["suspended"] is not None and entry["state"] == "in_sync":
                entry["state"] = "suspended"
            action = held.get(address) or (pending.get(address) if outcome is None else None)
            entry["changes"] = changes_of(action) if action is not None else None
            live = (observed or {}).get(address)
            entry["live"] = live_facts(live) if live is not None else {}
            compact = {k: v for k, v in entry.items() if ENTRY.get(k, _UNSET) != v}
            resources[keys.get(address, address)] = before if compact == before else compact
        self.resources = resources
        self.last_pass = {
            "at": at,
            "revision": revision,
            "result": result,
            "failed": sorted(str(a) for a in failures or {}),
        }
        if result in ("applied", "healed", "in_sync"):
            self.applied = revision
        self.applying = None

    def document(self, *, held: dict[str, Any] | None, rollouts: Mapping[Address, Mapping[str, Any]]) -> dict[str, Any]:
        """The /status JSON."""
        resources = {str(a): {**_identity(a), **ENTRY, "live": {}, **entry} for a, entry in self.resources.items()}
        for address, state in rollouts.items():
            resources.setdefault(str(address), {**_identity(address), "state": "unknown"})["rollout"] = dict(state)
        return {
            "mode": self.mode,
            "revision": {"applied": self.applied, "applying": self.applying},
            "held": held,
            "last_pass": self.last_pass,
            "last_error": self.last_error,
            "resources": resources,
        }


def status_document(book: StatusBook, deployments: Deployments) -> dict[str, object]:
    """The /status document: the book's passes and resources with the deployments followed, the held revision and
    each service's last completed one."""
    held = deployments.held
    rollouts = {a: dict(s) for a, s in list(deployments.states.items())}  # the loop thread may add to it
    for address in held.services if held is not None else ():
        rollouts.setdefault(address, {})["held"] = held.revision if held is not None else None
    for address, (task_definition, revision) in list(deployments.last_good.items()):
        last = {"task_definition": task_definition, "revision": revision}
        rollouts.setdefault(address, {})["last_completed"] = last
    return book.document(
        held=None
        if held is None
        else {
            "revision": held.revision,
            "service": held.service,
            "reason": held.reason,
            "rolled_back": list(held.rolled_back),
        },
        rollouts=rollouts,
    )
