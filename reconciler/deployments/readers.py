"""Whose deployments are followed, and how each is read: a service's ServiceDeployments (``read``), an Express
service's (those of the ECS service behind it, which ECS manages: DescribeServices names its current one, as for any
service) and a daemon's DaemonDeployments (``daemons``), behind the same verbs, so ``apply``'s waiting, the daemon's
following and ``status`` follow them alike. ``reader_of`` answers None for a kind without deployments."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.aws import Aws
from reconciler.core.model import Address, Live
from reconciler.deployments import daemons, read
from reconciler.deployments.stages import Deployment
from reconciler.kinds import service_live
from reconciler.kinds.daemon import KIND as DAEMON
from reconciler.kinds.express_service import KIND as EXPRESS_SERVICE
from reconciler.kinds.service import KIND as SERVICE

Body = Mapping[str, Any] | None


@dataclass(frozen=True)
class Reader:
    """How one kind's resources and their deployments are read (every call paced by the AWS boundary)."""

    poll: Callable[[Aws, Address], tuple[Body, Deployment | None]]
    """One resource as described now (None: not found) and the deployment it is on (None: ECS names none)."""
    lives: Callable[[Aws, Sequence[Address]], dict[Address, Live]]
    """Several resources, read in batches (one not found is left out)."""
    current_arn: Callable[[Body], str | None]
    """The deployment a described resource is on."""
    describe: Callable[[Aws, Iterable[str]], dict[str, Deployment]]
    """Deployments by ARN, in batches."""


def _poll_service(aws: Aws, address: Address) -> tuple[Body, Deployment | None]:
    body = read.service(aws, address)
    arn = read.current_arn(body)
    return body, read.describe(aws, [arn]).get(arn) if arn else None


def _services(aws: Aws, addresses: Sequence[Address]) -> dict[Address, Live]:
    names: dict[str, list[str]] = {}
    for address in addresses:
        names.setdefault(str(address.scope), []).append(address.name)
    return service_live.describe(aws, names)


def _express_services(aws: Aws, addresses: Sequence[Address]) -> dict[Address, Live]:
    """The ECS services behind these Express services, read as services are, each at its Express service's address."""
    found = _services(aws, addresses)
    behind = {a: found.get(Address(SERVICE.name, a.name, a.scope)) for a in addresses}
    return {a: replace(live, address=a) for a, live in behind.items() if live is not None}


def _express_current_arn(body: Body) -> str | None:
    """The deployment of the ECS service behind it; an Express service's own reading names it ``currentDeployment``."""
    arn = read.current_arn(body) or (body or {}).get("currentDeployment")
    return str(arn) if arn else None


def _poll_daemon(aws: Aws, address: Address) -> tuple[Body, Deployment | None]:
    live = daemons.daemons(aws, [address]).get(address)
    body = live.body if live is not None else None
    return body, daemons.current(body)


READERS = {
    SERVICE.name: Reader(_poll_service, _services, read.current_arn, read.describe),
    EXPRESS_SERVICE.name: Reader(_poll_service, _express_services, _express_current_arn, read.describe),
    DAEMON.name: Reader(_poll_daemon, daemons.daemons, daemons.current_arn, daemons.describe),
}


def reader_of(address: Address) -> Reader | None:
    """How the resource's deployments are read (None: its kind has none to follow)."""
    return READERS.get(address.kind)


def lives(aws: Aws, addresses: Sequence[Address]) -> dict[Address, Live]:
    """The resources at these addresses, each kind read by its reader."""
    found: dict[Address, Live] = {}
    for kind, reader in READERS.items():
        mine = [a for a in addresses if a.kind == kind]
        if mine:
            found |= reader.lives(aws, mine)
    return found


def deployments(aws: Aws, arns: Mapping[Address, str]) -> dict[Address, Deployment]:
    """The deployment of each address by its ARN, each kind's read in batches."""
    found: dict[Address, Deployment] = {}
    for kind, reader in READERS.items():
        mine = {a: arn for a, arn in arns.items() if a.kind == kind}
        described = reader.describe(aws, mine.values()) if mine else {}
        found |= {a: described[arn] for a, arn in mine.items() if arn in described}
    return found


def current(aws: Aws, bodies: Mapping[Address, Body]) -> dict[Address, Deployment]:
    """Each described resource's current deployment."""
    arns = {a: arn for a, body in bodies.items() if (reader := reader_of(a)) and (arn := reader.current_arn(body))}
    return deployments(aws, arns)
