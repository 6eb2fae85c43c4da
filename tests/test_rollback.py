"""`rollback` is a plan run by the executor: printed like any plan (``--dry-run`` prints it only), applied through
outcomes, and refused for a service this instance does not own, with nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_state import described_service, running, tags_of

from reconciler.core.settings import MANAGED_TAG_KEY

pytestmark = pytest.mark.emulator

CLUSTER = """\
apiVersion: ecs-reconciler/v1
kind: Cluster
metadata: {name: prod}
spec: {}
"""
API = """\
apiVersion: ecs-reconciler/v1
kind: TaskDefinition
metadata: {{name: api}}
spec:
  containerDefinitions:
    - {{name: app, image: "example/api:{tag}", memory: 256}}
---
apiVersion: ecs-reconciler/v1
kind: Service
metadata: {{name: api}}
spec: {{cluster: prod, taskDefinition: api, desiredCount: 1}}
"""


def two_revisions(cli: Any, manifests: Any, *, instance: str) -> Path:
    """api applied at 1.0, then at 1.1 (api:1, then api:2), by ``instance``, each deployment completed (one in
    progress is ECS's to roll back: tests/test_rollback_ecs.py)."""
    root: Path = manifests({"cluster.yaml": CLUSTER, "api.yaml": API.format(tag="1.0")})
    assert cli("apply", root, "--instance", instance).code == 0
    manifests({"api.yaml": API.format(tag="1.1")})
    assert cli("apply", root, "--instance", instance).code == 0
    return root


def test_rollback_prints_its_plan_and_applies_it_through_the_executor(
    aws: Any, ecs: Any, cli: Any, manifests: Any
) -> None:
    root = two_revisions(cli, manifests, instance="team-a")
    arn = described_service(ecs)["serviceArn"]
    assert running(ecs) == "api:2"

    dry = cli("rollback", root, "--dry-run", "--instance", "team-a")
    assert dry.code == 0, dry.err
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in dry.out
    assert "~ Service prod/api  (roll back to the task definition it ran before)" in dry.out
    assert '~ taskDefinition: "api:2" -> "api:1"' in dry.out
    assert running(ecs) == "api:2", "a dry run writes nothing"

    done = cli("rollback", root, "--instance", "team-a")
    assert done.code == 0, done.err
    assert "rolled back: Service prod/api" in done.out
    assert running(ecs) == "api:1"
    assert tags_of(ecs, arn)[MANAGED_TAG_KEY] == "team-a"


def test_rollback_of_another_instances_service_is_refused_with_nothing_written(
    aws: Any, ecs: Any, cli: Any, manifests: Any
) -> None:
    root = two_revisions(cli, manifests, instance="team-a")
    arn = described_service(ecs)["serviceArn"]
    before = tags_of(ecs, arn)
    aws.reset_calls()

    refused = cli("rollback", root, "--instance", "team-b")
    assert refused.code == 1
    assert (
        "Service prod/api: managed by another ecs-reconciler instance ('team-a', this one is 'team-b')" in refused.out
    )
    assert aws.writes() == [], "nothing was sent but reads"
    assert running(ecs) == "api:2"
    assert tags_of(ecs, arn) == before


def test_rollback_of_an_unmanaged_service_is_refused(aws: Any, ecs: Any, cli: Any, manifests: Any) -> None:
    root = two_revisions(cli, manifests, instance="team-a")
    arn = described_service(ecs)["serviceArn"]
    ecs.untag_resource(resourceArn=arn, tagKeys=[MANAGED_TAG_KEY])
    aws.reset_calls()

    refused = cli("rollback", root, "--instance", "team-a")
    assert refused.code == 1
    assert "Service prod/api: not managed by ecs-reconciler; not rolled back" in refused.out
    assert aws.writes() == []
    assert running(ecs) == "api:2"
