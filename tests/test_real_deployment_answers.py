"""Real AWS answers of the service deployment calls (fixtures/aws/real/deployments/, each naming its published
source): each fits botocore's model of its operation, and the emulator answers the same situation with the same
members, so what is built against the emulator reads real answers too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.model import ListShape, Shape, StructureShape

from reconciler.emulator import DEMO_SECURITY_GROUP, DEMO_SUBNETS
from reconciler.emulator.clock import CLOCK, ROLLOUT_SECONDS_ENV

REAL = Path(__file__).parent / "fixtures" / "aws" / "real" / "deployments"
FIXTURES = sorted(p.stem for p in REAL.glob("*.yaml"))
ECS = botocore.session.get_session().get_service_model("ecs")


def load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((REAL / f"{name}.yaml").read_text()))


def misfits(shape: Shape, value: Any, path: str) -> list[str]:
    """Where ``value`` is not what botocore's ``shape`` allows: unknown members, values outside an enum."""
    if isinstance(shape, StructureShape):
        problems = [f"{path}.{key}: not a member of {shape.name}" for key in value if key not in shape.members]
        for key, member in shape.members.items():
            if key in value:
                problems += misfits(member, value[key], f"{path}.{key}")
        return problems
    if isinstance(shape, ListShape):
        return [p for i, item in enumerate(value) for p in misfits(shape.member, item, f"{path}[{i}]")]
    enum = shape.enum if hasattr(shape, "enum") else []
    return [f"{path}: {value!r} not in {shape.name}"] if enum and value not in enum else []


def test_the_corpus_covers_each_read_call():
    assert {load(name)["operation"] for name in FIXTURES} == {
        "DescribeServiceDeployments",
        "ListServiceDeployments",
        "DescribeServiceRevisions",
    }
    assert all(load(name)["source"] for name in FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_each_real_answer_fits_the_model(name: str) -> None:
    fixture = load(name)
    output = ECS.operation_model(fixture["operation"]).output_shape
    assert misfits(output, fixture["answer"], fixture["operation"]) == []


@pytest.fixture
def settled(ecs: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The published example's situation: a Fargate service of one task, circuit breaker with rollback, settled."""
    monkeypatch.setenv(ROLLOUT_SECONDS_ENV, "0.2")
    CLOCK.freeze()
    ecs.create_cluster(clusterName="example-cluster")
    ecs.register_task_definition(
        family="webserver",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx"}],
    )
    ecs.create_service(
        cluster="example-cluster",
        serviceName="example-service",
        taskDefinition="webserver",
        desiredCount=1,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": list(DEMO_SUBNETS), "securityGroups": [DEMO_SECURITY_GROUP]}
        },
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    CLOCK.advance(1.0)
    yield ecs
    CLOCK.thaw()


def emulator_answers(ecs: Any) -> dict[str, dict[str, Any]]:
    listed = ecs.list_service_deployments(cluster="example-cluster", service="example-service")
    arn = listed["serviceDeployments"][0]["serviceDeploymentArn"]
    described = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    revision = described["serviceDeployments"][0]["targetServiceRevision"]["arn"]
    revisions = ecs.describe_service_revisions(serviceRevisionArns=[revision])
    return {
        "ListServiceDeployments": listed,
        "DescribeServiceDeployments": described,
        "DescribeServiceRevisions": revisions,
    }


@pytest.mark.parametrize(
    ("name", "items"),
    [
        ("deployments-cli-describe-rolling-successful", "serviceDeployments"),
        ("deployments-cli-list-one", "serviceDeployments"),
        ("revisions-cli-describe-fargate", "serviceRevisions"),
    ],
)
def test_the_emulator_answers_with_the_members_aws_answers(settled: Any, name: str, items: str) -> None:
    real = load(name)
    ours = emulator_answers(settled)[real["operation"]]
    assert sorted(ours[items][0]) == sorted(real["answer"][items][0])
    if name == "deployments-cli-describe-rolling-successful":
        for member in ("status", "deploymentCircuitBreaker", "alarms", "sourceServiceRevisions"):
            assert ours[items][0][member] == real["answer"][items][0][member], member
        assert sorted(ours[items][0]["targetServiceRevision"]) == sorted(
            real["answer"][items][0]["targetServiceRevision"]
        )
    if name == "revisions-cli-describe-fargate":
        for member in ("platformVersion", "platformFamily", "guardDutyEnabled", "serviceConnectConfiguration"):
            assert ours[items][0][member] == real["answer"][items][0][member], member
