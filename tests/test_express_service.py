"""ExpressService end to end against the emulator: the example's Express service created through the Express
Gateway API (ECS creates its service, task definition, load balancer, scaling and alarms), then an empty plan;
each field changed in place by UpdateExpressGatewayService; the infrastructure role a replace refused unless
allowed; what ECS manages for it reported by status, never diffed nor pruned; export writes it back; apply, status
and the daemon loop follow the deployment of the ECS service behind it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from builders import EXAMPLES, copy_example, edit_example, keep_documents
from cli_flows import (
    changed_in_place,
    created_then_planned_empty,
    exported_text,
    replaced_when_allowed,
    status_entry,
)
from conftest import REGION, eventually

from reconciler.core.settings import MANAGED_TAG_KEY
from reconciler.emulator.rollouts import ROLLOUT_ENV, ROLLOUT_IMAGES_ENV


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example("express", tmp_path)


def express(ecs: Any) -> dict[str, Any]:
    arn = ecs.describe_services(cluster="express", services=["storefront"])["services"][0]["serviceArn"]
    service: dict[str, Any] = ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])["service"]
    return service


def target_tags(aws: Any) -> dict[str, str]:
    """The tags of the storefront service's scalable target ({} when it has none or there is none)."""
    scaling = boto3.client("application-autoscaling", endpoint_url=aws.endpoint_url, region_name=REGION)
    found = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/express/storefront"])
    targets = found["ScalableTargets"]
    if not targets:
        return {}
    tags: dict[str, str] = scaling.list_tags_for_resource(ResourceARN=targets[0]["ScalableTargetARN"])["Tags"]
    return tags or {"(untagged)": ""}


def configuration(ecs: Any) -> dict[str, Any]:
    active: dict[str, Any] = express(ecs)["activeConfigurations"][0]
    return active


def test_the_example_is_created_through_the_express_api_then_the_plan_is_empty(
    aws: Any, cli: Any, ecs: Any, example: Path
) -> None:
    planned, writes = created_then_planned_empty(
        cli, aws, example, first="Cluster express", then="ExpressService express/storefront"
    )
    assert "ECS creates and manages an Application Load Balancer" in planned
    assert "CreateExpressGatewayService" in writes and "CreateService" not in writes
    body = express(ecs)
    assert {t["key"] for t in body["tags"]} >= {MANAGED_TAG_KEY, "team"}
    assert body["activeConfigurations"][0]["primaryContainer"]["containerPort"] == 8080
    service = ecs.describe_services(cluster="express", services=["storefront"])["services"][0]
    assert service["resourceManagementType"] == "ECS"


@pytest.mark.parametrize(
    ("old", "new", "path", "read", "value"),
    [
        ("healthCheckPath: /health", "healthCheckPath: /ready", "healthCheckPath",
         lambda c: c["healthCheckPath"], "/ready"),
        ("nginx:1.27", "nginx:1.28", "primaryContainer.image",
         lambda c: c["primaryContainer"]["image"], "public.ecr.aws/nginx/nginx:1.28"),
        ('cpu: "512"', 'cpu: "1024"', "cpu", lambda c: c["cpu"], "1024"),
        ("maxTaskCount: 10", "maxTaskCount: 20", "scalingTarget.maxTaskCount",
         lambda c: c["scalingTarget"]["maxTaskCount"], 20),
        ("value: production", "value: staging", "primaryContainer.environment.STAGE",
         lambda c: c["primaryContainer"]["environment"], [{"name": "STAGE", "value": "staging"}]),
    ],
    ids=["health-check", "image", "cpu", "scaling", "environment"],
)  # fmt: skip
def test_a_field_changes_in_place(
    aws: Any, cli: Any, ecs: Any, example: Path, old: str, new: str, path: str,
    read: Callable[[dict[str, Any]], Any], value: Any,
) -> None:  # fmt: skip
    assert changed_in_place(cli, aws, example, old, new, shows=[path]) == ["UpdateExpressGatewayService"]
    assert read(configuration(ecs)) == value


def test_a_tag_changes_without_an_update(aws: Any, cli: Any, ecs: Any, example: Path) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    edit_example(example, "value: web", "value: storefront")
    aws.reset_calls()
    assert cli("apply", example, "--auto-approve").code == 0
    assert "UpdateExpressGatewayService" not in aws.writes() and "TagResource" in aws.writes()
    assert {t["key"]: t["value"] for t in express(ecs)["tags"]}["team"] == "storefront"


def test_the_infrastructure_role_is_a_replace_refused_unless_allowed(
    aws: Any, cli: Any, ecs: Any, example: Path
) -> None:
    old, new = "role/ecsInfrastructureRoleForExpressServices", "role/ecsInfrastructureRoleForExpress2"
    writes = replaced_when_allowed(cli, aws, example, old, new, shows=["infrastructureRoleArn"])
    assert writes[:2] == ["DeleteExpressGatewayService", "CreateExpressGatewayService"]
    assert express(ecs)["infrastructureRoleArn"].endswith("role/ecsInfrastructureRoleForExpress2")


def test_drift_made_out_of_band_is_planned_and_corrected(aws: Any, cli: Any, ecs: Any, example: Path) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    ecs.update_express_gateway_service(serviceArn=express(ecs)["serviceArn"], healthCheckPath="/")
    drift = cli("plan", example)
    assert drift.code == 2 and "healthCheckPath" in drift.out
    assert cli("apply", example, "--auto-approve").code == 0
    assert configuration(ecs)["healthCheckPath"] == "/health"


