"""Targets under AWS conditions: a no-op `plan` of two targets of N services each (two accounts, their roles
assumed) against one target of 2N, with every call taking 30 ms and ECS's documented buckets enforced per account
and region (bench/conditions.py). Run from the repository root: ``python -m bench.targets [N]`` (default 200)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import boto3

from bench.aws_mode import bucket_limit
from bench.fleet import write_fleet
from bench.run import REGION, emulator_process
from reconciler import log
from reconciler.aws import Aws
from reconciler.commands.common import plan_parts
from reconciler.core.settings import AwsSettings, PaceSettings, Settings
from reconciler.emulator.seeds import DEMO_SECURITY_GROUP, DEMO_SUBNETS
from reconciler.pipeline import Pipeline

ACCOUNTS = {"a": "111111111111", "b": "222222222222"}
TARGET = """\
apiVersion: ecs-reconciler/v1
kind: Target
metadata: {{name: {name}}}
spec: {{region: {region}, roleArn: "arn:aws:iam::{account}:role/ecs-reconciler-target"}}
"""


def pipeline(endpoint_url: str, *, paced: bool) -> Pipeline:
    aws = AwsSettings(endpoint_url=endpoint_url, region=REGION, embedded=True, pace=PaceSettings(enabled=paced))
    settings = Settings(aws=aws)
    pipeline = Pipeline(Aws(settings.aws), settings)
    pipeline.progress = False
    return pipeline


def network_in(endpoint_url: str, account: str) -> dict[str, str]:
    """A VPC with subnets and a security group in ``account`` (the emulator seeds its own account only): the fleet's
    demo ids -> the new ones."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint_url, region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    found = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/bench", RoleSessionName="bench")["Credentials"]
    ec2 = boto3.client(
        "ec2",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    )
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ids = {
        old: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24")["Subnet"]["SubnetId"]
        for i, old in enumerate(DEMO_SUBNETS)
    }
    ids[DEMO_SECURITY_GROUP] = ec2.create_security_group(GroupName="bench", Description="bench", VpcId=vpc)["GroupId"]
    return ids


def write_targets(root: Path, endpoint_url: str, *, services: int) -> Path:
    for name, account in ACCOUNTS.items():
        folder = write_fleet(root / name, services=services, clusters=5)
        (folder / "target.yaml").write_text(TARGET.format(name=name, region=REGION, account=account))
        ids = network_in(endpoint_url, account)
        for file in folder.rglob("*.yaml"):
            text = file.read_text()
            for old, new in ids.items():
                text = text.replace(old, new)
            file.write_text(text)
    return root


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    log.configure(level="warning")
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        trees = {
            f"two targets of {n} services": write_targets(Path(tmp) / "two", emulated.endpoint_url, services=n),
            f"one target of {2 * n} services": write_fleet(Path(tmp) / "one", services=2 * n, clusters=10),
        }
        for root in trees.values():  # set up without the conditions
            setup = pipeline(emulated.endpoint_url, paced=False)
            for part in setup.parts(root):
                failed = [o for o in part.pipeline.apply(part.pipeline.plan(part.load())) if o.status != "done"]
                if failed:
                    raise SystemExit(f"set-up failed: {failed[0].error}")
        for label, root in trees.items():
            emulated.control("conditions on")  # every bucket full again
            time.sleep(0.5)
            started = time.perf_counter()
            parts = plan_parts(pipeline(emulated.endpoint_url, paced=True), str(root), ())
            took = time.perf_counter() - started
            if any(p.planned.plan.actions for p in parts):
                raise SystemExit(f"{label}: the plan is not empty")
            limits = [bucket_limit(p.pipeline.aws.by_service) for p in parts]
            calls = sum(sum(p.pipeline.aws.calls.values()) for p in parts)
            throttled = sum(sum(p.pipeline.aws.throttled.values()) for p in parts)
            slowest = max(limit for limit, _ in limits)
            print(
                f"{label}: no-op plan {took:.1f} s, {calls} calls, {throttled} throttled; slowest target's bucket "
                f"limit {slowest:.1f} s ({limits[0][1]}): {took / slowest:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
