"""The emulator's Cloud Map service listing and load balancer health checks, where moto differs from AWS in a way
the tool notices: which services a namespace holds, and why a target is not healthy."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup
from moto.servicediscovery.responses import ServiceDiscoveryResponse

from reconciler.emulator.hooks import page, patch

TARGET_ANSWERS_ENV = "ECS_RECONCILER_EMULATOR_TARGET_ANSWERS"
"""What registered targets answer their load balancer's HTTP health checks with, read at each DescribeTargetHealth
(a test sets it with monkeypatch.setenv): ``<target id>=<HTTP status>`` pairs, comma-separated, e.g.
``10.0.1.7=502``. Targets not listed answer 200 (healthy, as moto has them all)."""
_SERVICES_PAGE = 100


def _list_services(self: ServiceDiscoveryResponse) -> str:
    # Cloud Map API reference, ListServices: Filters NAMESPACE_ID (Condition EQ, the default, with one namespace
    # ID; IN with several) lists only the services in those namespaces; up to MaxResults (default 100) a page,
    # with a NextToken for the rest. moto ignored the filters and listed every service of every namespace.
    params = json.loads(self.body or "{}")
    services = list(self.servicediscovery_backend.services.values())
    for item in params.get("Filters") or []:
        if item.get("Name") == "NAMESPACE_ID":
            wanted = set(item.get("Values") or [])
            services = [s for s in services if s.namespace_id in wanted]
    listed, token = page(services, int(params.get("MaxResults") or _SERVICES_PAGE), params.get("NextToken"))
    answer: dict[str, Any] = {"Services": [s.to_json() for s in listed]}
    if token:
        answer["NextToken"] = token
    return json.dumps(answer)


def _answers() -> dict[str, int]:
    pairs = (p.partition("=") for p in os.environ.get(TARGET_ANSWERS_ENV, "").split(",") if "=" in p)
    return {target.strip(): int(code) for target, _, code in pairs}


def _matches(matcher: str, code: int) -> bool:
    for part in matcher.split(","):
        low, _, high = part.strip().partition("-")
        if low and int(low) <= code <= int(high or low):
            return True
    return False


def _health_for(original: Callable[..., Any], self: FakeTargetGroup, target: dict[str, Any], ec2: Any) -> Any:
    # Elastic Load Balancing user guide, "Health checks for target groups" / TargetHealth reason codes: a target
    # whose HTTP(S) health check answers a code outside the group's matcher is unhealthy with reason
    # Target.ResponseCodeMismatch. moto runs no health checks and has every registered target healthy.
    status = original(self, target, ec2)
    code = _answers().get(str(target.get("Id")))
    protocol = str(getattr(self, "health_check_protocol", "") or "")
    if status.status != "healthy" or code is None or protocol not in ("HTTP", "HTTPS"):
        return status
    matcher = str((getattr(self, "matcher", None) or {}).get("HttpCode") or "200")
    if _matches(matcher, code):
        return status
    return FakeHealthStatus(
        status.instance_id,
        status.port,
        status.health_check_port,
        "unhealthy",
        "Target.ResponseCodeMismatch",
        f"Health checks failed with these codes: [{code}]",
    )


def patch_cloud_map_and_elb() -> None:
    """Install these patches."""
    ServiceDiscoveryResponse.list_services = _list_services  # type: ignore[method-assign]
    patch(FakeTargetGroup, "health_for", _health_for)
