"""Cost delta against the emulator: Fargate desiredCount and size changes, Spot strategies, ARM, unknown regions,
EC2; and ScalingPolicy ranges, live before and declared after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import APP, SERVICE, TASK, cluster, documents, scaling_policy, service, task_definition

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


def pure_cost(text: str):
    from reconciler.core.cost import estimate, load_prices
    from reconciler.core.loader import load_text
    from reconciler.core.manifests import parse_documents
    from reconciler.core.plan import make_plan
    from reconciler.core.settings import ApplySettings
    from reconciler.kinds import KINDS

    docs, _ = load_text(text.encode(), file="set.yaml")
    resources, problems = parse_documents(docs, KINDS)
    assert not problems, problems
    plan = make_plan(resources, {}, ApplySettings(), KINDS)
    return estimate(plan, resources, {}, KINDS, prices=load_prices(), region="us-east-1")


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
