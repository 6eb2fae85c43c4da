"""The planner, table-driven from tests/fixtures/plans/cases.yaml: manifests and live state in, the plan out, with
no emulator (the pure core alone)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.actions import Action, Create, Replace, Retag, Update
from reconciler.core.loader import load_text
from reconciler.core.manifests import parse_documents
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Plan, make_plan
from reconciler.core.render import plan_as_dict, render_json, render_markdown, render_text
from reconciler.core.settings import MANAGED_TAG_KEY, ApplySettings
from reconciler.kinds import KINDS

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "plans" / "cases.yaml").read_text())
MANAGED = {"key": MANAGED_TAG_KEY, "value": "ecs-reconciler"}


def resources(text: str) -> list[Resource]:
    docs, errors = load_text(text.encode(), file="set.yaml")
    found, problems = parse_documents(docs, KINDS)
    assert not errors and not problems, [str(e) for e in [*errors, *problems]]
    return found


def lives(entries: list[dict[str, Any]]) -> dict[Address, Live]:
    out = {}
    for entry in entries:
        address = Address(entry["kind"], entry["name"], entry.get("cluster"))
        managed = entry.get("managed", True)
        body = dict(entry["body"])
        tags = body.get("tags")
        if managed and isinstance(tags, dict):
            body["tags"] = {**tags, MANAGED_TAG_KEY: "ecs-reconciler"}
        elif managed:
            body["tags"] = [*(tags or []), MANAGED]
        out[address] = Live(address, body, managed=managed)
    return out


def plan_of(case: dict[str, Any], **options: Any) -> Plan:
    settings = ApplySettings(**{**case.get("options", {}), **options})
    return make_plan(
        resources(case["manifests"]),
        lives(case["live"]),
        settings,
        KINDS,
        prune_candidates=lives(case.get("candidates", [])),
    )


def written(action: Action) -> Mapping[str, Any]:
    """The spec an action writes (a delete or a task run writes none)."""
    assert isinstance(action, Create | Update | Replace | Retag), action
    return action.resource.spec


def check(plan: Plan, expect: dict[str, Any]) -> None:
    assert [f"{a.verb} {a.address}" for a in plan.actions] == expect["actions"]
    notes = [n.message for n in plan.notes]
    for want, note in zip(expect.get("notes", []), notes, strict=False):
        assert want in note, notes
    assert len(notes) >= len(expect.get("notes", [])), notes
    by_address = {str(a.address): a for a in plan.actions}
    for address, paths in expect.get("changes", {}).items():
        assert sorted(c.path for c in by_address[address].changes) == sorted(paths)
    for address, produced in expect.get("produces", {}).items():
        assert by_address[address].produces == produced
    if "produces" in expect:
        assert {str(a.address) for a in plan.actions if a.produces} == set(expect["produces"])
    for address, ref in expect.get("service_runs", {}).items():
        assert written(by_address[address])["taskDefinition"] == ref
    for address, count in expect.get("service_count", {}).items():
        assert written(by_address[address])["desiredCount"] == count
    if "pending" in expect:
        assert plan.pending is expect["pending"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_plan_is_what_the_table_says(case):
    check(plan_of(case), case["expect"])
    if "adopted" in case:
        check(plan_of(case, adopt=True), case["adopted"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_renderer_reads_the_same_plan(case):
    plan = plan_of(case)
    as_dict = plan_as_dict(plan)
    assert [(c["action"], c["kind"], c["name"]) for c in as_dict["changes"]] == [
        (a.verb, a.address.kind, a.address.name) for a in plan.actions
    ]
    assert yaml.safe_load(render_json(plan))["summary"] == plan.summary
    text, markdown = render_text(plan), render_markdown(plan)
    for action in plan.actions:
        assert str(action.address) in text and str(action.address) in markdown
    if not plan.actions and not plan.pending:
        assert "No changes" in text
