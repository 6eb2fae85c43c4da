"""Saved plans: ``plan --out FILE`` writes one, ``apply FILE`` applies exactly it or refuses.

A saved plan holds no value from the manifests or from AWS (so no secret): the manifests' path, the options it was
made with, the account and region, the list of actions (kind and name only), and three SHA-256 fingerprints: of the
manifest set as loaded (variables filled in), of the live state as the plan compared it (what exists, who manages
it, and every field that differs, with both values), and of the plan itself. ``apply FILE`` loads and plans again
and applies only if all three are unchanged: nothing is written otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import __version__
from reconciler.core.diff import ABSENT
from reconciler.core.errors import UsageError
from reconciler.core.model import Resource
from reconciler.core.plan import Plan
from reconciler.core.render import Where
from reconciler.core.settings import ApplySettings
from reconciler.pipeline import Planned

FORMAT = "ecs-reconciler-plan/1"


def _digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, default=lambda v: "(absent)" if v is ABSENT else str(v))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifests_fingerprint(resources: Sequence[Resource]) -> str:
    return _digest(sorted(([str(r.address), r.spec, dict(r.annotations)] for r in resources), key=lambda x: x[0]))


def live_fingerprint(planned: Planned) -> str:
    """What exists and who manages it, at every address the plan read."""
    return _digest(sorted([str(address), live.managed] for address, live in planned.state.live.items()))


def plan_fingerprint(plan: Plan) -> str:
    """Every action with every field it changes (before and after) and every note."""
    return _digest(
        {
            "actions": [
                [a.action, str(a.address), a.reason, [[c.path, c.before, c.after] for c in a.changes]]
                for a in plan.actions
            ],
            "notes": [[n.message, n.blocking] for n in plan.notes],
        }
    )


@dataclass(frozen=True)
class SavedPlan:
    path: str
    selectors: list[str]
    options: dict[str, Any]
    account: str | None
    region: str
    manifests: str
    live: str
    plan: str
    actions: list[str]


def save(
    file: str, manifests_path: str, planned: Planned, *, selectors: Sequence[str], where: Where, options: ApplySettings
) -> None:
    document = {
        "format": FORMAT,
        "tool": f"ecs-reconciler {__version__}",
        "path": os.path.abspath(manifests_path),
        "selectors": list(selectors),
        "options": {
            "prune": options.prune,
            "adopt": options.adopt,
            "allow_replace": options.allow_replace,
            "max_deletions": options.max_deletions,
        },
        "account": where.account,
        "region": where.region,
        "fingerprints": {
            "manifests": manifests_fingerprint(planned.loaded.resources),
            "live": live_fingerprint(planned),
            "plan": plan_fingerprint(planned.plan),
        },
        "actions": [f"{a.action} {a.address}" for a in planned.plan.actions],
    }
    try:
        with open(file, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror}") from exc


def read(file: str) -> SavedPlan | None:
    """The saved plan in ``file``, or None when ``file`` is not one (a manifest file, a directory)."""
    if not os.path.isfile(file):
        return None
    try:
        with open(file, encoding="utf-8") as handle:
            head = handle.read(256)
            if not head.lstrip().startswith("{") or FORMAT not in head:
                return None
            handle.seek(0)
            document = json.load(handle)
        prints = document["fingerprints"]
        return SavedPlan(
            path=str(document["path"]),
            selectors=[str(t) for t in document["selectors"]],
            options=dict(document["options"]),
            account=document["account"],
            region=str(document["region"]),
            manifests=str(prints["manifests"]),
            live=str(prints["live"]),
            plan=str(prints["plan"]),
            actions=[str(a) for a in document["actions"]],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{file}: not a readable saved plan ({exc})") from exc


def stale(saved: SavedPlan, planned: Planned, where: Where) -> list[str]:
    """Why ``planned`` (made again now) is not the saved plan; empty when it is exactly that plan."""
    reasons = []
    if (saved.account, saved.region) != (where.account, where.region):
        reasons.append(f"it was made for account {saved.account}, region {saved.region}, not {where}")
    if saved.manifests != manifests_fingerprint(planned.loaded.resources):
        reasons.append(f"the manifests in {saved.path} (or the variables given) changed")
    if saved.live != live_fingerprint(planned) or saved.plan != plan_fingerprint(planned.plan):
        reasons.append("live state changed: the plan made now differs")
    return reasons
