"""The daemon's status document (served at /status): the git revision applied and being applied, and for each
resource whether it is in sync, drifted or suspended, its rollout, its last change and its last error.

Written by the loop thread after each pass, read by the HTTP thread: each write replaces whole values, so a reader
sees one pass's picture or the next one's, never a mix inside one resource.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.model import Address
from reconciler.core.plan import SUSPEND_ANNOTATION, Plan
from reconciler.executor import Outcome


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


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
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

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
    ) -> None:
        """One pass's result. ``desired``: each declared resource's annotations; ``drift``: this pass's differences
        were made outside git (manifests unchanged since live state last matched them)."""
        at = _now()
        pending = {a.address: a for a in plan.actions} if plan else {}
        held = {a.address: a for a in plan.held} if plan else {}
        done = {o.action.address: o for o in outcomes}
        resources: dict[str, dict[str, Any]] = {}
        for address, notes in sorted(desired.items()):
            key = str(address)
            before = self.resources.get(key, {})
            entry: dict[str, Any] = {
                "state": "in_sync",
                "suspended": notes.get(SUSPEND_ANNOTATION),
                "drift": False,
                "last_change": before.get("last_change"),
                "last_error": before.get("last_error"),
            }
            outcome = done.get(address)
            if outcome is not None and outcome.status == "done":
                entry["last_change"] = {"at": at, "revision": revision, "action": outcome.action.action}
                entry["drift"] = False
            elif outcome is not None and outcome.status == "failed":
                entry["state"] = "error"
                entry["last_error"] = {"at": at, "revision": revision, "error": outcome.error}
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
            resources[key] = entry
        self.resources = resources
        self.last_pass = {"at": at, "revision": revision, "result": result}
        if result in ("applied", "healed", "in_sync"):
            self.applied = revision
        self.applying = None

    def document(self, *, held: dict[str, Any] | None, rollouts: Mapping[Address, Mapping[str, Any]]) -> dict[str, Any]:
        """The /status JSON."""
        resources = {k: dict(v) for k, v in self.resources.items()}
        for address, state in rollouts.items():
            resources.setdefault(str(address), {"state": "unknown"})["rollout"] = dict(state)
        return {
            "mode": self.mode,
            "revision": {"applied": self.applied, "applying": self.applying},
            "held": held,
            "last_pass": self.last_pass,
            "last_error": self.last_error,
            "resources": resources,
        }
