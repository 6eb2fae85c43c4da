"""Service registries written by their Cloud Map name (``<namespace>/<service>`` or a bare ``<service>``), at the
emulator (moto's servicediscovery): created with the ARN ECS needs, planned empty afterwards, a changed name planned
as an update, and a name that resolves to nothing (or to several services) refused at plan time, before any write."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from builders import CLUSTER, TASK, documents, service
from conftest import REGION

from reconciler.kinds.cloud_map import CloudMapService, find_registry, registries_as_written


@pytest.fixture
def cloud_map(aws: Any) -> Any:
    """make(namespace, service) -> the Cloud Map service's ARN (the namespace is created the first time)."""
    client = boto3.client("servicediscovery", endpoint_url=aws.endpoint_url, region_name=REGION)
    namespaces: dict[str, str] = {}

    def make(namespace: str, service: str) -> str:
        if namespace not in namespaces:
            client.create_http_namespace(Name=namespace)
            listed = client.list_namespaces()["Namespaces"]
            namespaces[namespace] = next(n["Id"] for n in listed if n["Name"] == namespace)
        return str(client.create_service(Name=service, NamespaceId=namespaces[namespace])["Service"]["Arn"])

    return make


def registered(registry: str) -> str:
    return service(serviceRegistries=[{"registryArn": registry}])


def live_registries(ecs: Any) -> list[str]:
    service = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
    return [r["registryArn"] for r in service.get("serviceRegistries") or []]


def test_a_registry_written_by_name_is_created_with_its_arn_then_plans_empty(
    aws, cli, ecs, manifests, cloud_map, tmp_path
):
    api = cloud_map("internal.local", "api")
    cloud_map("other.local", "api")  # the same service name in another namespace: the namespace decides
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, registered("internal.local/api"))})
    applied = cli("apply", root, "--no-wait")
    assert applied.code == 0, applied.err
    assert live_registries(ecs) == [api]
    again = cli("plan", root)
    assert again.code == 0, again.out
    exported = cli("export", "--cluster", "prod", "--output", tmp_path / "out")
    assert exported.code == 0, exported.err
    written = "".join(p.read_text() for p in (tmp_path / "out").rglob("*.yaml"))
    assert f"registryArn: {api}" in written and "_registry" not in written  # what AWS answers: the ARN


def test_a_changed_registry_name_plans_an_update_and_applies_its_arn(aws, cli, ecs, manifests, cloud_map):
    cloud_map("internal.local", "api")
    admin = cloud_map("internal.local", "admin")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, registered("internal.local/api"))})
    assert cli("apply", root, "--no-wait").code == 0
    root = manifests({"api.yaml": documents(TASK, registered("admin"))})  # a bare name, unique in the account
    planned = cli("plan", root)
    assert planned.code == 2, planned.err
    assert "serviceRegistries" in planned.out and "internal.local/api" in planned.out and "admin" in planned.out
    assert cli("apply", root, "--no-wait").code == 0
    assert live_registries(ecs) == [admin]
    assert cli("plan", root).code == 0


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ("internal.local/gone", "Cloud Map namespace 'internal.local' has no service 'gone'"),
        ("nowhere.local/api", "Cloud Map namespace 'nowhere.local' does not exist"),
        ("api", "Cloud Map service 'api' is in several namespaces (internal.local, other.local)"),
    ],
)
def test_a_registry_name_that_resolves_to_no_one_service_fails_plan_and_apply_before_any_write(
    aws, cli, manifests, cloud_map, registry, message
):
    cloud_map("internal.local", "api")
    cloud_map("other.local", "api")
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, registered(registry))})
    aws.reset_calls()
    for command in ("plan", "apply"):
        result = cli(command, root)
        assert result.code == 1, result.out
        assert "api.yaml:" in result.err and "spec.serviceRegistries[0].registryArn" in result.err
        assert message in result.err
    assert aws.writes() == []


def test_the_live_registry_is_spelled_the_way_the_manifest_spells_it():
    known = {"arn": "arn:aws:servicediscovery:us-east-1:1:service/srv-1", "namespace": "ns", "service": "api"}
    live = [{"registryArn": known["arn"], "_registry": known}]
    for written in (known["arn"], "ns/api", "api"):
        assert registries_as_written(live, [{"registryArn": written}]) == [{"registryArn": written}]
    assert registries_as_written(live, [{"registryArn": "ns/web"}]) == [{"registryArn": "ns/api"}]
    assert registries_as_written(live, [{"registryArn": "arn:aws:x"}]) == [{"registryArn": known["arn"]}]
    unresolved = [{"registryArn": "arn:aws:servicediscovery:us-east-1:1:service/srv-gone"}]
    assert registries_as_written(unresolved, [{"registryArn": "ns/api"}]) == unresolved


def test_two_namespaces_of_one_name_make_their_service_name_ambiguous():
    services = [CloudMapService("arn:1", "api", "ns", "ns-1"), CloudMapService("arn:2", "api", "ns", "ns-2")]
    found, problem = find_registry("ns/api", services, ["ns", "ns"])
    assert found is None and problem is not None
    assert "several Cloud Map namespaces are named 'ns' (ns-1, ns-2)" in problem
