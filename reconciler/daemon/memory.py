"""What the daemon knows after a restart, read back from AWS: the process and its disk keep nothing.

Two sources, both read by the first full pass, which describes every managed service anyway (tags included):

- ECS's own deployment history: the ServiceDeployment each service names as current (``currentServiceDeployment``,
  then DescribeServiceDeployments, ``read.BATCH`` a call) says whether a deployment is in flight (followed on from
  where it stands), failed, or completed (then the service's task definition and its revision tag are the last
  revision of it that rolled out completely).
- One tag the daemon writes through the executor (a Retag) on a service whose rollout failed, ``HELD_TAG_KEY``:
  ``FINGERPRINT DEPLOYMENT``, the held manifests' fingerprint and the failed ServiceDeployment's id. The fingerprint
  keeps that revision held (a revision ``--rollback-on-failure`` rolled back no longer shows in ECS's current
  deployment); the id says the failure was alerted. A failed deployment without the marker was never alerted: the
  daemon was killed before it saw the failure, or between the alert and the marker (alerts go out before the marker
  is written, so a kill can repeat an alert, never lose one).

``recall`` is pure: the services' DescribeServices entries and their current deployments in, what to do out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler import rollout
from reconciler.core.diff import tag_map
from reconciler.core.model import Address
from reconciler.core.tags import HELD_TAG_KEY, REVISION_TAG_KEY
from reconciler.deployments.stages import IN_FLIGHT, SUCCEEDED, Deployment

NONE = "-"
"""The marker's placeholder for a fingerprint that holds nothing, or a deployment ECS did not name."""


@dataclass(frozen=True)
class Marker:
    """The hold marker's two words."""

    fingerprint: str
    deployment: str

    @property
    def value(self) -> str:
        return f"{self.fingerprint} {self.deployment}"


def deployment_id(arn: str | None) -> str:
    """A ServiceDeployment's id: the last part of its ARN (``NONE`` without one)."""
    return arn.rsplit("/", 1)[-1] if arn else NONE


def marker_of(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> Marker | None:
    """The hold marker a service carries, if any (a malformed one counts as none)."""
    words = (tag_map(tags).get(HELD_TAG_KEY) or "").split()
    return Marker(words[0], words[1]) if len(words) == 2 else None


Found = Literal["follow", "failed", "completed"]


@dataclass(frozen=True)
class Recalled:
    """What start-up found of one managed service."""

    address: Address
    held: bool
    """Its marker names the manifests being read now: the revision stays held."""
    found: Found | None
    """Its current deployment is in flight and not yet known failed (follow it on), failed and never alerted, or
    completed; None: nothing to do (no deployment ECS names, or a failure already alerted)."""
    deployment: Deployment | None
    task_definition: str | None
    revision: str | None
    """The git revision the service was last changed by (its revision tag)."""


def recall(
    fingerprint: str, bodies: Mapping[Address, Mapping[str, Any]], deployments: Mapping[Address, Deployment]
) -> list[Recalled]:
    """Each service's standing at start-up, in address order."""
    out: list[Recalled] = []
    for address, body in sorted(bodies.items()):
        tags = body.get("tags")
        marker = marker_of(tags)
        deployment = deployments.get(address)
        alerted = marker is not None and deployment is not None and marker.deployment == deployment_id(deployment.arn)
        found: Found | None = None
        if deployment is not None and deployment.status in SUCCEEDED:
            found = "completed"
        elif deployment is not None and not alerted:
            found = "follow" if deployment.status in IN_FLIGHT else "failed"
        out.append(
            Recalled(
                address,
                held=marker is not None and marker.fingerprint == fingerprint,
                found=found,
                deployment=deployment,
                task_definition=rollout.task_definition_of(body),
                revision=tag_map(tags).get(REVISION_TAG_KEY),
            )
        )
    return out
