"""The ECS deployment calls moto lacks (ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions, StopServiceDeployment, ContinueServiceDeployment), and the hooks into CreateService,
UpdateService and DescribeServices that make and advance service deployments.

Each answer follows the operation's page in the ECS API Reference; the field names and enums are botocore's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException, ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.emulator.clock import CLOCK
from reconciler.emulator.deployment_answers import brief_answer, describe_answer
from reconciler.emulator.deployment_records import Deployment, all_deployments, find
from reconciler.emulator.deployment_stages import misplaced_pause_hooks
from reconciler.emulator.hooks import epoch, page, patch
from reconciler.emulator.service_deployments import (
    advance,
    changes_revision,
    continue_deployment,
    start_deployment,
    stop_deployment,
)
from reconciler.emulator.service_revisions import content_of, revisions

LIST_PAGE = 20
"""ListServiceDeployments: "If this parameter isn't used, then ListServiceDeployments returns up to 20 results";
maxResults "can be between 1 and 100"."""
LIST_MAX = 100
DESCRIBE_MAX = 20
"""DescribeServiceDeployments and DescribeServiceRevisions: "You can specify a maximum of 20 ARNs"."""


def patch_service_deployments() -> None:
    """Install the deployment calls and hooks."""
    patch(EC2ContainerServiceResponse, "create_service", _create_service)
    patch(EC2ContainerServiceBackend, "update_service", _update_service)
    patch(EC2ContainerServiceBackend, "describe_services", _describe_services)
    for name, handler in (
        ("list_service_deployments", _list_service_deployments),
        ("describe_service_deployments", _describe_service_deployments),
        ("describe_service_revisions", _describe_service_revisions),
        ("stop_service_deployment", _stop_service_deployment),
        ("continue_service_deployment", _continue_service_deployment),
    ):
        setattr(EC2ContainerServiceResponse, name, handler)


def _check_hooks(configuration: dict[str, Any] | None) -> None:
    misplaced = misplaced_pause_hooks(configuration or {})
    if misplaced:
        # ECS API Reference, DeploymentLifecycleHook.lifecycleStages.
        raise InvalidParameterException(
            f"PAUSE hooks cannot be configured at {', '.join(misplaced)}: "
            "TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT are only valid for AWS_LAMBDA hooks."
        )


def _create_service(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # Developer Guide, "View service history using Amazon ECS service deployments": creating a service starts its
    # first service deployment, of its first service revision (none for a repeated clientToken: no new service).
    _check_hooks(self._get_param("deploymentConfiguration"))
    backend = self.ecs_backend
    key = f"{self._get_param('cluster', 'default').split('/')[-1]}:{self._get_param('serviceName')}"
    existing = backend.services.get(key)
    result = original(self)
    service = backend.services.get(key)
    if service is not None and service is not existing:
        start_deployment(backend, service, previous=None)
    return result  # type: ignore[no-any-return]


def _update_service(original: Callable[..., Any], self: EC2ContainerServiceBackend, properties: dict[str, Any]) -> Any:
    # Developer Guide, "Amazon ECS service revisions": an update that changes what the service runs (task
    # definition, launch type or capacity providers, platform version, load balancers, network, service registries,
    # Service Connect, volumes) or forces a new deployment makes a new revision and deploys it; a change of
    # desiredCount or deploymentConfiguration alone does not.
    _check_hooks(properties.get("deployment_configuration"))
    cluster = self._get_cluster(properties.get("cluster") or "default")
    name = str(properties.get("service")).split("/")[-1]
    self.describe_services(cluster.name, [name])  # the deployment in flight brought up to now before it is replaced
    before_service = self.services.get(f"{cluster.name}:{name}")
    before = content_of(before_service) if before_service is not None else {}
    primary = next((d for d in getattr(before_service, "deployments", []) if d.get("status") == "PRIMARY"), None)
    previous, forced = copy.deepcopy(primary), bool(properties.get("force_new_deployment"))
    service = original(self, properties)  # moto pops force_new_deployment from the properties
    if forced or changes_revision(service, before):
        start_deployment(self, service, previous=previous)
    return service


def _describe_services(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any
) -> Any:
    services, failures = original(self, *args, **kwargs)
    for service in services:
        advance(self, service)
    return services, failures


def _refresh(backend: EC2ContainerServiceBackend, deployment: Deployment) -> Any:
    """The deployment's service, with the service (and so the deployment) brought up to now."""
    service = backend.services[deployment.service_key]
    backend.describe_services(deployment.cluster_arn, [service.arn])
    return service


