"""What the deployment follower keeps of each rollout: one service's deployment (``Following``), the services one
pass changed (``RevisionRollout``), and a git revision held after a failure (``Held``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from reconciler import rollout
from reconciler.core.model import Address, Live
from reconciler.deployments.stages import Deployment
from reconciler.kinds.service import KIND as SERVICE


@dataclass
class Following:
    """One service's deployment, started by a pass over one git revision."""

    address: Address
    previous: str | None
    """``family:revision`` the service ran before the pass changed it (None: the pass created it)."""
    started: float
    task_definition: str | None = None
    """``family:revision`` being rolled out (read from the service right after the pass changed it)."""
    progress: rollout.Progress | None = None
    since: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))
    """When the change was made (a deployment that completed before it is an earlier one)."""
    deployment: str | None = None
    """The ServiceDeployment followed, once ECS has started it (a newer one supersedes it: it stops)."""
    rolling: float = 0.0
    """Seconds spent rolling out (neither paused at a hook nor baking): what the timeout counts."""
    checked: float = field(init=False)
    live: Live | None = None
    """The service as last read (a hold marker's retag starts from it)."""
    paused: tuple[str, str, str] | None = None
    """(deployment, hook, stage) of the pause last alerted: each pause is alerted once."""
    stall: rollout.Stall = field(init=False)
    """When its state last changed, and what explaining a stretch without change found."""

    def __post_init__(self) -> None:
        self.stall = rollout.Stall(self.started)
        self.checked = self.started

    def timed(self, progress: rollout.Progress, now: float) -> None:
        """Count the time since the last check when the deployment was rolling out then."""
        last = self.progress
        if last is None or (last.state == "waiting" and not baking(last.deployment)):
            self.rolling += now - self.checked
        self.checked = now


def baking(deployment: Deployment | None) -> bool:
    """The deployment is in its bake time (ECS says when it ends: no timeout counts it)."""
    return deployment is not None and deployment.stage == "BAKE_TIME"


def stoppable(following: Following) -> bool:
    """The followed service deployment is still in progress (timed out): ECS can roll it back itself."""
    progress = following.progress
    return (
        following.address.kind == SERVICE.name
        and bool(following.deployment)
        and progress is not None
        and progress.deployment is not None
        and not (progress.deployment.finished)
    )


def started_after(deployment: Deployment, since: datetime.datetime) -> bool:
    """ECS started the deployment for the change made at ``since`` (not an earlier one)."""
    return deployment.started_at is None or deployment.started_at >= since - rollout.STALE_GRACE


@dataclass
class RevisionRollout:
    """The services one pass changed, and how their deployments went."""

    fingerprint: str
    revision: str | None
    services: dict[Address, Following]
    next_check: float
    pause: float = rollout.FIRST_POLL

    @property
    def finished(self) -> bool:
        return all(f.progress is not None and f.progress.settled for f in self.services.values())


@dataclass
class Held:
    """A git revision not applied again: one of its services failed to roll out."""

    fingerprint: str
    revision: str | None
    service: str
    reason: str
    rolled_back: tuple[str, ...] = ()
    services: tuple[Address, ...] = ()
    """Every service the revision changed (each shows the hold in /status)."""
