"""The Kind core and its facets: the registry answers which kinds have a facet, and refuses a kind whose facets are
declared but not defined, or defined but not declared (a method nobody would call)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from reconciler.aws import Aws
from reconciler.core.kind import FACETS, BaseKind, Claims, Costs, Exports, Findings, Keeps, Pins, Refers, Registry
from reconciler.core.model import Address, Live
from reconciler.kinds import KINDS
from reconciler.kinds.live import LIVE
from reconciler.kinds.live_base import BaseLive, Rollouts, live_registry


class Exporting(BaseKind, Exports):
    name = "Exporting"

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        return {"exported": live.address.name}


class DeclaresWithoutDefining(BaseKind, Exports):
    name = "Forgetful"


class DefinesWithoutDeclaring(BaseKind):
    name = "Undeclared"

    def export(self, live: Live, found: Mapping[Address, Live], *, region: str | None) -> dict[str, Any] | None:
        return None


def test_the_registry_answers_which_kinds_have_each_facet() -> None:
    having = {facet.__name__: [k.name for k in KINDS.having(facet)] for facet in FACETS}
    assert having == {
        "Refers": [
            "Cluster",
            "ManagedInstancesProvider",
            "Daemon",
            "TaskDefinition",
            "Service",
            "ExpressService",
            "ScheduledTask",
            "ScalingPolicy",
        ],
        "Pins": ["Service", "ScheduledTask"],
        "Keeps": ["CapacityProvider", "Cluster"],
        "Claims": ["ScalingPolicy"],
        "Exports": [
            "LogGroup",
            "CapacityProvider",
            "Cluster",
            "ManagedInstancesProvider",
            "Daemon",
            "TaskDefinition",
            "Service",
            "ExpressService",
            "ScalingPolicy",
        ],
        "Findings": ["TaskDefinition", "Service"],
        "Costs": ["Service"],
    }


def test_a_kind_is_found_as_a_facet_only_when_it_declares_it() -> None:
    kinds = Registry([Exporting()])  # type: ignore[list-item]  # a stand-in: only the facet is exercised
    live = Live(Address("Exporting", "a"), {})
    exporter = kinds.facet(live.address, Exports)
    assert exporter is not None and exporter.export(live, {}, region=None) == {"exported": "a"}
    assert kinds.facet(live.address, Costs) is None
    assert kinds.facet(Address("Unknown", "a"), Exports) is None
    assert kinds.live_references(live, region=None) == []


def test_every_facet_is_one_the_core_does_not_have() -> None:
    assert {Refers, Pins, Keeps, Claims, Exports, Findings, Costs} == set(FACETS)
    core = {n for n in vars(BaseKind) if not n.startswith("_")}
    for facet in FACETS:
        assert not core & {n for n in vars(facet) if not n.startswith("_")}, facet.__name__


def test_only_the_service_kinds_live_half_explains_rollouts() -> None:
    assert [name for name, half in LIVE.items() if isinstance(half, Rollouts)] == ["Service"]


class ForgetfulRollouts(BaseLive, Rollouts):
    kind = Exporting()


class UndeclaredRollouts(BaseLive):
    kind = DeclaresWithoutDefining()

    def rollout_trouble(self, aws: Aws, body: Mapping[str, Any]) -> list[str]:
        return []


@pytest.mark.parametrize(
    ("build", "given", "problem"),
    [
        (Registry, DeclaresWithoutDefining(), "Forgetful declares Exports but does not define export"),
        (Registry, DefinesWithoutDeclaring(), "Undeclared defines export but does not declare Exports"),
        (live_registry, ForgetfulRollouts(), "Exporting declares Rollouts but does not define rollout_trouble"),
        (live_registry, UndeclaredRollouts(), "Forgetful defines rollout_trouble but does not declare Rollouts"),
    ],
    ids=["kind declares only", "kind defines only", "live half declares only", "live half defines only"],
)
def test_the_registries_refuse_a_facet_half_declared(build: Any, given: Any, problem: str) -> None:
    with pytest.raises(TypeError, match=problem):
        build([given])  # stand-ins: only the facet is checked
