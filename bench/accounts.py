"""Targets in emulator accounts, as the multi-target benchmarks set them up: each target a folder of its own holding
its Target document (a role in its account) and a fleet whose network ids are that account's (a VPC made there
through STS: the emulator seeds its own account only), and the pipeline that plans and applies such a tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import boto3

from bench.fleet import write_fleet
from bench.run import REGION
from reconciler.aws import Aws
from reconciler.core.settings import AwsSettings, PaceSettings, Settings
from reconciler.emulator.seeds import DEMO_SECURITY_GROUP, DEMO_SUBNETS
from reconciler.pipeline import Pipeline
from tests.builders import target


def pipeline(endpoint_url: str, *, paced: bool) -> Pipeline:
    """The tool's pipeline against the emulator, pacing its calls or not, without progress output."""
    aws = AwsSettings(endpoint_url=endpoint_url, region=REGION, embedded=True, pace=PaceSettings(enabled=paced))
    settings = Settings(aws=aws)
    found = Pipeline(Aws(settings.aws), settings)
    found.progress = False
    return found


def network_in(endpoint_url: str, account: str) -> dict[str, str]:
    """A VPC with subnets and a security group in ``account``: the fleet's demo ids -> the new ones."""
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


def write_targets(root: Path, endpoint_url: str, accounts: Mapping[str, str], *, services: int, clusters: int) -> Path:
    """Under ``root``, a folder for each target (name -> account): its Target document and a fleet of ``services``
    over ``clusters`` in that account's network. Returns ``root``."""
    for name, account in accounts.items():
        folder = write_fleet(root / name, services=services, clusters=clusters)
        (folder / "target.yaml").write_text(target(name, account=account, region=REGION))
        ids = network_in(endpoint_url, account)
        for file in folder.rglob("*.yaml"):
            text = file.read_text()
            for old, new in ids.items():
                text = text.replace(old, new)
            file.write_text(text)
    return root


def apply_unpaced(endpoint_url: str, root: Path) -> None:
    """Apply every target of the tree at ``root`` without pacing (the set-up, before the AWS conditions go on);
    exits naming the first failure."""
    setup = pipeline(endpoint_url, paced=False)
    for part in setup.parts(root):
        failed = [o for o in part.pipeline.apply(part.pipeline.plan(part.load())) if o.status != "done"]
        if failed:
            raise SystemExit(f"set-up failed: {failed[0].error}")
