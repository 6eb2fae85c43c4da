"""The emulator's ECS Managed Daemons (moto has none of these calls), as the ECS API reference documents them:
RegisterDaemonTaskDefinition, DescribeDaemonTaskDefinition, ListDaemonTaskDefinitions, DeleteDaemonTaskDefinition,
CreateDaemon, UpdateDaemon, DeleteDaemon, DescribeDaemon, ListDaemons, DescribeDaemonRevisions,
DescribeDaemonDeployments and ListDaemonDeployments, and tags on daemons and daemon task definitions.

A create or update makes a daemon revision (the task definition, tag propagation, execute command, critical) and a
daemon deployment to it; a deployment is IN_PROGRESS until a read after the one that first saw it (the emulator
runs no instances to drain), then SUCCESSFUL, or rolled back by the circuit breaker when ``rollouts.ROLLOUT_ENV``
says its images fail (``_settle``).
The ARN forms are the emulator's (``daemon/CLUSTER/NAME``, ``daemon-task-definition/FAMILY:REVISION``).
"""

from __future__ import annotations

import copy
import os
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ClusterNotFoundException, ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.clock import CLOCK
from reconciler.emulator.ecs_managed_instances import ManagedInstancesCapacityProvider
from reconciler.emulator.hooks import epoch, page, patch
from reconciler.emulator.rollouts import ROLLOUT_ENV, ROLLOUT_IMAGES_ENV

REVISION_FIELDS = ("propagateTags", "enableECSManagedTags", "enableExecuteCommand", "critical")
"""DaemonRevision members taken from the daemon (DescribeDaemonRevisions)."""


class Tagged:
    """The tags a daemon task definition was registered with (RegisterDaemonTaskDefinition's ``tags``)."""

    def __init__(self, tags: list[dict[str, str]]) -> None:
        self.tags = tags


class Daemon:
    """One daemon: its ARN, cluster, capacity providers, deployment configuration, tags and current revision."""

    def __init__(self, arn: str, cluster_arn: str, tags: list[dict[str, str]]) -> None:
        self.arn, self.cluster_arn, self.tags = arn, cluster_arn, tags
        self.status = "ACTIVE"
        self.capacity_providers: list[str] = []
        self.revision = ""
        self.deployment = ""
        self.created_at = self.updated_at = CLOCK.utc()


def patch_ecs_daemons() -> None:
    """Install the daemon calls, and tags on daemon ARNs."""
    for name, handler in (
        ("register_daemon_task_definition", _register),
        ("describe_daemon_task_definition", _describe_definition),
        ("list_daemon_task_definitions", _list_definitions),
        ("delete_daemon_task_definition", _delete_definition),
        ("create_daemon", _create),
        ("update_daemon", _update),
        ("delete_daemon", _delete),
        ("describe_daemon", _describe),
        ("list_daemons", _list),
        ("describe_daemon_revisions", _describe_revisions),
        ("describe_daemon_deployments", _describe_deployments),
        ("list_daemon_deployments", _list_deployments),
    ):
        setattr(EC2ContainerServiceResponse, name, handler)
    patch(EC2ContainerServiceBackend, "_get_resource", _get_resource)


def _store(backend: EC2ContainerServiceBackend, name: str) -> dict[str, Any]:
    """One of the emulator's daemon stores on moto's backend (so they are reset and saved with it)."""
    stores: dict[str, dict[str, Any]] = backend.__dict__.setdefault("daemon_stores", {})
    return stores.setdefault(name, {})


def _get_resource(original: Any, self: EC2ContainerServiceBackend, resource_arn: str, parsed: dict[str, str]) -> Any:
    # ECS API reference, TagResource / ListTagsForResource: daemons take tags like the other ECS resources, and so do
    # daemon task definitions (RegisterDaemonTaskDefinition: "tags", the metadata applied to the definition).
    if parsed.get("service") == "daemon":
        daemon = _store(self, "daemons").get(resource_arn)
        if daemon is None:
            raise ECSException("ResourceNotFoundException", "The daemon does not exist.")
        return daemon
    if parsed.get("service") == "daemon-task-definition":
        tagged = _store(self, "definition_tags").get(resource_arn)
        if tagged is None:
            raise ECSException("ResourceNotFoundException", "The daemon task definition does not exist.")
        return tagged
    return original(self, resource_arn, parsed)


