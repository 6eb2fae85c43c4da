"""The embedded AWS emulator: an in-process moto server on 127.0.0.1 that behaves like documented ECS.

``--embedded-aws`` and the test suite both use it over real HTTP. Two parts:

* a WSGI middleware around moto's app that records each operation name and is the seam for fault injection:
  ``Emulator.hooks`` are called with the operation name before moto sees the request, ``Emulator.after_hooks``
  after moto has executed it (its answer held back); either may answer with an AWS error or drop the connection;
* ``patch_moto()``: idempotent, process-wide monkeypatches of moto's ECS backend and responses, each making the
  emulator do what the ECS API reference says AWS does where moto differs in a way a diff engine would notice.

moto's state is process-global: every Emulator in a process shares it, and ``Emulator.reset()`` empties it all.
Nothing else global is set here; callers point their clients at ``Emulator.endpoint_url`` themselves.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any, Literal
from urllib.parse import parse_qs

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

__all__ = ["DROP", "Emulator", "Fault", "OperationHook", "patch_moto", "seed_demo_network", "start_emulator"]

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


class _RecordingApp:
    """WSGI middleware: records the operation name, runs the hooks, hands moto the request body intact."""

    def __init__(
        self,
        app: Any,
        *,
        calls: list[str],
        hooks: list[OperationHook],
        after_hooks: list[OperationHook],
        lock: threading.Lock,
    ) -> None:
        self._app = app
        self._calls = calls
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
    hooks: list[OperationHook] = []
    after_hooks: list[OperationHook] = []
    lock = threading.Lock()
    app = _RecordingApp(
        DomainDispatcherApplication(create_backend_app), calls=calls, hooks=hooks, after_hooks=after_hooks, lock=lock
    )
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="ecs-reconciler-emulator", daemon=True)
    thread.start()
    return Emulator(server, thread=thread, calls=calls, hooks=hooks, after_hooks=after_hooks, lock=lock)


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
        _patched = True


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
