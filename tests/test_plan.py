"""The pure plan: ordering, ownership, prune guards and redaction, from (desired, observed) alone."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.actions import Create
from reconciler.core.errors import PlanError
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import make_plan
from reconciler.core.settings import MANAGED_TAG_KEY, ApplySettings
from reconciler.kinds import KINDS

MANAGED = [{"key": MANAGED_TAG_KEY, "value": "ecs-reconciler"}]


def res(kind: str, name: str, spec: dict[str, Any], cluster: str | None = None) -> Resource:
    return Resource(Address(kind, name, cluster), spec, f"{name}.yaml", 1)


def live(kind: str, name: str, body: dict[str, Any], cluster: str | None = None, managed: bool = True) -> Live:
    return Live(Address(kind, name, cluster), body, managed)


DESIRED = [
    res("Service", "web", {"cluster": "c", "taskDefinition": "web", "desiredCount": 1}, "c"),
    res(
        "TaskDefinition",
        "web",
        {
            "containerDefinitions": [
                {"name": "a", "image": "x:1", "environment": [{"name": "API_TOKEN", "value": "s3cr3t"}]}
            ]
        },
    ),
    res("Cluster", "c", {}),
]


def test_creates_follow_dependency_order_and_services_wait_for_the_new_revision():
    plan = make_plan(DESIRED, {}, ApplySettings(), KINDS)
    assert [(a.verb, a.address.kind) for a in plan.actions] == [
        ("create", "Cluster"),
        ("create", "TaskDefinition"),
        ("create", "Service"),
    ]
    service = plan.actions[2]
    assert isinstance(service, Create)
    assert service.resource.spec["taskDefinition"] == "web:(new revision)"
    assert plan.actions[1].produces == "web:(new revision)"


def test_what_a_plan_shows_never_holds_secret_values():
    plan = make_plan(DESIRED, {}, ApplySettings(), KINDS)
    assert "s3cr3t" not in repr(plan)  # the desired specs (which apply needs) stay out of repr too
    assert "(sensitive value)" in repr(plan.actions[1].changes)


def test_deletes_come_last_in_reverse_dependency_order():
    candidates = {
        Address("Cluster", "old"): live("Cluster", "old", {"activeServicesCount": 1}),
        Address("TaskDefinition", "old"): live("TaskDefinition", "old", {}),
        Address("Service", "old", "old"): live("Service", "old", {}, "old"),
    }
    plan = make_plan(DESIRED, {}, ApplySettings(prune=True), KINDS, prune_candidates=candidates)
    assert [(a.verb, a.address.kind) for a in plan.actions][-3:] == [
        ("delete", "Service"),
        ("delete", "TaskDefinition"),
        ("delete", "Cluster"),
    ]


def test_prune_never_touches_unmanaged_resources_and_keeps_clusters_with_foreign_services():
    candidates = {
        Address("Cluster", "busy"): live("Cluster", "busy", {"activeServicesCount": 2}),
        Address("Service", "s", "busy"): live("Service", "s", {}, "busy"),
        Address("Cluster", "theirs"): live("Cluster", "theirs", {}, managed=False),
    }
    plan = make_plan(DESIRED, {}, ApplySettings(prune=True), KINDS, prune_candidates=candidates)
    deletes = [str(a.address) for a in plan.actions if a.verb == "delete"]
    assert deletes == ["Service busy/s"]
    assert any("Cluster busy" in n.message and "kept" in n.message for n in plan.notes)


def test_prune_beyond_the_guard_is_refused():
    candidates = {Address("Cluster", f"c{i}"): live("Cluster", f"c{i}", {}) for i in range(3)}
    with pytest.raises(PlanError, match="more than the limit of 2"):
        make_plan(DESIRED, {}, ApplySettings(prune=True, max_deletions=2), KINDS, prune_candidates=candidates)


def test_prune_of_an_empty_manifest_set_is_skipped():
    candidates = {Address("Cluster", "c"): live("Cluster", "c", {})}
    plan = make_plan([], {}, ApplySettings(prune=True), KINDS, prune_candidates=candidates)
    assert plan.actions == ()
    assert [n.message for n in plan.notes] == ["prune skipped: the manifest set is empty"]


def test_unmanaged_resource_is_left_alone_blocking_only_when_it_differs_unless_adopted():
    observed = {Address("Cluster", "c"): live("Cluster", "c", {"clusterName": "c"}, managed=False)}
    matching = make_plan([DESIRED[2]], observed, ApplySettings(), KINDS)
    assert matching.actions == () and not matching.pending
    assert "not managed" in matching.notes[0].message and not matching.notes[0].blocking

    differing = res("Cluster", "c", {"settings": [{"name": "containerInsights", "value": "enabled"}]})
    plan = make_plan([differing], observed, ApplySettings(), KINDS)
    assert plan.actions == () and plan.pending and plan.notes[0].blocking
    adopted = make_plan([differing], observed, ApplySettings(adopt=True), KINDS)
    assert [(a.verb, [c.path for c in a.changes]) for a in adopted.actions] == [
        ("update", ["settings", f"tags.{MANAGED_TAG_KEY}"])
    ]
