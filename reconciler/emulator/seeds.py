"""What an AWS account already has that the bundled example needs: a network, an execution role, a lease table."""

from __future__ import annotations

import json

from reconciler.emulator.server import Emulator

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
    vpc.enable_dns_hostnames = True  # as in an account's default VPC: task ENIs get private DNS names
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


RECONCILER_TASK_ROLE = "ecs-reconciler"
"""The task role deploy/ecs runs the daemon as (in an account: created with deploy/iam-policy.json attached)."""


def seed_execution_role() -> None:
    """Create ``ecsTaskExecutionRole`` with the ecs-tasks trust policy in the emulator (idempotent), as a real
    account that runs Fargate tasks has it; and the reconciler's own task role, so deploy/ecs plans as written."""
    from moto.iam.models import iam_backends

    backend = iam_backends[DEMO_ACCOUNT]["global"]
    existing = {role.name for role in backend.roles.values()}
    for name, description in (
        (DEMO_EXECUTION_ROLE, "ECS task execution (pull images, write logs)"),
        (RECONCILER_TASK_ROLE, "ecs-reconciler's task role (deploy/iam-policy.json)"),
    ):
        if name not in existing:
            backend.create_role(name, ECS_TASKS_TRUST, "/", None, description, [], None)


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
