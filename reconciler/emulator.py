"""The embedded AWS emulator: an in-process moto server on 127.0.0.1 that behaves like documented ECS.

``--embedded-aws`` and the test suite both use it over real HTTP. Two parts:

* a WSGI middleware around moto's app that records each operation name and is the seam for fault injection:
  ``Emulator.hooks`` are called with the operation name before moto sees the request, ``Emulator.after_hooks``
  after moto has executed it (its answer held back); either may answer with an AWS error or drop the connection;
* ``patch_moto()``: idempotent, process-wide monkeypatches of moto's ECS backend and responses, each making the
  emulator do what the ECS API reference says AWS does where moto differs in a way a diff engine would notice;
  they also model service rollouts (``ROLLOUT_ENV`` chooses how they end) and Application Auto Scaling tags.

moto's state is process-global: every Emulator in a process shares it, and ``Emulator.reset()`` empties it all.
Nothing else global is set here; callers point their clients at ``Emulator.endpoint_url`` themselves.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any, Literal
from urllib.parse import parse_qs

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_scheduled_action
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs.exceptions import InvalidParameterException as LogsInvalidParameterException
from moto.logs.responses import LogsResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

__all__ = [
    "DROP",
    "ROLLOUT_ENV",
    "Emulator",
    "Fault",
    "OperationHook",
    "patch_moto",
    "seed_demo_network",
    "seed_lease_table",
    "start_emulator",
]

TOOL_USER_AGENT = "ecs-reconciler"
"""The User-Agent part ecs-reconciler's own clients send (``reconciler.aws.USER_AGENT``)."""
READ_PREFIXES = ("Describe", "List", "Get")
"""Operation names starting with one of these are reads; every other call is a write."""

Fault = tuple[int, str, str]
"""An error answer instead of moto's: (HTTP status, AWS error code, message), sent as an AWS JSON-protocol error."""
DROP: Literal["drop"] = "drop"
"""Returned by a hook instead of a Fault: close the connection without answering (the client sees it reset)."""
OperationHook = Callable[[str], "Fault | Literal['drop'] | None"]
"""Called with an operation name; returning a Fault answers with it instead of moto's answer, DROP closes the
connection, None lets the request through. A hook may also sleep (a slow answer) or block."""

_ACTIVE_STATUSES = ("ACTIVE", "DRAINING")
_FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


# --------------------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------------------


def read_operation_name(environ: dict[str, Any], body: bytes) -> str | None:
    """Return the AWS operation a request calls, or None when it names none (moto-api, REST protocols)."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols: "AmazonEC2ContainerServiceV20141113.CreateService"
        return target.rsplit(".", 1)[-1]
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":  # smithy-rpc-v2-cbor (CloudWatch)
        return parts[3]
    if body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):  # query protocols: IAM, SNS, STS, EC2
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    return action[0] if action else None


IAM_PREFIXES = {"monitoring": "cloudwatch"}
"""Signing names whose IAM action prefix differs (CloudWatch signs as ``monitoring``)."""


def signing_service(environ: dict[str, Any]) -> str:
    """The IAM action prefix of a SigV4-signed request's service (``ecs``, ``sns``, ``cloudwatch``)."""
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    service = match.group(1) if match else "unknown"
    return IAM_PREFIXES.get(service, service)


