"""The executor's dependency-ordered concurrency, with stand-in kinds whose writes only record when they ran: pure
and fast, no emulator."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.errors import AwsError
from reconciler.core.kind import BaseKind, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Action, Plan
from reconciler.core.settings import ApplySettings
from reconciler.executor import execute
from reconciler.kinds.live_base import ApplyContext


class Parent(BaseKind):
    name = "Parent"


class Child(BaseKind, Refers):
    """Refers to the Parent named in its spec."""

    name = "Child"

    def references(self, resource: Resource, *, region: str | None) -> list[Reference]:
        return [Reference(Address("Parent", str(resource.spec["parent"])), "spec.parent")]

    def live_references(self, live: Live, *, region: str | None) -> list[Address]:
        return []


class FakeAws:
    region = "us-east-1"


@dataclass
class Recorder:
    """A kind's live half whose writes take ``seconds`` and record (start, end); names in ``failing`` fail."""

    kind: Any
    seconds: float = 0.05
    failing: set[str] = field(default_factory=set)
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)

    def observe(self, aws: Any, addresses: Sequence[Address], found: Any) -> dict[Address, Live]:
        return {}

    def list_managed(self, aws: Any, found: Mapping[Address, Live]) -> dict[Address, Live]:
        return {}

    def check_live(self, aws: Any, resources: Sequence[Resource]) -> list[Any]:
        return []

    def apply(self, aws: Any, action: Action, ctx: ApplyContext) -> str | None:
        started = time.monotonic()
        time.sleep(self.seconds)
        self.spans[action.address.name] = (started, time.monotonic())
        if action.address.name in self.failing:
            raise AwsError("Write", action.address.name, "InvalidParameterException", "refused")
        return f"arn:{action.address.name}"


def create(kind: str, name: str, **spec: Any) -> Action:
    address = Address(kind, name)
    return Action("create", address, (), "new", resource=Resource(address, spec))


def run(
    actions: list[Action], *, concurrency: int = 8, failing: set[str] | None = None
) -> tuple[list[Any], dict[str, tuple[float, float]]]:
    """Execute through the stand-ins; returns the outcomes and when each write ran, by name."""
    parents = Recorder(Parent(), failing=failing or set())
    children = Recorder(Child(), failing=failing or set())
    ctx = ApplyContext(ApplySettings(concurrency=concurrency))
    live: Any = {"Parent": parents, "Child": children}
    outcomes = execute(FakeAws(), Plan(tuple(actions)), live, ctx)  # type: ignore[arg-type]
    return outcomes, {**parents.spans, **children.spans}


def test_independent_actions_run_concurrently_and_outcomes_keep_plan_order():
    actions = [create("Parent", f"p{i}") for i in range(8)]
    started = time.monotonic()
    outcomes, spans = run(actions)
    assert time.monotonic() - started < 8 * 0.05 * 0.6, "eight 50 ms writes did not overlap"
    assert [o.action.address.name for o in outcomes] == [f"p{i}" for i in range(8)]
    assert all(o.status == "done" for o in outcomes)


def test_an_action_starts_only_after_what_it_references_is_done():
    actions = [create("Parent", "a"), create("Parent", "b")]
    actions += [create("Child", "a1", parent="a"), create("Child", "b1", parent="b")]
    outcomes, spans = run(actions)
    assert all(o.status == "done" for o in outcomes)
    assert spans["a1"][0] >= spans["a"][1]
    assert spans["b1"][0] >= spans["b"][1]
    assert spans["b"][0] < spans["a"][1], "the two parents ran side by side"


def test_a_failure_stops_what_depends_on_it_and_starts_nothing_more():
    actions = [create("Parent", "a"), create("Child", "a1", parent="a")]
    actions += [create("Parent", f"p{i}") for i in range(20)]
    outcomes, _ = run(actions, concurrency=2, failing={"a"})
    status = {o.action.address.name: o.status for o in outcomes}
    assert status["a"] == "failed"
    assert status["a1"] == "skipped"
    assert [o for o in outcomes if o.status == "skipped" and o.error == "an earlier action failed"]
    assert sum(1 for s in status.values() if s == "done") <= 1, "at most the write already in flight finished"


def test_concurrency_one_applies_in_plan_order_one_at_a_time():
    actions = [create("Parent", f"p{i}") for i in range(4)]
    outcomes, spans = run(actions, concurrency=1)
    ends = [spans[f"p{i}"] for i in range(4)]
    assert all(ends[i][1] <= ends[i + 1][0] for i in range(3))


def test_a_delete_waits_for_everything_before_it_and_everything_after_waits_for_it():
    delete = Action("delete", Address("Parent", "old"), (), "gone", live=Live(Address("Parent", "old"), {}))
    actions = [create("Parent", "a"), create("Parent", "b"), delete, create("Parent", "c")]
    _, spans = run(actions)
    assert spans["old"][0] >= max(spans["a"][1], spans["b"][1])
    assert spans["c"][0] >= spans["old"][1]
