"""Cost delta against the emulator: Fargate desiredCount and size changes, Spot strategies, ARM, unknown regions,
EC2; and ScalingPolicy ranges, live before and declared after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import APP, SERVICE, TASK, cluster, document, documents, scaling_policy, service, task_definition

from reconciler.core.cost import split_tasks

# us-east-1, Linux x86: 0.25 vCPU x $0.04048 + 0.5 GB x $0.004445 = $0.0123425 an hour, x 730 hours.
TASK_256 = 9.010025
# 0.5 vCPU x $0.04048 + 1 GB x $0.004445 = $0.024685 an hour.
TASK_512 = 18.02005
# Fargate Spot x86: 0.25 x $0.01334053 + 0.5 x $0.00146489 = $0.0040675775 an hour.
SPOT_256 = 2.969331575
# ARM: 0.25 x $0.03238 + 0.5 x $0.00356 = $0.009875 an hour.
ARM_256 = 7.20875

CLUSTER = cluster(settings=None, capacityProviders=["FARGATE", "FARGATE_SPOT"])
BIGGER = task_definition(cpu="512", memory="1024")
SPOT = [{"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}]


def cost_of(cli: Any, root: Path, *args: str) -> dict[str, Any]:
    result = cli("plan", root, "--format", "json", *args)
    assert result.code in (0, 2), result.err
    cost: dict[str, Any] = json.loads(result.out)["cost"]
    return cost


@pytest.fixture
def running(cli, manifests):
    """The api service applied: 2 tasks of 0.25 vCPU / 0.5 GB on Fargate."""
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    assert cli("apply", root).code == 0
    return root


def test_desired_count_change(aws, cli, manifests, running):
    (running / "api.yaml").write_text(documents(TASK, service(desiredCount=5)))
    cost = cost_of(cli, running)
    [line] = cost["services"]
    assert line["before"]["low"] == pytest.approx(2 * TASK_256)
    assert line["after"]["low"] == pytest.approx(5 * TASK_256)
    assert cost["delta"]["low"] == pytest.approx(3 * TASK_256)
    assert cost["region"] == "us-east-1" and cost["pricesDate"] == "2024-09-01"
    text = cli("plan", running).out
    assert "Service prod/api: $18.02 -> $45.05 (+$27.03)" in text
    assert "Total change: +$27.03 a month" in text
    assert "| `Service prod/api` | $18.02 | $45.05 | +$27.03 |" in cli("plan", running, "--format", "markdown").out


def test_cpu_and_memory_change(aws, cli, running):
    (running / "api.yaml").write_text(documents(BIGGER, SERVICE))
    cost = cost_of(cli, running)
    assert cost["services"][0]["after"]["low"] == pytest.approx(2 * TASK_512)
    assert cost["delta"]["low"] == pytest.approx(2 * TASK_512 - 2 * TASK_256)


def test_spot_strategy_and_arm(aws, cli, running):
    spot = service(launchType=None, capacityProviderStrategy=SPOT, desiredCount=5)
    (running / "api.yaml").write_text(documents(TASK, spot))
    cost = cost_of(cli, running, "--allow-replace")
    # base 1 on FARGATE, the other 4 split 1:3 -> 2 on FARGATE, 3 on FARGATE_SPOT
    assert cost["services"][0]["after"]["low"] == pytest.approx(2 * TASK_256 + 3 * SPOT_256)

    arm = task_definition(runtimePlatform={"cpuArchitecture": "ARM64"})
    (running / "api.yaml").write_text(documents(arm, SERVICE))
    assert cost_of(cli, running)["services"][0]["after"]["low"] == pytest.approx(2 * ARM_256)
    (running / "api.yaml").write_text(documents(arm, spot))
    after = cost_of(cli, running)["services"][0]["after"]
    assert after["low"] is None and after["reason"].startswith("no price: FARGATE/FARGATE_SPOT arm64 in us-east-1")


def test_unknown_region_says_no_price(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP})
    cost = cost_of(cli, root, "--region", "af-south-1")
    after = cost["services"][0]["after"]
    assert after == {"low": None, "high": None, "reason": "no price: region af-south-1 is not in the price table"}
    assert cost["delta"] == {"low": 0, "high": 0, "servicesLeftOut": 1}
    assert "no price: region af-south-1" in cli("plan", root, "--region", "af-south-1").out


def test_ec2_launch_type_is_not_estimated(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": documents(TASK, service(launchType="EC2"))})
    assert cost_of(cli, root)["services"][0]["after"]["reason"] == "not estimated: EC2 launch type"


SCALING = scaling_policy()


def test_scaling_policy_ranges_before_from_live_and_after_from_the_manifest(aws, cli, manifests):
    root = manifests({"prod.yaml": CLUSTER, "api.yaml": APP, "scaling.yaml": SCALING})
    assert cli("apply", root).code == 0
    manifests({"api.yaml": documents(BIGGER, SERVICE), "scaling.yaml": scaling_policy(minCapacity=3, maxCapacity=6)})

    cost = cost_of(cli, root)
    [line] = cost["services"]
    assert (line["before"]["low"], line["before"]["high"]) == pytest.approx((2 * TASK_256, 10 * TASK_256))
    assert (line["after"]["low"], line["after"]["high"]) == pytest.approx((3 * TASK_512, 6 * TASK_512))
    # Each end of the range against the same end: at the minimum 3 x 512 instead of 2 x 256, at the maximum
    # 6 x 512 instead of 10 x 256 (both sides counted the same way).
    assert (cost["delta"]["low"], cost["delta"]["high"]) == pytest.approx(
        (6 * TASK_512 - 10 * TASK_256, 3 * TASK_512 - 2 * TASK_256)
    )
    text = cli("plan", root).out
    assert "Service prod/api: $18.02 to $90.10 -> $54.06 to $108.12 (+$18.02 to +$36.04)" in text
    assert "Total change: +$18.02 to +$36.04 a month" in text
    markdown = cli("plan", root, "--format", "markdown").out
    assert "| `Service prod/api` | $18.02 to $90.10 | $54.06 to $108.12 | +$18.02 to +$36.04 |" in markdown

    # A change to the ScalingPolicy alone changes what the service may cost.
    manifests({"api.yaml": APP, "scaling.yaml": scaling_policy(maxCapacity=20)})
    plan = json.loads(cli("plan", root, "--format", "json").out)
    assert [(c["kind"], c["action"]) for c in plan["changes"]] == [("ScalingPolicy", "update")]
    [line] = plan["cost"]["services"]
    assert (line["name"], line["scope"]) == ("api", "prod")
    assert (line["before"]["low"], line["before"]["high"]) == pytest.approx((2 * TASK_256, 10 * TASK_256))
    assert (line["after"]["low"], line["after"]["high"]) == pytest.approx((2 * TASK_256, 20 * TASK_256))
    assert "Service prod/api: $18.02 to $90.10 -> $18.02 to $180.20 (+$0.00 to +$90.10)" in cli("plan", root).out


def test_split_tasks_places_base_first_then_by_weight():
    strategy = [
        {"capacityProvider": "FARGATE", "base": 2, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1},
    ]
    assert split_tasks(6, strategy) == {"FARGATE": 4.0, "FARGATE_SPOT": 2.0}
    assert split_tasks(1, strategy) == {"FARGATE": 1.0, "FARGATE_SPOT": 0.0}


# ------------------------------------------------------------------------- the same arithmetic, pure


def pure_resources_and_plan(text: str):
    from reconciler.core.loader import load_text
    from reconciler.core.manifests import parse_documents
    from reconciler.core.plan import make_plan
    from reconciler.core.settings import ApplySettings
    from reconciler.kinds import KINDS

    docs, _ = load_text(text.encode(), file="set.yaml")
    resources, problems = parse_documents(docs, KINDS)
    assert not problems, problems
    return resources, make_plan(resources, {}, ApplySettings(), KINDS)


def pure_plan(text: str):
    return pure_resources_and_plan(text)[1]


def pure_cost(text: str, region: str = "us-east-1"):
    from reconciler.core.cost import estimate
    from reconciler.core.prices import load_prices
    from reconciler.kinds import KINDS

    resources, plan = pure_resources_and_plan(text)
    return estimate(plan, resources, {}, KINDS, prices=load_prices(), region=region)


@pytest.mark.parametrize(
    ("count", "scaling", "low", "high"),
    [
        (2, None, 2 * TASK_256, 2 * TASK_256),
        (5, None, 5 * TASK_256, 5 * TASK_256),
        (2, (1, 4), 1 * TASK_256, 4 * TASK_256),
    ],
)
def test_a_new_fargate_service_costs_its_tasks_and_its_scaling_range(count, scaling, low, high):
    text = documents(TASK, service(desiredCount=count))
    if scaling:
        text = documents(text, scaling_policy("api", minCapacity=scaling[0], maxCapacity=scaling[1]))
    report = pure_cost(text)
    [line] = report.services
    assert (line.before.low, line.before.high) == (0.0, 0.0)
    assert line.after.low == pytest.approx(low) and line.after.high == pytest.approx(high)
    assert report.delta == pytest.approx((low, high))


def test_an_ec2_service_is_not_estimated():
    text = documents(task_definition(requiresCompatibilities=["EC2"]), service(launchType="EC2"))
    [line] = pure_cost(text).services
    assert line.after.low is None and line.after.reason == "not estimated: EC2 launch type"


def test_a_change_that_leaves_the_scaling_range_alone_changes_the_cost_by_nothing():
    report = pure_cost(APP)
    [line] = report.services
    same = type(line)(line.address, line.after, line.after)
    assert same.delta == (0.0, 0.0), "the same range on both sides, counted the same way"


# ------------------------------------------------------------------------- EBS volumes configured at launch, pure

# us-east-1 list prices (reconciler/core/data/ebs-prices.json): gp3 $0.08 per GB-month, $0.005 per IOPS-month above
# 3,000, $0.04 per MB/s-month above 125; gp2 $0.10; io1 and io2 $0.125 and $0.065 per provisioned IOPS-month.
WITH_VOLUME = task_definition(
    volumes=[{"name": "data", "configuredAtLaunch": True}],
    containers=[
        {"name": "app", "image": "example/api:1.0", "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}
    ],
)
ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructureRole"


def with_volume(**ebs: Any) -> str:
    volume = {"name": "data", "managedEBSVolume": {"roleArn": ROLE, **ebs}}
    return documents(WITH_VOLUME, service(volumeConfigurations=[volume]))


@pytest.mark.parametrize(
    ("ebs", "month"),
    [
        ({"sizeInGiB": 100}, 100 * 0.08),
        ({"volumeType": "gp3", "sizeInGiB": 100, "iops": 6000, "throughput": 250}, 8 + 3000 * 0.005 + 125 * 0.04),
        ({"volumeType": "gp2", "sizeInGiB": 100}, 100 * 0.10),
        ({"volumeType": "io1", "sizeInGiB": 100, "iops": 1000}, 100 * 0.125 + 1000 * 0.065),
        ({"volumeType": "io2", "sizeInGiB": 100, "iops": 32000}, 100 * 0.125 + 32000 * 0.065),
    ],
    ids=["gp3-default", "gp3-iops-throughput", "gp2", "io1", "io2"],
)
def test_each_task_pays_for_its_ebs_volumes(ebs, month):
    report = pure_cost(with_volume(**ebs))
    [line] = report.services
    assert line.after.low == pytest.approx(2 * TASK_256 + 2 * month)
    [note] = report.notes
    assert note.startswith("EBS volumes: prices as of ") and "https://aws.amazon.com/ebs/pricing/" in note
    assert "left out: io2 IOPS above 32,000" in note


@pytest.mark.parametrize(
    ("ebs", "region", "reason"),
    [
        ({"volumeType": "io2", "sizeInGiB": 100, "iops": 40000}, "us-east-1",
         "no price: EBS io2 IOPS above 32000 are not in the price table"),
        ({"volumeType": "st1", "sizeInGiB": 500}, "us-east-1",
         "no price: EBS st1 in us-east-1 is not in the price table"),
        ({"sizeInGiB": 100}, "eu-west-1", "no price: EBS gp3 in eu-west-1 is not in the price table"),
        ({"snapshotId": "snap-0123456789abcdef0"}, "us-east-1",
         "not estimated: EBS volume data takes its size from a snapshot"),
    ],
    ids=["io2-above-the-first-tier", "st1", "region", "snapshot"],
)  # fmt: skip
def test_an_ebs_volume_without_a_published_price_leaves_the_service_without_a_figure(ebs, region, reason):
    report = pure_cost(with_volume(**ebs), region)
    [line] = report.services
    assert line.after.low is None and line.after.reason == reason
    assert report.delta == (0, 0) and len(report.notes) == 1


def test_a_service_without_volumes_has_no_cost_notes():
    assert pure_cost(APP).notes == ()


# ------------------------------------------------------------------------- ECS Managed Instances, pure

# us-west-2, the ECS pricing page's example: a c6a.2xlarge (8 vCPU, 16 GiB) at $0.306 an hour On-Demand plus $0.037
# an hour management fee. A 1 vCPU / 2 GB task takes an eighth of it: $0.042875 an hour, x 730 hours.
TASK_ON_INSTANCE = 0.125 * (0.306 + 0.037) * 730
MI_CLUSTER = cluster("prod", settings=None)
MI_TASK = task_definition(requiresCompatibilities=["MANAGED_INSTANCES"], cpu="1024", memory="2048")
ON_PROVIDER = [{"capacityProvider": "general", "weight": 1}]


def instances_provider(**template: Any) -> str:
    requirements = {
        "vCpuCount": {"min": 2, "max": 8},
        "memoryMiB": {"min": 4096},
        "allowedInstanceTypes": ["c6a.2xlarge"],
    }
    launch = {
        "ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole",
        "networkConfiguration": {"subnets": ["subnet-0a1b2c3d4e5f60001"]},
        "instanceRequirements": requirements,
        **template,
    }
    spec = {
        "cluster": "prod",
        "managedInstancesProvider": {"infrastructureRoleArn": ROLE, "instanceLaunchTemplate": launch},
    }
    return document("ManagedInstancesProvider", "general", spec)


def on_instances(provider: str, **spec: Any) -> str:
    defaults: dict[str, Any] = {"launchType": None, "capacityProviderStrategy": ON_PROVIDER, "desiredCount": 4}
    return documents(MI_CLUSTER, provider, MI_TASK, service(**{**defaults, **spec}))


def test_a_task_on_managed_instances_costs_its_share_of_the_instance_and_the_management_fee():
    report = pure_cost(on_instances(instances_provider()), "us-west-2")
    [line] = report.services
    assert line.after.low == pytest.approx(4 * TASK_ON_INSTANCE)
    [note] = report.notes
    assert note.startswith("Managed Instances: prices as of 2026-09-20 from https://aws.amazon.com/ecs/pricing/")


def test_the_cluster_default_strategy_names_the_managed_instances_provider():
    default = cluster("prod", settings=None, defaultCapacityProviderStrategy=ON_PROVIDER)
    text = documents(default, instances_provider(), MI_TASK, service(launchType=None, desiredCount=4))
    [line] = pure_cost(text, "us-west-2").services
    assert line.after.low == pytest.approx(4 * TASK_ON_INSTANCE)


def test_the_larger_of_the_vcpu_and_memory_shares_is_paid():
    task = task_definition(requiresCompatibilities=["MANAGED_INSTANCES"], cpu="1024", memory="8192")
    text = documents(
        MI_CLUSTER, instances_provider(), task, service(launchType=None, capacityProviderStrategy=ON_PROVIDER)
    )
    [line] = pure_cost(text, "us-west-2").services
    assert line.after.low == pytest.approx(2 * 0.5 * (0.306 + 0.037) * 730), "8 of the instance's 16 GiB"


@pytest.mark.parametrize(
    ("provider", "region", "reason"),
    [
        (instances_provider(), "us-east-1",
         "no price: Managed Instances c6a.2xlarge in us-east-1 is not in the price table"),
        (instances_provider(instanceRequirements={"vCpuCount": {"min": 2}, "memoryMiB": {"min": 4096}}), "us-west-2",
         "not estimated: ECS chooses the instance type of Managed Instances provider general"),
        (instances_provider(capacityOptionType="SPOT"), "us-west-2",
         "not estimated: Managed Instances provider general launches SPOT instances"),
    ],
    ids=["region", "instance-type-chosen-by-ecs", "spot"],
)  # fmt: skip
def test_managed_instances_without_a_published_price_are_said_so(provider, region, reason):
    report = pure_cost(on_instances(provider), region)
    [line] = report.services
    assert (line.after.low, line.after.reason) == (None, reason)
    assert len(report.notes) == 1


def test_every_format_ends_the_cost_section_with_its_notes():
    from reconciler.core.render import plan_as_dict, render_markdown, render_text

    report = pure_cost(with_volume(sizeInGiB=100))
    plan = pure_plan(with_volume(sizeInGiB=100))
    [note] = report.notes
    assert f"  {note}" in render_text(plan, cost=report).splitlines()
    assert f"- {note}" in render_markdown(plan, cost=report).splitlines()
    assert plan_as_dict(plan, cost=report)["cost"]["notes"] == [note]