def _arns(response: EC2ContainerServiceResponse, name: str) -> list[str]:
    arns = list(response._get_param(name) or [])
    if not 1 <= len(arns) <= DESCRIBE_MAX:
        raise InvalidParameterException(f"{name} must contain between 1 and {DESCRIBE_MAX} ARNs.")
    return arns


def _describe_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API Reference, DescribeServiceDeployments: unknown ARNs are failures with the reason MISSING.
    backend, found, failures = self.ecs_backend, [], []
    for arn in _arns(self, "serviceDeploymentArns"):
        deployment = find(backend, arn)
        if deployment is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        found.append(describe_answer(deployment, _refresh(backend, deployment), CLOCK.now()))
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _describe_service_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API Reference, DescribeServiceRevisions: unknown ARNs are failures with the reason MISSING.
    known = revisions(self.ecs_backend)
    arns = _arns(self, "serviceRevisionArns")
    return ActionResult(
        {
            "serviceRevisions": [known[arn] for arn in arns if arn in known],
            "failures": [{"arn": arn, "reason": "MISSING"} for arn in arns if arn not in known],
        }
    )


def _list_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API Reference, ListServiceDeployments: the service's deployments (newest first), filtered by status
    # and createdAt (before / after), up to maxResults (1 to 100, default 20) a page with a nextToken.
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster") or "default")  # ClusterNotFoundException
    service = backend.services.get(f"{cluster.name}:{str(self._get_param('service')).split('/')[-1]}")
    if service is None:
        raise ServiceNotFoundException
    size = self._get_param("maxResults") or LIST_PAGE
    if not 1 <= size <= LIST_MAX:
        raise InvalidParameterException(f"maxResults must be between 1 and {LIST_MAX}.")
    backend.describe_services(cluster.arn, [service.arn])
    statuses = set(self._get_param("status") or [])
    created = self._get_param("createdAt") or {}
    before, after = epoch(created.get("before")), epoch(created.get("after"))
    chosen = [
        d
        for d in reversed(all_deployments(backend).get(service.arn, []))
        if (not statuses or d.status in statuses)
        and (before is None or CLOCK.utc(d.created).timestamp() < before)
        and (after is None or CLOCK.utc(d.created).timestamp() > after)
    ]
    token = str(self._get_param("nextToken") or "0")
    if not token.isdigit():
        raise InvalidParameterException("The nextToken is not valid.")
    found, following = page(chosen, size, token)
    answer: dict[str, Any] = {"serviceDeployments": [brief_answer(d) for d in found]}
    if following:
        answer["nextToken"] = following
    return ActionResult(answer)


def _deployment(response: EC2ContainerServiceResponse) -> Deployment:
    arn = str(response._get_param("serviceDeploymentArn"))
    deployment = find(response.ecs_backend, arn)
    if deployment is None:
        raise ECSException("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")
    return deployment


def _stop_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    deployment = _deployment(self)
    stop_deployment(self.ecs_backend, deployment, str(self._get_param("stopType") or "ROLLBACK"))
    return ActionResult({"serviceDeploymentArn": deployment.arn})


def _continue_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API Reference, ContinueServiceDeployment: action defaults to CONTINUE.
    deployment = _deployment(self)
    action = str(self._get_param("action") or "CONTINUE")
    continue_deployment(self.ecs_backend, deployment, str(self._get_param("hookId")), action)
    return ActionResult({"serviceDeploymentArn": deployment.arn})