def _prefix(backend: EC2ContainerServiceBackend) -> str:
    return f"arn:aws:ecs:{backend.region_name}:{backend.account_id}"


def _register(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, RegisterDaemonTaskDefinition: each call registers the family's next revision.
    backend = self.ecs_backend
    family = self._get_param("family")
    revisions = _store(backend, "definitions").setdefault(family, {})
    number = max(revisions, default=0) + 1
    arn = f"{_prefix(backend)}:daemon-task-definition/{family}:{number}"
    body = {k: self._get_param(k) for k in _DEFINITION_INPUTS if self._get_param(k) is not None}
    revisions[number] = {
        **copy.deepcopy(body),
        "daemonTaskDefinitionArn": arn,
        "family": family,
        "revision": number,
        "status": "ACTIVE",
        "registeredAt": CLOCK.utc(),
    }
    _store(backend, "definition_tags")[arn] = Tagged(copy.deepcopy(self._get_param("tags") or []))
    return ActionResult({"daemonTaskDefinitionArn": arn})


_DEFINITION_INPUTS = (
    "taskRoleArn",
    "executionRoleArn",
    "containerDefinitions",
    "cpu",
    "memory",
    "volumes",
    "pidMode",
    "ipcMode",
)


def _definition(backend: EC2ContainerServiceBackend, ref: str) -> dict[str, Any]:
    """A daemon task definition by ARN, family:revision, or family (its latest ACTIVE revision)."""
    name = str(ref).rsplit("/", 1)[-1]
    family, _, number = name.partition(":")
    revisions = _store(backend, "definitions").get(family, {})
    if number:
        found = revisions.get(int(number))
    else:
        active = [r for r in revisions.values() if r["status"] == "ACTIVE"]
        found = max(active, key=lambda r: r["revision"], default=None)
    if found is None:
        raise InvalidParameterException(f"Daemon task definition {ref} does not exist.")
    return cast("dict[str, Any]", found)


def _describe_definition(self: EC2ContainerServiceResponse) -> ActionResult:
    found = _definition(self.ecs_backend, self._get_param("daemonTaskDefinition"))
    return ActionResult({"daemonTaskDefinition": copy.deepcopy(found)})


def _list_definitions(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, ListDaemonTaskDefinitions: filtered by family (or prefix) and status (ACTIVE by default).
    family, prefix = self._get_param("family"), self._get_param("familyPrefix") or ""
    status = self._get_param("status") or "ACTIVE"
    items = [
        r
        for name, revisions in sorted(_store(self.ecs_backend, "definitions").items())
        if (family is None or name == family) and name.startswith(prefix)
        for _, r in sorted(revisions.items())
        if status == "ALL" or r["status"] == status
    ]
    briefs = [
        {"arn": r["daemonTaskDefinitionArn"], "registeredAt": r["registeredAt"], "status": r["status"]} for r in items
    ]
    chunk, token = page(briefs, int(self._get_param("maxResults") or 100), self._get_param("nextToken"))
    return ActionResult({"daemonTaskDefinitions": chunk, "nextToken": token})


def _delete_definition(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, DeleteDaemonTaskDefinition: "must be in an ACTIVE state to be deleted"; daemons that use
    # it keep running.
    found = _definition(self.ecs_backend, self._get_param("daemonTaskDefinition"))
    if found["status"] != "ACTIVE":
        raise InvalidParameterException("The daemon task definition is not ACTIVE.")
    found["status"], found["deleteRequestedAt"] = "DELETE_IN_PROGRESS", CLOCK.utc()
    return ActionResult({"daemonTaskDefinitionArn": found["daemonTaskDefinitionArn"]})


def _providers(backend: EC2ContainerServiceBackend, cluster: str, names: list[str]) -> list[str]:
    """The capacity providers' ARNs; ECS API reference, CreateDaemon: "ECS Managed Daemons is only supported for
    Amazon ECS Managed Instances Capacity Providers" (of the daemon's cluster)."""
    arns = []
    for name in names:
        provider = backend.capacity_providers.get(str(name).rsplit("/", 1)[-1])
        if not isinstance(provider, ManagedInstancesCapacityProvider) or provider.cluster != cluster:
            raise InvalidParameterException(f"{name} is not a Managed Instances capacity provider of {cluster}.")
        arns.append(provider.capacity_provider_arn)
    return arns


def _deploy(self: EC2ContainerServiceResponse, daemon: Daemon, settings: dict[str, Any]) -> None:
    """A new daemon revision from ``settings`` and a deployment to it, replacing the daemon's current ones."""
    backend = self.ecs_backend
    definition = _definition(backend, self._get_param("daemonTaskDefinitionArn"))
    if definition["status"] != "ACTIVE":
        raise InvalidParameterException("The daemon task definition is not ACTIVE.")
    revisions, deployments = _store(backend, "revisions"), _store(backend, "deployments")
    serial = len(revisions) + 1
    key = daemon.arn.split(":daemon/", 1)[1]
    revision_arn = f"{_prefix(backend)}:daemon-revision/{key}/{serial}"
    deployment_arn = f"{_prefix(backend)}:daemon-deployment/{key}/{serial}"
    revision: dict[str, Any] = {
        "daemonRevisionArn": revision_arn,
        "clusterArn": daemon.cluster_arn,
        "daemonArn": daemon.arn,
        "daemonTaskDefinitionArn": definition["daemonTaskDefinitionArn"],
        "createdAt": CLOCK.utc(),
        "containerImages": [
            {"containerName": c.get("name"), "image": c.get("image")} for c in definition["containerDefinitions"]
        ],
        **settings,
    }
    revisions[revision_arn] = revision
    source = daemon.revision
    deployment = {
        "daemonDeploymentArn": deployment_arn,
        "clusterArn": daemon.cluster_arn,
        "status": "IN_PROGRESS",
        "targetDaemonRevision": {"arn": revision_arn},
        "sourceDaemonRevisions": [{"arn": source}] if source else [],
        "deploymentConfiguration": copy.deepcopy(self._get_param("deploymentConfiguration") or {}),
        "createdAt": CLOCK.utc(),
        "startedAt": CLOCK.utc(),
        "_daemon": daemon.arn,
    }
    deployments[deployment_arn] = deployment
    daemon.revision, daemon.deployment, daemon.updated_at = revision_arn, deployment_arn, CLOCK.utc()


def _settings(self: EC2ContainerServiceResponse) -> dict[str, Any]:
    # ECS API reference, CreateDaemon: propagateTags NONE, enableECSManagedTags and enableExecuteCommand false.
    given = {k: self._get_param(k) for k in REVISION_FIELDS}
    defaults = {"propagateTags": "NONE", "enableECSManagedTags": False, "enableExecuteCommand": False}
    return {
        k: given[k] if given[k] is not None else defaults.get(k)
        for k in REVISION_FIELDS
        if given[k] is not None or k in defaults
    }


def _create(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster_name = str(self._get_param("clusterArn") or "default").rsplit("/", 1)[-1]
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        raise ClusterNotFoundException
    name = self._get_param("daemonName")
    arn = f"{_prefix(backend)}:daemon/{cluster_name}/{name}"
    daemons = _store(backend, "daemons")
    if arn in daemons and daemons[arn].status == "ACTIVE":
        raise InvalidParameterException(f"The daemon {name} already exists in {cluster_name}.")
    daemon = Daemon(arn, cluster.arn, copy.deepcopy(self._get_param("tags") or []))
    daemon.capacity_providers = _providers(backend, cluster_name, self._get_param("capacityProviderArns") or [])
    _deploy(self, daemon, _settings(self))
    daemons[arn] = daemon
    return ActionResult(
        {"daemonArn": arn, "status": "ACTIVE", "createdAt": daemon.created_at, "deploymentArn": daemon.deployment}
    )


def _daemon(self: EC2ContainerServiceResponse) -> Daemon:
    daemon = _store(self.ecs_backend, "daemons").get(self._get_param("daemonArn"))
    if daemon is None or daemon.status != "ACTIVE":
        # ECS API reference, UpdateDaemon / DeleteDaemon: "The daemon must be in an ACTIVE state".
        raise ECSException("DaemonNotFoundException", "The daemon does not exist or is not ACTIVE.")
    return cast(Daemon, daemon)


def _update(self: EC2ContainerServiceResponse) -> ActionResult:
    daemon = _daemon(self)
    cluster = daemon.cluster_arn.rsplit("/", 1)[-1]
    daemon.capacity_providers = _providers(self.ecs_backend, cluster, self._get_param("capacityProviderArns") or [])
    _deploy(self, daemon, _settings(self))
    return ActionResult(
        {
            "daemonArn": daemon.arn,
            "status": daemon.status,
            "createdAt": daemon.created_at,
            "updatedAt": daemon.updated_at,
            "deploymentArn": daemon.deployment,
        }
    )


def _delete(self: EC2ContainerServiceResponse) -> ActionResult:
    daemon = _daemon(self)
    daemon.status, daemon.updated_at = "DELETE_IN_PROGRESS", CLOCK.utc()
    del _store(self.ecs_backend, "daemons")[daemon.arn]
    return ActionResult({"daemonArn": daemon.arn, "status": daemon.status, "createdAt": daemon.created_at})


def _describe(self: EC2ContainerServiceResponse) -> ActionResult:
    daemon = _daemon(self)
    _settle(self.ecs_backend)
    return ActionResult(
        {
            "daemon": {
                "daemonArn": daemon.arn,
                "clusterArn": daemon.cluster_arn,
                "status": daemon.status,
                "currentRevisions": [
                    {
                        "arn": daemon.revision,
                        "capacityProviders": [
                            {"arn": arn, "runningCount": 0, "withoutDaemonCount": 0}
                            for arn in daemon.capacity_providers
                        ],
                        "totalRunningCount": 0,
                        "totalWithoutDaemonCount": 0,
                    }
                ],
                "deploymentArn": daemon.deployment,
                "createdAt": daemon.created_at,
                "updatedAt": daemon.updated_at,
            }
        }
    )


def _list(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, ListDaemons: filtered by cluster and capacity providers.
    cluster = self._get_param("clusterArn")
    wanted = set(self._get_param("capacityProviderArns") or [])
    found = [
        d
        for d in _store(self.ecs_backend, "daemons").values()
        if (cluster is None or d.cluster_arn.rsplit("/", 1)[-1] == str(cluster).rsplit("/", 1)[-1])
        and (not wanted or wanted & set(d.capacity_providers))
    ]
    briefs = [
        {"daemonArn": d.arn, "status": d.status, "createdAt": d.created_at, "updatedAt": d.updated_at} for d in found
    ]
    chunk, token = page(briefs, int(self._get_param("maxResults") or 100), self._get_param("nextToken"))
    return ActionResult({"daemonSummariesList": chunk, "nextToken": token})


def _describe_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    known = _store(self.ecs_backend, "revisions")
    arns = self._get_param("daemonRevisionArns") or []
    return ActionResult(
        {
            "daemonRevisions": [copy.deepcopy(known[a]) for a in arns if a in known],
            "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in known],
        }
    )


def _settle(backend: EC2ContainerServiceBackend) -> None:
    """A deployment an earlier read saw ends now (the emulator runs no instances to drain), as
    ``rollouts.ROLLOUT_ENV`` says for its images (``rollouts.ROLLOUT_IMAGES_ENV``): ``complete`` SUCCESSFUL; ``fail``
    the daemon task fails to start on the instances, so the circuit breaker triggers and ECS rolls the daemon back to
    the revision the deployment replaced (ECS API reference, DaemonRollback: "the circuit breaker initiated the
    rollback operation"): ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL at the next read, ROLLBACK_FAILED when there
    is no earlier revision; ``stuck`` stays IN_PROGRESS."""
    daemons, revisions = _store(backend, "daemons"), _store(backend, "revisions")
    for deployment in _store(backend, "deployments").values():
        if deployment["status"] == "ROLLBACK_IN_PROGRESS":
            deployment["status"], deployment["finishedAt"] = "ROLLBACK_SUCCESSFUL", CLOCK.utc()
            daemon = daemons.get(deployment["_daemon"])
            if daemon is not None and daemon.deployment == deployment["daemonDeploymentArn"]:
                daemon.revision = deployment["rollback"]["rollbackTargetDaemonRevisionArn"]
        elif deployment["status"] == "IN_PROGRESS" and deployment.get("_seen"):
            mode = _mode(revisions[deployment["targetDaemonRevision"]["arn"]])
            if mode == "complete":
                deployment["status"], deployment["finishedAt"] = "SUCCESSFUL", CLOCK.utc()
            elif mode == "fail":
                _trip(deployment)
        deployment["_seen"] = True


def _mode(revision: dict[str, Any]) -> str:
    """How a deployment of ``revision`` ends: complete, fail or stuck (as a service deployment of its images)."""
    pattern = os.environ.get(ROLLOUT_IMAGES_ENV)
    if pattern and not any(pattern in str(c.get("image")) for c in revision.get("containerImages") or []):
        return "complete"
    return os.environ.get(ROLLOUT_ENV, "complete")


def _trip(deployment: dict[str, Any]) -> None:
    """The circuit breaker stops the deployment and ECS rolls back to the revision it replaced, when there is one."""
    source = next((str(s["arn"]) for s in deployment.get("sourceDaemonRevisions") or [] if s.get("arn")), None)
    deployment["circuitBreaker"] = {"status": "TRIGGERED"}
    reason = "The daemon task failed to start on the container instances: the circuit breaker triggered."
    if source is None:
        deployment.update(status="ROLLBACK_FAILED", finishedAt=CLOCK.utc())
        deployment["statusReason"] = f"{reason} There is no earlier daemon revision to roll back to."
        return
    deployment.update(status="ROLLBACK_IN_PROGRESS", statusReason=reason)
    deployment["rollback"] = {
        "reason": "The circuit breaker initiated the rollback.",
        "startedAt": CLOCK.utc(),
        "rollbackTargetDaemonRevisionArn": source,
    }


def _public(deployment: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in deployment.items() if not k.startswith("_")}


def _describe_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    _settle(backend)
    known = _store(backend, "deployments")
    arns = self._get_param("daemonDeploymentArns") or []
    return ActionResult(
        {
            "daemonDeployments": [_public(known[a]) for a in arns if a in known],
            "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in known],
        }
    )


def _list_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, ListDaemonDeployments: "a list of daemon deployments for a specified daemon", newest first,
    # filtered by status and by creation time (createdAt before / after), in pages of maxResults with a nextToken.
    backend = self.ecs_backend
    _settle(backend)  # a read, as DescribeDaemonDeployments: the statuses listed are the ones it would describe
    arn, statuses = self._get_param("daemonArn"), set(self._get_param("status") or [])
    window = self._get_param("createdAt") or {}
    after, before = epoch(window.get("after")), epoch(window.get("before"))
    found = [
        d
        for d in reversed(list(_store(backend, "deployments").values()))
        if d["_daemon"] == arn
        and (not statuses or d["status"] in statuses)
        and (after is None or d["createdAt"].timestamp() > after)
        and (before is None or d["createdAt"].timestamp() < before)
    ]
    briefs = [
        {
            "daemonDeploymentArn": d["daemonDeploymentArn"],
            "daemonArn": arn,
            "clusterArn": d["clusterArn"],
            "status": d["status"],
            "targetDaemonRevisionArn": d["targetDaemonRevision"]["arn"],
            "createdAt": d["createdAt"],
            **{k: d[k] for k in ("statusReason", "startedAt", "stoppedAt", "finishedAt") if d.get(k)},
        }
        for d in found
    ]
    chunk, token = page(briefs, int(self._get_param("maxResults") or 20), self._get_param("nextToken"))
    return ActionResult({"daemonDeployments": chunk, "nextToken": token})
