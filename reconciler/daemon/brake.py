"""The vanished-fleet brake: a pass that would re-create many resources the daemon itself saw live, now all gone,
waits for a human instead of rebuilding.

An emulator restarted empty, credentials for another account, or a region switched under the daemon all look the
same from inside a pass: every resource it brought up is missing and the plan is a full rebuild. Rebuilding there
would be wrong (a fleet in the wrong account), so the daemon alerts once and keeps waiting until a human acts: a new
revision of the manifests (a commit), or a restart of the daemon, which forgets what it saw.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from reconciler.core.model import Address, Live
from reconciler.core.plan import Create, Plan


def vanished(plan: Plan, observed: Mapping[Address, Live], fleet: Collection[Address], *, limit: int) -> list[Address]:
    """The resources the plan would re-create when more than ``limit`` of the ``fleet`` (what earlier passes
    brought to the manifests) would be and none of the fleet is live any more; empty otherwise (``limit`` < 0:
    never)."""
    if limit < 0 or not fleet or any(address in observed for address in fleet):
        return []
    known = set(fleet)
    again = [a.address for a in plan.actions if isinstance(a, Create) and a.address in known]
    return again if len(again) > limit else []
