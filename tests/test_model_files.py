"""The lean model loader (core/model_files.py) changes what the process holds, never what a client does."""

from __future__ import annotations

import botocore.session
import pytest

from reconciler.core.model_files import ENDPOINT_PREFIXES, data_loader, lean_session
from reconciler.pacing import BUCKETS

SERVICES = sorted({b.service for b in BUCKETS})


def test_every_service_the_tool_calls_keeps_its_endpoints() -> None:
    full = botocore.session.get_session()
    for service in SERVICES:
        prefix = full.get_service_model(service).metadata["endpointPrefix"]
        assert prefix in ENDPOINT_PREFIXES, f"{service}: add its endpoint prefix {prefix!r} to ENDPOINT_PREFIXES"


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1"])
def test_clients_reach_the_same_endpoints(region: str) -> None:
    full, lean = botocore.session.get_session(), lean_session()
    for service in SERVICES:
        expected = full.create_client(service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
        got = lean.create_client(service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
        assert got.meta.endpoint_url == expected.meta.endpoint_url, service
        assert got.meta.region_name == expected.meta.region_name, service


def test_models_keep_their_shapes_and_lose_their_documentation() -> None:
    full = botocore.session.get_session().get_service_model("ecs")
    lean = lean_session().get_service_model("ecs")
    assert lean.operation_names == full.operation_names
    for operation in ("CreateService", "UpdateService", "RegisterTaskDefinition", "DescribeServiceDeployments"):
        assert lean.operation_model(operation).input_shape.members.keys() == (
            full.operation_model(operation).input_shape.members.keys()
        )
    assert full.operation_model("CreateService").documentation
    assert not lean.operation_model("CreateService").documentation
    assert data_loader().load_data("endpoints")["partitions"][0]["services"].keys() <= ENDPOINT_PREFIXES