class _RecordingApp:
    """WSGI middleware: records the operation name, runs the hooks, hands moto the request body intact."""

    def __init__(
        self,
        app: Any,
        *,
        calls: list[str],
        tool_calls: list[str],
        hooks: list[OperationHook],
        after_hooks: list[OperationHook],
        lock: threading.Lock,
    ) -> None:
        self._app = app
        self._calls = calls
        self._tool_calls = tool_calls
        self._hooks = hooks
        self._after_hooks = after_hooks
        self._lock = lock

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = self._read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        operation = read_operation_name(environ, body)
        if operation is None:
            return self._app(environ, start_response)
        with self._lock:
            self._calls.append(operation)
            if TOOL_USER_AGENT in environ.get("HTTP_USER_AGENT", ""):
                self._tool_calls.append(f"{signing_service(environ)}:{operation}")
        for hook in list(self._hooks):
            if (answer := hook(operation)) is not None:
                return self._answer(answer, environ, start_response)
        after_hooks = list(self._after_hooks)
        if not after_hooks:
            return self._app(environ, start_response)
        held: list[Any] = []
        chunks = b"".join(self._app(environ, lambda *args: held.append(args)))
        for hook in after_hooks:
            if (answer := hook(operation)) is not None:
                return self._answer(answer, environ, start_response)
        start_response(*held[-1])
        return [chunks]

    def _answer(self, answer: Fault | Literal["drop"], environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if answer == DROP:
            # werkzeug's server hands us its socket; shutting it down is what a dropped connection looks like to
            # the client, and the ConnectionError tells werkzeug not to answer (it logs nothing for those).
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("connection dropped by a fault-injection hook")
        return self._answer_fault(answer, start_response)

    @staticmethod
    def _answer_fault(fault: Fault, start_response: Any) -> Iterable[bytes]:
        status, code, message = fault
        body = json.dumps({"__type": code, "message": message}).encode()
        start_response(
            f"{status} Fault",
            [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", code),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            return bytes(stream.read(int(length)))
        if environ.get("wsgi.input_terminated"):  # chunked transfer: werkzeug ends the stream for us
            return bytes(stream.read())
        return b""


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's per-request access log lines (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Emulator:
    """A running moto server on 127.0.0.1; also a context manager that stops it on exit."""

    def __init__(
        self,
        server: BaseWSGIServer,
        *,
        thread: threading.Thread,
        calls: list[str],
        tool_calls: list[str],
        hooks: list[OperationHook],
        after_hooks: list[OperationHook],
        lock: threading.Lock,
    ) -> None:
        self._server = server
        self._thread = thread
        self._lock = lock
        self.endpoint_url: str = f"http://127.0.0.1:{server.server_port}"
        """Where to point boto3 (``endpoint_url=``)."""
        self.calls: list[str] = calls
        """Operation names seen, in order, across all services (e.g. ``["DescribeClusters", "CreateCluster"]``)."""
        self.tool_calls: list[str] = tool_calls
        """IAM action names (``ecs:CreateService``) of the calls ecs-reconciler itself made (by its User-Agent),
        across the emulator's life: ``reset_calls`` does not clear them."""
        self.hooks: list[OperationHook] = hooks
        """Called with each operation name before dispatch: the seam for fault injection (errors, slow answers,
        dropped connections)."""
        self.after_hooks: list[OperationHook] = after_hooks
        """Called with each operation name after moto has executed it, its answer held back: a Fault or DROP here
        is a lost response (the call took effect, the client sees an error); blocking here holds the answer."""

    def writes(self) -> list[str]:
        """The recorded calls that are not reads (names not starting with Describe/List/Get)."""
        with self._lock:
            return [name for name in self.calls if not name.startswith(READ_PREFIXES)]

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self.calls.clear()

    def reset(self) -> None:
        """Empty all emulated AWS state (moto's, process-wide) and the recorded calls."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        self.reset_calls()

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_emulator(*, port: int = 0) -> Emulator:
    """Patch moto (once per process) and serve it on 127.0.0.1:``port`` (0 = a free port) in a daemon thread."""
    patch_moto()
    calls: list[str] = []
    tool_calls: list[str] = []
    hooks: list[OperationHook] = []
    after_hooks: list[OperationHook] = []
    lock = threading.Lock()
    app = _RecordingApp(
        DomainDispatcherApplication(create_backend_app),
        calls=calls,
        tool_calls=tool_calls,
        hooks=hooks,
        after_hooks=after_hooks,
        lock=lock,
    )
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="ecs-reconciler-emulator", daemon=True)
    thread.start()
    return Emulator(
        server, thread=thread, calls=calls, tool_calls=tool_calls, hooks=hooks, after_hooks=after_hooks, lock=lock
    )


# --------------------------------------------------------------------------------------------------------------
# Fidelity patches
# --------------------------------------------------------------------------------------------------------------

_patch_lock = threading.Lock()
_patched = False

# CreateService inputs that AWS echoes in the Service shape and moto's create_service drops: camelCase -> attribute.
_CREATE_SERVICE_ECHOED = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "deploymentConfiguration": "deployment_configuration",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "enableExecuteCommand": "enable_execute_command",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}
# CreateService inputs that AWS echoes on the service's deployment (the Deployment shape), not on the Service.
_CREATE_SERVICE_DEPLOYMENT_ECHOED = ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations")


def patch_moto() -> None:
    """Make moto's ECS behave like documented AWS where a diff engine would notice. Idempotent, process-wide."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        _patch(EC2ContainerServiceResponse, "create_service", _create_service)
        _patch(EC2ContainerServiceResponse, "describe_clusters", _describe_clusters)
        _patch(EC2ContainerServiceBackend, "update_service", _update_service)
        _patch(EC2ContainerServiceBackend, "delete_service", _delete_service)
        _patch(EC2ContainerServiceBackend, "list_services", _list_services)
        _patch(EC2ContainerServiceBackend, "create_cluster", _create_cluster)
        _patch(EC2ContainerServiceBackend, "list_clusters", _list_clusters)
        _patch(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
        _patch(EC2ContainerServiceBackend, "register_task_definition", _register_task_definition)
        _patch(EC2ContainerServiceBackend, "list_tags_for_resource", _list_tags_for_resource)
        _patch(EC2ContainerServiceBackend, "describe_services", _describe_services)
        _patch(ApplicationAutoscalingBackend, "register_scalable_target", _register_scalable_target)
        _patch(ApplicationAutoscalingBackend, "deregister_scalable_target", _deregister_scalable_target)
        ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target_response  # type: ignore[method-assign]
        ApplicationAutoScalingResponse.tag_resource = _scaling_tag_resource  # type: ignore[attr-defined]
        ApplicationAutoScalingResponse.untag_resource = _scaling_untag_resource  # type: ignore[attr-defined]
        ApplicationAutoScalingResponse.list_tags_for_resource = _scaling_list_tags  # type: ignore[attr-defined]
        LogsResponse.associate_kms_key = _associate_kms_key  # type: ignore[attr-defined]
        LogsResponse.disassociate_kms_key = _disassociate_kms_key  # type: ignore[attr-defined]
        _patch(LogsResponse, "describe_log_groups", _describe_log_groups)
        _patch(ApplicationAutoscalingBackend, "describe_scaling_policies", _describe_scaling_policies)
        ApplicationAutoScalingResponse.describe_scheduled_actions = _describe_scheduled_actions  # type: ignore[method-assign]
        _patched = True


def _associate_kms_key(self: Any) -> str:
    # CloudWatch Logs API reference, AssociateKmsKey: encrypts the log group with the key; DescribeLogGroups then
    # shows it as kmsKeyId. moto has no such call.
    self.logs_backend.groups[self._get_param("logGroupName")].kms_key_id = self._get_param("kmsKeyId")
    return ""


def _disassociate_kms_key(self: Any) -> str:
    # CloudWatch Logs API reference, DisassociateKmsKey: the group is no longer encrypted with the key.
    self.logs_backend.groups[self._get_param("logGroupName")].kms_key_id = None
    return ""


def _describe_log_groups(original: Callable[..., Any], self: LogsResponse) -> str:
    # CloudWatch Logs API reference, DescribeLogGroups: logGroupIdentifiers (1 to 50; names in an account that is not
    # a monitoring account) answers just those groups, skipping names that do not exist, and excludes the name
    # prefix and pattern filters. moto ignored it and listed every group.
    identifiers = self._get_param("logGroupIdentifiers")
    if identifiers is None:
        return str(original(self))
    if (
        not 1 <= len(identifiers) <= 50
        or self._get_param("logGroupNamePrefix")
        or self._get_param("logGroupNamePattern")
    ):
        raise LogsInvalidParameterException("logGroupIdentifiers takes 1 to 50 names and no name prefix or pattern")
    groups = [group for name, group in sorted(self.logs_backend.groups.items()) if name in set(identifiers)]
    return json.dumps({"logGroups": [group.to_describe_dict() for group in groups]})


_POLICIES_PAGE = 10
_ACTIONS_PAGE = 50


def _page(items: list[Any], size: int, token: str | None) -> tuple[list[Any], str | None]:
    start = int(token or 0)
    return items[start : start + size], str(start + size) if start + size < len(items) else None


def _describe_scaling_policies(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, **kwargs: Any
) -> tuple[str | None, list[Any]]:
    # Application Auto Scaling API reference, DescribeScalingPolicies: MaxResults is 1 to 10 and defaults to 10
    # (moto paged 100 at a time and took any size); ResourceId filters by the exact id (moto also matched ids
    # contained in it).
    size = kwargs["max_results"] or _POLICIES_PAGE
    if not 1 <= size <= _POLICIES_PAGE:
        raise AWSValidationException(f"MaxResults must be between 1 and {_POLICIES_PAGE}")
    policies = [
        p
        for p in self.policies.values()
        if p.service_namespace == kwargs["service_namespace"]
        and kwargs["resource_id"] in (None, p.resource_id)
        and kwargs["scalable_dimension"] in (None, p.scalable_dimension)
    ]
    page, token = _page(policies, size, kwargs["next_token"])
    return token, page


def _describe_scheduled_actions(self: ApplicationAutoScalingResponse) -> str:
    # Application Auto Scaling API reference, DescribeScheduledActions: up to MaxResults (1 to 50, default 50)
    # actions a page, with a NextToken for the rest. moto returned every action at once.
    params = json.loads(self.body)
    size = params.get("MaxResults") or _ACTIONS_PAGE
    if not 1 <= size <= _ACTIONS_PAGE:
        raise AWSValidationException(f"MaxResults must be between 1 and {_ACTIONS_PAGE}")
    actions = self.applicationautoscaling_backend.describe_scheduled_actions(
        scheduled_action_names=params.get("ScheduledActionNames"),
        service_namespace=params.get("ServiceNamespace"),
        resource_id=params.get("ResourceId"),
        scalable_dimension=params.get("ScalableDimension"),
    )
    page, token = _page(actions, size, params.get("NextToken"))
    return json.dumps({"ScheduledActions": [_build_scheduled_action(a) for a in page], "NextToken": token})


def _patch(cls: type, name: str, replacement: Callable[..., Any]) -> None:
    """Replace ``cls.name`` by ``replacement(original, self, *args, **kwargs)``."""
    original = getattr(cls, name)

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return replacement(original, self, *args, **kwargs)

    setattr(cls, name, wrapper)


def _error(code: str, message: str) -> ECSException:
    return ECSException(code, message)


def _default_deployment_configuration(scheduling_strategy: str) -> dict[str, Any]:
    # ECS API reference, DeploymentConfiguration: maximumPercent defaults to 200 and minimumHealthyPercent to 100
    # for REPLICA services; for DAEMON services they default to 100 and 0. The circuit breaker is off by default,
    # and AWS returns it as {"enable": false, "rollback": false}.
    daemon = scheduling_strategy == "DAEMON"
    return {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 100 if daemon else 200,
        "minimumHealthyPercent": 0 if daemon else 100,
    }


def _is_fargate(service: Service) -> bool:
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    return service.launch_type == "FARGATE" or any(i.get("capacityProvider") in _FARGATE_PROVIDERS for i in strategy)


def _platform_family(backend: EC2ContainerServiceBackend, service: Service) -> str:
    # ECS API reference, Service.platformFamily: only for Fargate; "Linux" unless the task definition's
    # runtimePlatform names another operating system family.
    family = "Linux"
    if service.task_definition:
        try:
            task_definition = backend.describe_task_definition(service.task_definition)
        except ECSException:
            return family
        os_family = (task_definition.runtime_platform or {}).get("operatingSystemFamily")
        if os_family and os_family != "LINUX":
            family = os_family
    return family


def _sync_deployment(backend: EC2ContainerServiceBackend, service: Any) -> None:
    """Make the PRIMARY deployment agree with the service, as AWS's deployments do.

    ``service`` is a moto Service carrying the attributes these patches add, hence ``Any``.
    """
    platform_family = _platform_family(backend, service) if _is_fargate(service) else None
    service.platform_family = platform_family
    for deployment in service.deployments:
        if deployment.get("status") != "PRIMARY":
            continue
        deployment["taskDefinition"] = service.task_definition
        deployment["desiredCount"] = service.desired_count
        deployment["networkConfiguration"] = service.network_configuration
        deployment["platformVersion"] = service.platform_version
        deployment["platformFamily"] = platform_family
        if service.launch_type:
            deployment["launchType"] = service.launch_type
            deployment.pop("capacityProviderStrategy", None)
        else:
            deployment.pop("launchType", None)
            deployment["capacityProviderStrategy"] = getattr(service, "capacity_provider_strategy", None)
        for key in [k for k, v in deployment.items() if v is None]:
            del deployment[key]


def _create_service(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    name = self._get_param("serviceName")
    token = self._get_param("clientToken")
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in _ACTIVE_STATUSES:
        # ECS API reference, CreateService clientToken: repeating a request with the same token returns the
        # service already created; a service of the same name that is ACTIVE or DRAINING in the cluster
        # otherwise fails with InvalidParameterException "Creation of service was not idempotent."
        # (moto silently replaced the service).
        if token and getattr(existing, "client_token", None) == token:
            return ActionResult({"service": existing})
        raise InvalidParameterException("Creation of service was not idempotent.")

    strategy = self._get_param("capacityProviderStrategy")
    launch_type = self._get_param("launchType")
    if strategy and launch_type:
        # ECS API reference, CreateService: "If a capacityProviderStrategy is specified, the launchType parameter
        # must be omitted."
        raise InvalidParameterException(
            "Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again."
        )
    if not strategy and not launch_type and cluster.default_capacity_provider_strategy:
        # ECS API reference, CreateService: with neither launchType nor capacityProviderStrategy, the cluster's
        # defaultCapacityProviderStrategy is used.
        strategy = copy.deepcopy(cluster.default_capacity_provider_strategy)

    result = original(self)
    service: Any = backend.services[f"{cluster.name}:{name}"]  # gains attributes moto's Service does not declare
    service.client_token = token
    # AWS's Service has a createdAt; moto gave only its deployments one.
    service.created_at = utcnow()
    # CreateService keeps every input that AWS echoes in the Service shape; moto dropped these.
    for param, attribute in _CREATE_SERVICE_ECHOED.items():
        value = self._get_param(param)
        if value is not None:
            setattr(service, attribute, value)
    if strategy:
        # ECS API reference, Service.launchType / capacityProviderStrategy: a service uses one or the other, so a
        # service created with a capacity provider strategy has no launchType (moto forced "EC2").
        service.capacity_provider_strategy = strategy
        service.launch_type = None
    # ECS API reference, CreateService defaults: deploymentConfiguration as documented (filled field by field
    # under what was given), enableECSManagedTags and enableExecuteCommand false, no placement constraints or
    # strategies, and Availability Zone rebalancing ENABLED for create requests.
    given = getattr(service, "deployment_configuration", None) or {}
    service.deployment_configuration = {**_default_deployment_configuration(service.scheduling_strategy), **given}
    for attribute, default in (
        ("enable_ecs_managed_tags", False),
        ("enable_execute_command", False),
        ("placement_constraints", []),
        ("placement_strategy", []),
        ("availability_zone_rebalancing", "DISABLED" if service.scheduling_strategy == "DAEMON" else "ENABLED"),
    ):
        if getattr(service, attribute, None) is None:
            setattr(service, attribute, default)
    if service.load_balancers and getattr(service, "health_check_grace_period_seconds", None) is None:
        # ECS API reference, healthCheckGracePeriodSeconds: 0 when not given; returned for services behind a load
        # balancer only.
        service.health_check_grace_period_seconds = 0
    if not service.network_configuration:
        # AWS omits networkConfiguration when none was given; moto returned {}.
        service.network_configuration = None
    if _is_fargate(service) and not service.platform_version:
        # ECS API reference, platformVersion: for Fargate, "If one isn't specified, the LATEST platform version is
        # used"; platformFamily is set for Fargate services only.
        service.platform_version = "LATEST"
    _sync_deployment(backend, service)
    _start_rollout(service, previous_running=0)
    for param in _CREATE_SERVICE_DEPLOYMENT_ECHOED:
        value = self._get_param(param)
        if value is not None:
            for deployment in service.deployments:
                deployment[param] = value
    return result


def _update_service(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
) -> Service:
    properties = dict(service_properties)
    service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
    if service.status not in _ACTIVE_STATUSES:
        # ECS API reference, UpdateService: ServiceNotActiveException when the service is not ACTIVE (moto updated
        # deleted services).
        raise _error("ServiceNotActiveException", "Service was not ACTIVE.")
    previous_deployment_configuration = getattr(service, "deployment_configuration", None)
    previous_running = service.running_count
    service = original(self, service_properties)
    task_definition = properties.get("task_definition")
    if task_definition:
        # AWS stores the task definition's full ARN whatever form (family, family:revision) was given; moto kept
        # the string as sent.
        service.task_definition = self.describe_task_definition(task_definition).arn
    if properties.get("deployment_configuration") is not None:
        # UpdateService changes only the deploymentConfiguration fields it is given; moto replaced the whole block.
        base = previous_deployment_configuration or _default_deployment_configuration(service.scheduling_strategy)
        service.deployment_configuration = {**base, **properties["deployment_configuration"]}
    strategy = properties.get("capacity_provider_strategy")
    if strategy:
        # ECS API reference, UpdateService capacityProviderStrategy: moving a service to a capacity provider
        # strategy drops its launchType (a service uses one or the other).
        service.launch_type = None
    elif strategy is not None:
        # An empty list moves the service back to a launch type (ECS API reference, UpdateService); the task
        # definition does not say which, so FARGATE when it is Fargate-only, else EC2.
        service.capacity_provider_strategy = None
        if not service.launch_type:
            requires = self.describe_task_definition(service.task_definition).requires_compatibilities or []
            service.launch_type = "FARGATE" if requires == ["FARGATE"] else "EC2"
    if _is_fargate(service) and not service.platform_version:
        service.platform_version = "LATEST"
    _sync_deployment(self, service)
    _start_rollout(service, previous_running=previous_running)
    return service


def _delete_service(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, cluster_name: str, service_name: str, force: bool
) -> Service:
    service = self._get_service(cluster_name, service_name)
    if service.status not in _ACTIVE_STATUSES:
        # ECS API reference, DeleteService: ServiceNotActiveException for a service already deleted (moto deleted
        # it again).
        raise _error("ServiceNotActiveException", "Service was not ACTIVE.")
    return original(self, cluster_name, service_name, force)


def _list_services(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    # ECS API reference, ListServices: "Returns a list of services" that are ACTIVE or DRAINING; deleted
    # (INACTIVE) services stay describable for a while but are not listed. moto listed them.
    inactive = {service.arn for service in self.services.values() if service.status not in _ACTIVE_STATUSES}
    return [arn for arn in original(self, *args, **kwargs) if arn not in inactive]


def _create_cluster(original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    cluster = original(self, *args, **kwargs)
    # AWS returns capacityProviders and defaultCapacityProviderStrategy as empty lists when none were given;
    # moto omitted them.
    if cluster.capacity_providers is None:
        cluster.capacity_providers = []
    if cluster.default_capacity_provider_strategy is None:
        cluster.default_capacity_provider_strategy = []
    if cluster.tags is None:
        cluster.tags = []
    return cluster


def _list_clusters(original: Callable[..., Any], self: EC2ContainerServiceBackend) -> list[str]:
    # ECS API reference, ListClusters: deleted (INACTIVE) clusters are not listed (moto listed them).
    inactive = {cluster.arn for cluster in self.clusters.values() if cluster.status == "INACTIVE"}
    return [arn for arn in original(self) if arn not in inactive]


def _delete_cluster(original: Callable[..., Any], self: EC2ContainerServiceBackend, cluster_str: str) -> Any:
    cluster = self._get_cluster(cluster_str)
    if any(s.cluster_name == cluster.name and s.status in _ACTIVE_STATUSES for s in self.services.values()):
        # ECS API reference, DeleteCluster: ClusterContainsServicesException while the cluster has ACTIVE or
        # DRAINING services (moto deleted it anyway).
        raise _error(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        )
    return original(self, cluster_str)


def _register_task_definition(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any
) -> TaskDefinition:
    task_definition = original(self, *args, **kwargs)
    # ECS API reference, PortMapping: protocol defaults to "tcp"; with the awsvpc or host network mode hostPort is
    # the containerPort (AWS fills it in). moto echoed the mappings as sent.
    for container in task_definition.container_definitions:
        mappings = []
        for mapping in container.get("portMappings") or []:
            mapping = {"protocol": "tcp", **mapping}
            if task_definition.network_mode in ("awsvpc", "host") and "containerPort" in mapping:
                mapping.setdefault("hostPort", mapping["containerPort"])
            mappings.append(mapping)
        container["portMappings"] = mappings  # a new list: moto shares its default [] between containers
    # AWS's TaskDefinition has a registeredAt; moto had none.
    task_definition.registered_at = utcnow()
    return task_definition


def _list_tags_for_resource(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, resource_arn: str
) -> list[dict[str, str]]:
    # ECS API reference, ListTagsForResource: an untagged resource has "tags": []; moto returned nothing for
    # clusters created without tags.
    return original(self, resource_arn) or []


def _describe_clusters(original: Callable[..., Any], self: EC2ContainerServiceResponse) -> ActionResult:
    # ECS API reference, Cluster.activeServicesCount: the number of ACTIVE services in the cluster; moto kept 0.
    backend = self.ecs_backend
    for cluster in backend.clusters.values():
        cluster.active_services_count = sum(
            1 for s in backend.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE"
        )
    result = original(self)
    include = self._get_param("include", []) or []
    # ECS API reference, DescribeClusters include: settings and configuration are returned only when SETTINGS and
    # CONFIGURATIONS are asked for (a cluster created without settings then shows containerInsights "disabled",
    # as moto already stores). moto always returned both.
    for flag, field in (("SETTINGS", "settings"), ("CONFIGURATIONS", "configuration")):
        path = f"DescribeClustersResponse.clusters.Cluster.{field}"
        if flag in include:
            self._include_in_response(path)
        else:
            self._exclude_from_response(path)
    return result


# --------------------------------------------------------------------------------------------------------------
# Rollouts
# --------------------------------------------------------------------------------------------------------------

ROLLOUT_ENV = "ECS_RECONCILER_EMULATOR_ROLLOUT"
"""How emulated deployments end (read when a service is described, so a test can set it with monkeypatch.setenv):

* ``complete`` (the default): the tasks start and pass their health checks, as on AWS when the image runs; the
  PRIMARY deployment reaches rolloutState COMPLETED with runningCount == desiredCount ``ROLLOUT_SECONDS`` after
  CreateService/UpdateService, and the service logs "has reached a steady state".
* ``fail``: the tasks stop before becoming healthy (a bad image, a crashing container); the deployment circuit
  breaker marks the PRIMARY deployment FAILED and the service logs why.
* ``stuck``: the tasks never become healthy and no circuit breaker fires (AWS's default deployment settings): the
  deployment stays IN_PROGRESS with fewer tasks running than desired, for ever.
"""
ROLLOUT_SECONDS = 0.2
"""How long an emulated deployment takes to settle (AWS takes minutes; tests and the demo should not)."""


def _event(service: Any, message: str) -> None:
    service.events.insert(0, {"id": f"{time.time_ns():x}", "createdAt": utcnow(), "message": message})


def _start_rollout(service: Any, *, previous_running: int) -> None:
    # ECS developer guide, "Deployment types": CreateService and UpdateService start a rolling deployment; until
    # the new tasks are running and healthy the PRIMARY deployment is IN_PROGRESS with fewer running than desired.
    # moto fixed the state at creation from MOTO_ECS_SERVICE_RUNNING and never moved it.
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return
    service.rollout_started = time.monotonic()
    running = min(previous_running, service.desired_count)
    service.running_count = running
    service.pending_count = service.desired_count - running
    primary.update(
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment {primary['id']} in progress.",
        runningCount=running,
        pendingCount=service.desired_count - running,
        failedTasks=0,
        updatedAt=utcnow(),
    )
    _event(service, f"(service {service.name}) has started {service.desired_count - running} tasks.")


def _advance_rollout(service: Any) -> None:
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    started = getattr(service, "rollout_started", None)
    if primary is None or started is None or primary.get("rolloutState") != "IN_PROGRESS":
        return
    mode = os.environ.get(ROLLOUT_ENV, "complete")
    if mode == "stuck" or time.monotonic() - started < ROLLOUT_SECONDS:
        return
    if mode == "fail":
        failed = max(service.desired_count, 1)
        primary.update(
            rolloutState="FAILED",
            rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
            failedTasks=failed,
            runningCount=0,
            pendingCount=0,
            updatedAt=utcnow(),
        )
        service.running_count, service.pending_count = 0, 0
        _event(
            service,
            f"(service {service.name}) (deployment {primary['id']}) deployment failed: tasks failed to start.",
        )
        return
    primary.update(
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        runningCount=service.desired_count,
        pendingCount=0,
        updatedAt=utcnow(),
    )
    service.running_count, service.pending_count = service.desired_count, 0
    _event(service, f"(service {service.name}) has reached a steady state.")


def _describe_services(
    original: Callable[..., Any], self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any
) -> Any:
    services, failures = original(self, *args, **kwargs)
    for service in services:
        _advance_rollout(service)
    return services, failures


# --------------------------------------------------------------------------------------------------------------
# Application Auto Scaling tags
# --------------------------------------------------------------------------------------------------------------
# Application Auto Scaling API reference: scalable targets take Tags on RegisterScalableTarget (applied when the
# target is created) and through TagResource / UntagResource / ListTagsForResource. moto had none of these.


def _target_tags(backend: Any) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "target_tags"):
        backend.target_tags = {}
    tags: dict[str, dict[str, str]] = backend.target_tags
    return tags


def _register_scalable_target(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any
) -> Any:
    target = original(self, *args, **kwargs)
    _target_tags(self).setdefault(target.arn, {})
    return target


def _deregister_scalable_target(
    original: Callable[..., Any], self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str
) -> Any:
    target = self.targets.get(dimension, {}).get(r_id)
    result = original(self, namespace, r_id, dimension)
    if target is not None:
        _target_tags(self).pop(target.arn, None)
    return result


def _register_scalable_target_response(self: ApplicationAutoScalingResponse) -> str:
    backend = self.applicationautoscaling_backend
    dimension, r_id = self._get_param("ScalableDimension"), self._get_param("ResourceId")
    existed = r_id in backend.targets.get(dimension, {})
    self._validate_params()
    target = backend.register_scalable_target(
        self._get_param("ServiceNamespace"),
        r_id,
        dimension,
        min_capacity=self._get_int_param("MinCapacity"),
        max_capacity=self._get_int_param("MaxCapacity"),
        role_arn=self._get_param("RoleARN"),
        suspended_state=self._get_param("SuspendedState"),
    )
    if not existed:
        _target_tags(backend)[target.arn] = dict(self._get_param("Tags") or {})
    return json.dumps({"ScalableTargetARN": target.arn})


def _tagged_target(self: ApplicationAutoScalingResponse) -> dict[str, str]:
    arn = self._get_param("ResourceARN")
    tags = _target_tags(self.applicationautoscaling_backend)
    if arn not in tags:
        raise AWSValidationException(f"No scalable target found for resource ARN {arn}")
    return tags[arn]


def _scaling_tag_resource(self: ApplicationAutoScalingResponse) -> str:
    _tagged_target(self).update(self._get_param("Tags") or {})
    return "{}"


def _scaling_untag_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = _tagged_target(self)
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


def _scaling_list_tags(self: ApplicationAutoScalingResponse) -> str:
    return json.dumps({"Tags": _tagged_target(self)})


# --------------------------------------------------------------------------------------------------------------
# The demo network
# --------------------------------------------------------------------------------------------------------------

DEMO_ACCOUNT = "123456789012"
"""The account id moto answers as."""
DEMO_SUBNETS = ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
"""Subnets that exist in the emulator from the start, so the bundled Fargate manifests have a network to run in."""
DEMO_SECURITY_GROUP = "sg-0a1b2c3d4e5f60001"
"""A security group that exists in the emulator from the start."""


def seed_demo_network(*, region: str = "us-east-1") -> None:
    """Create a VPC with the DEMO_SUBNETS and DEMO_SECURITY_GROUP in the emulator (idempotent).

    An AWS account would already have its own network; the emulator's default VPC has random subnet ids, which a
    manifest in git cannot name. moto is in-process, so its EC2 backend is seeded directly with fixed ids.
    """
    from unittest import mock

    from moto.ec2.models import ec2_backends

    backend = ec2_backends[DEMO_ACCOUNT][region]
    if DEMO_SECURITY_GROUP in {g.id for groups in backend.groups.values() for g in groups.values()}:
        return
    vpc = backend.create_vpc("10.42.0.0/16")
    for i, subnet_id in enumerate(DEMO_SUBNETS):
        with mock.patch("moto.ec2.models.subnets.random_subnet_id", return_value=subnet_id):
            backend.create_subnet(vpc.id, f"10.42.{i}.0/24", availability_zone=f"{region}{'abc'[i % 3]}")
    with mock.patch("moto.ec2.models.security_groups.random_security_group_id", return_value=DEMO_SECURITY_GROUP):
        backend.create_security_group("ecs-reconciler-demo", "Demo tasks", vpc_id=vpc.id)
    seed_execution_role()


DEMO_EXECUTION_ROLE = "ecsTaskExecutionRole"
"""The role ECS's console creates in every account that runs Fargate tasks; the bundled task definition uses it."""
ECS_TASKS_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
"""The trust policy that lets ECS tasks assume a role."""


def seed_execution_role() -> None:
    """Create ``ecsTaskExecutionRole`` with the ecs-tasks trust policy in the emulator (idempotent), as a real
    account that runs Fargate tasks has it."""
    from moto.iam.models import iam_backends

    backend = iam_backends[DEMO_ACCOUNT]["global"]
    if any(role.name == DEMO_EXECUTION_ROLE for role in backend.roles.values()):
        return
    backend.create_role(
        DEMO_EXECUTION_ROLE, ECS_TASKS_TRUST, "/", None, "ECS task execution (pull images, write logs)", [], None
    )


def seed_lease_table(emulator: Emulator, table: str, *, region: str = "us-east-1") -> None:
    """Create the DynamoDB lease table (partition key ``name``) in the emulator, as an operator would in an account."""
    import boto3

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=emulator.endpoint_url,
        region_name=region,
        aws_access_key_id="embedded",
        aws_secret_access_key="embedded",
    )
    if table in dynamodb.list_tables()["TableNames"]:
        return
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
