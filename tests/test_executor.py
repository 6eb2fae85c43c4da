"""The executor's dependency-ordered concurrency, with stand-in kinds whose writes only record when they ran: pure
and fast, no emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.diff import FieldChange
from reconciler.core.errors import AwsError
from reconciler.core.kind import BaseKind, Reference, Refers
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Action, Create, Delete, Plan, RunTask, Update
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
    """A kind's live half whose writes take ``seconds`` and record (start, end); names in ``failing`` fail. With a
    ``barrier``, each write first waits until that many writes are in flight together (or the barrier breaks)."""

    kind: Any
    seconds: float = 0.05
    failing: set[str] = field(default_factory=set)
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    barrier: threading.Barrier | None = None

    def observe(self, aws: Any, addresses: Sequence[Address], found: Any) -> dict[Address, Live]:
        return {}

    def list_managed(self, aws: Any, found: Mapping[Address, Live]) -> dict[Address, Live]:
        return {}

    def check_live(self, aws: Any, resources: Sequence[Resource]) -> list[Any]:
        return []

    def write(self, address: Address) -> str:
        started = time.monotonic()
        if self.barrier is not None:
            self.barrier.wait()
        time.sleep(self.seconds)
        self.spans[address.name] = (started, time.monotonic())
        if address.name in self.failing:
            raise AwsError("Write", address.name, "InvalidParameterException", "refused")
        return f"arn:{address.name}"

    def create(self, aws: Any, desired: Resource, ctx: ApplyContext) -> str | None:
        return self.write(desired.address)

    def update(
        self, aws: Any, desired: Resource, live: Live, changes: Sequence[FieldChange], ctx: ApplyContext
    ) -> str | None:
        return self.write(desired.address)

    def retag(self, aws: Any, desired: Resource, live: Live, ctx: ApplyContext) -> str | None:
        return self.write(desired.address)

    def delete(self, aws: Any, live: Live, ctx: ApplyContext) -> None:
        self.write(live.address)

    def await_gone(self, aws: Any, live: Live, ctx: ApplyContext) -> None:
        return None


def create(kind: str, name: str, **spec: Any) -> Action:
    address = Address(kind, name)
    return Create(address, Resource(address, spec), ())


def run(
    actions: list[Action],
    *,
    concurrency: int = 8,
    failing: set[str] | None = None,
    together: threading.Barrier | None = None,
) -> tuple[list[Any], dict[str, tuple[float, float]]]:
    """Execute through the stand-ins; returns the outcomes and when each write ran, by name. Parent writes wait at
    the ``together`` barrier."""
    parents = Recorder(Parent(), failing=failing or set(), barrier=together)
    children = Recorder(Child(), failing=failing or set())
    ctx = ApplyContext(ApplySettings(concurrency=concurrency))
    live: Any = {"Parent": parents, "Child": children}
    outcomes = execute(FakeAws(), Plan(tuple(actions)), live, ctx)  # type: ignore[arg-type]
    return outcomes, {**parents.spans, **children.spans}


def test_independent_actions_run_concurrently_and_outcomes_keep_plan_order():
    actions = [create("Parent", f"p{i}") for i in range(8)]
    together = threading.Barrier(8, timeout=30)  # broken, and the writes failed, unless all 8 are in flight at once
    outcomes, _ = run(actions, together=together)
    assert not together.broken, "the eight writes were not in flight together"
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


def test_a_failure_skips_only_what_depends_on_it_and_everything_else_is_applied() -> None:
    actions = [create("Parent", "a"), create("Child", "a1", parent="a"), create("Child", "a2", parent="a")]
    actions += [create("Parent", f"p{i}") for i in range(20)]
    outcomes, _ = run(actions, concurrency=2, failing={"a"})
    by_name = {o.action.address.name: o for o in outcomes}
    failed = by_name["a"]
    assert failed.status == "failed" and failed.code == "InvalidParameterException"
    assert isinstance(failed.error, AwsError)
    for child in ("a1", "a2"):
        assert (by_name[child].status, by_name[child].because) == ("skipped", Address("Parent", "a"))
    assert all(by_name[f"p{i}"].status == "done" for i in range(20)), "the others were all applied"


def test_a_skip_names_the_failed_action_through_a_chain_of_dependents() -> None:
    old = Address("Parent", "old")
    actions = [create("Parent", "a"), Delete(old, Live(old, {})), create("Parent", "after")]
    outcomes, _ = run(actions, failing={"a"})
    assert [(o.status, o.because) for o in outcomes] == [
        ("failed", None),
        ("skipped", Address("Parent", "a")),
        ("skipped", Address("Parent", "a")),
    ], "the delete waits for everything before it, and what follows waits for the delete"


def test_an_update_waits_for_its_task_and_is_skipped_when_the_task_fails(monkeypatch: Any) -> None:
    address = Address("Parent", "svc")
    ran: list[str] = []

    def run_hook(aws: Any, hook: RunTask, ctx: ApplyContext) -> None:
        ran.append(hook.family)
        raise AwsError("RunTask", hook.family, "ClientException", "no such family")

    monkeypatch.setattr("reconciler.executor.run_hook", run_hook)
    resource, live = Resource(address, {}), Live(address, {})
    hook = RunTask(address, "migrate", "svc:2")
    update = Update(address, resource, live, (FieldChange("taskDefinition", "svc:1", "svc:2"),))
    outcomes, spans = run([hook, update, create("Parent", "other")])
    assert ran == ["migrate"]
    assert [o.status for o in outcomes] == ["failed", "skipped", "done"]
    assert outcomes[1].because == address and "svc" not in spans, "the update was never sent"


def test_concurrency_one_applies_in_plan_order_one_at_a_time():
    actions = [create("Parent", f"p{i}") for i in range(4)]
    outcomes, spans = run(actions, concurrency=1)
    ends = [spans[f"p{i}"] for i in range(4)]
    assert all(ends[i][1] <= ends[i + 1][0] for i in range(3))


def test_a_delete_waits_for_everything_before_it_and_everything_after_waits_for_it():
    delete = Delete(Address("Parent", "old"), Live(Address("Parent", "old"), {}))
    actions = [create("Parent", "a"), create("Parent", "b"), delete, create("Parent", "c")]
    _, spans = run(actions)
    assert spans["old"][0] >= max(spans["a"][1], spans["b"][1])
    assert spans["c"][0] >= spans["old"][1]