def test_prune_leaves_what_ecs_manages_alone_and_deletes_the_express_service_through_its_api(
    aws: Any, cli: Any, ecs: Any, example: Path
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    # ECS registers the service's scalable target with the Express service's tags, the managed-by tag included.
    assert {t["key"] for t in express(ecs)["tags"]} <= set(target_tags(aws))
    aws.reset_calls()
    kept = cli("apply", example, "--auto-approve", "--prune")
    assert kept.code == 0, kept.out + kept.err
    assert aws.writes() == []  # the ECS service, task definition and scalable target behind it are ECS's
    assert target_tags(aws)

    keep_documents(example, lambda doc: "kind: Cluster" in doc)
    aws.reset_calls()
    pruned = cli("apply", example, "--auto-approve", "--prune")
    assert pruned.code == 0, pruned.out + pruned.err
    assert "DeleteExpressGatewayService" in aws.writes()
    assert "DeleteService" not in aws.writes() and "DeregisterTaskDefinition" not in aws.writes()
    assert "DeregisterScalableTarget" not in aws.writes()
    assert ecs.list_services(cluster="express")["serviceArns"] == []
    assert target_tags(aws) == {}, "deleting the Express service deregistered its scalable target"


def test_a_service_manifest_naming_the_ecs_managed_service_is_refused(
    aws: Any, cli: Any, ecs: Any, example: Path, manifests: Any
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    family = ecs.describe_services(cluster="express", services=["storefront"])["services"][0]["taskDefinition"]
    (example / "service.yaml").write_text(
        "apiVersion: ecs-reconciler/v1\nkind: Service\nmetadata: {name: storefront}\n"
        f"spec: {{cluster: express, taskDefinition: {family.rsplit('/', 1)[-1]}, desiredCount: 5}}\n"
    )
    aws.reset_calls()
    result = cli("apply", example, "--auto-approve")
    assert result.code == 1
    assert "the service ECS manages for an Express service" in result.out + result.err
    assert aws.writes() == []


def test_status_reports_what_ecs_manages(aws: Any, cli: Any, example: Path) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    text = cli("status", example)
    assert text.code == 0, text.out + text.err
    assert "ExpressService express/storefront: managed by ECS" in text.out
    assert "loadBalancer arn:aws:elasticloadbalancing:" in text.out and "log group" in text.out
    entry = status_entry(cli, example, "ExpressService")
    assert entry["state"] == "in sync" and entry["desired"] == 2
    assert all(line.endswith(": ACTIVE") for line in entry["ecsManaged"])


def test_export_writes_the_express_service_not_what_ecs_made_for_it(
    aws: Any, cli: Any, example: Path, tmp_path: Path
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    out = tmp_path / "exported"
    text = exported_text(cli, "express", out)
    assert "kind: ExpressService" in text and "kind: Service\n" not in text and "kind: TaskDefinition" not in text
    assert "healthCheckPath: /health" in text and "cpuArchitecture" not in text  # AWS's default is left out
    shutil.copytree(out, tmp_path / "again")
    assert cli("plan", tmp_path / "again").code == 0


def test_bad_input_names_the_field(cli: Any, manifests: Any) -> None:
    root = manifests(
        {
            "e.yaml": """\
                apiVersion: ecs-reconciler/v1
                kind: ExpressService
                metadata: {name: web}
                spec:
                  infrastructureRoleArn: arn:aws:iam::123456789012:role/ecsInfrastructureRole
                  taskDefinitionArn: arn:aws:ecs:us-east-1:123456789012:task-definition/web:1
                  cpu: "256"
                  healthCheckPath: health
                  scalingTarget: {minTaskCount: 4, maxTaskCount: 2}
                """
        }
    )
    result = cli("validate", root)
    assert result.code == 1
    assert "e.yaml:7: spec.cpu" in result.err and "taskDefinitionArn" in result.err
    assert "e.yaml:8: spec.healthCheckPath" in result.err
    assert "spec.scalingTarget.minTaskCount" in result.err


def test_apply_waits_for_the_deployment_of_the_ecs_service_behind_it(aws: Any, cli: Any, example: Path) -> None:
    applied = cli("apply", example, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Waiting for 1 Express service rollout(s)" in applied.err
    assert "Rolled out: ExpressService express/storefront." in applied.out
    assert "DescribeServiceDeployments" in aws.calls[aws.calls.index("CreateExpressGatewayService") :]
    entry = status_entry(cli, example, "ExpressService")
    assert entry["rollout"] == "completed" and entry["deployment"]["status"] == "SUCCESSFUL"


def test_apply_fails_when_the_express_service_does_not_roll_out(
    aws: Any, cli: Any, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("apply", example, "--auto-approve").code == 0
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, "nginx:1.28")
    edit_example(example, "nginx:1.27", "nginx:1.28")
    applied = cli("apply", example, "--auto-approve")
    assert applied.code == 1, applied.out + applied.err
    assert "Rollout failed: ExpressService express/storefront" in applied.err


def test_the_daemon_alerts_the_express_service_rollout(aws: Any, daemon: Any, gitsync: Any, webhook: Any) -> None:
    gitsync.publish({"app.yaml": (EXAMPLES / "express" / "app.yaml").read_text()})
    proc = daemon(gitsync.link, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", webhook.url)
    [completed] = eventually(lambda: webhook.alerts("rollout_completed"), what="the Express service rolled out")
    assert completed["resource"] == "ExpressService express/storefront" and completed["deployment"]
    assert webhook.alerts("rollout_failed") == []
    assert proc.stop() == 0
