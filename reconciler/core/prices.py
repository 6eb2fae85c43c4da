"""The bundled price tables (``load_prices``) and what one task costs under them: its Fargate vCPU and memory an hour
(``fargate_hour``), its share of an ECS Managed Instances instance an hour (``instance_hour``) and the EBS volumes ECS
creates for it a month (``volumes_month``). Each answers a figure in USD or why there is none ("not estimated: ...",
"no price: ..."). Pure, except ``load_prices``, which reads the JSON files beside it in ``data/``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
DEFAULT_VOLUME_TYPE = "gp3"
"""ECS developer guide, "Amazon EBS volumes": the volume type ECS creates when the configuration names none."""


@dataclass(frozen=True)
class Table:
    """One price table: where its figures come from, as of when, by region."""

    date: str
    source: str
    left_out: str
    """What the table does not price (said in the plan's cost notes)."""
    regions: Mapping[str, Any]


@dataclass(frozen=True)
class Prices:
    """A price table: region -> capacity provider -> architecture -> {vcpuHour, gbHour} in USD (Fargate), with the
    EBS volume prices and the Managed Instances ones beside it."""

    date: str
    source: str
    hours_per_month: int
    regions: Mapping[str, Any]
    ebs: Table
    instances: Table


def _table(name: str) -> Table:
    data = json.loads((DATA / name).read_text("utf-8"))
    return Table(data["date"], data["source"], data["leftOut"], data["regions"])


def load_prices() -> Prices:
    """The bundled tables: fargate-prices.json, ebs-prices.json and managed-instances-prices.json."""
    data = json.loads((DATA / "fargate-prices.json").read_text("utf-8"))
    ebs, instances = _table("ebs-prices.json"), _table("managed-instances-prices.json")
    return Prices(data["date"], data["source"], int(data["hoursPerMonth"]), data["regions"], ebs, instances)


def fargate_hour(
    provider: str, arch: str, size: tuple[float, float], prices: Prices, region: str, *, strategy: str
) -> float | str:
    """One Fargate task of ``size`` (cpu units, MiB) an hour on ``provider``; ``strategy`` names the providers in the
    reason when the table has no price."""
    table = prices.regions.get(region)
    if table is None:
        return f"no price: region {region} is not in the price table"
    rate = (table.get(provider) or {}).get(arch)
    if rate is None:
        return f"no price: {strategy} {arch} in {region} is not in the price table"
    return size[0] / 1024 * float(rate["vcpuHour"]) + size[1] / 1024 * float(rate["gbHour"])


def instance_hour(
    provider: str, config: Mapping[str, Any], size: tuple[float, float], table: Table, region: str
) -> float | str:
    """One task's share of the instance a Managed Instances provider (its ``managedInstancesProvider``) launches, an
    hour: the larger of its vCPU and memory shares of the instance, times the instance's On-Demand price plus the
    management fee. Priced only for On-Demand capacity from a provider that names one instance type
    (``allowedInstanceTypes``)."""
    template = config.get("instanceLaunchTemplate") or {}
    option = str(template.get("capacityOptionType") or "ON_DEMAND")
    if option != "ON_DEMAND":
        return f"not estimated: Managed Instances provider {provider} launches {option} instances"
    types = (template.get("instanceRequirements") or {}).get("allowedInstanceTypes") or []
    if len(types) != 1 or any(c in str(types[0]) for c in "*?"):
        return f"not estimated: ECS chooses the instance type of Managed Instances provider {provider}"
    rate = (table.regions.get(region) or {}).get(str(types[0]))
    if rate is None:
        return f"no price: Managed Instances {types[0]} in {region} is not in the price table"
    share = max(size[0] / 1024 / float(rate["vcpu"]), size[1] / 1024 / float(rate["memoryGiB"]))
    return share * (float(rate["ec2Hour"]) + float(rate["managementHour"]))


def volumes_month(volumes: Sequence[Mapping[str, Any]], table: Table, region: str) -> float | str:
    """The EBS volumes ECS creates for one task (a service's ``volumeConfigurations``), a month: storage per GB-month,
    gp3 IOPS and throughput above the free baseline, io1 and io2 every provisioned IOPS."""
    total = 0.0
    for volume in volumes:
        ebs = volume.get("managedEBSVolume") or {}
        kind = str(ebs.get("volumeType") or DEFAULT_VOLUME_TYPE)
        if ebs.get("sizeInGiB") is None:
            return f"not estimated: EBS volume {volume.get('name')} takes its size from a snapshot"
        rate = (table.regions.get(region) or {}).get(kind)
        if rate is None:
            return f"no price: EBS {kind} in {region} is not in the price table"
        iops = float(ebs.get("iops") or rate.get("freeIops", 0))
        if iops > float(rate.get("iopsUpTo", iops)):
            return f"no price: EBS {kind} IOPS above {rate['iopsUpTo']} are not in the price table"
        throughput = float(ebs.get("throughput") or rate.get("freeThroughput", 0))
        total += float(ebs["sizeInGiB"]) * float(rate["gbMonth"])
        total += max(0.0, iops - float(rate.get("freeIops", 0))) * float(rate.get("iopsMonth", 0))
        total += max(0.0, throughput - float(rate.get("freeThroughput", 0))) * float(rate.get("throughputMonth", 0))
    return total
