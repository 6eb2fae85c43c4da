"""Saved plans: sealed by a digest over the whole file (any edit refused before anything is read), applied only in
the account and region they were made for, read without a traceback whatever they hold, and shown again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from builders import SHOP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.commands import planfile
from reconciler.core.errors import UsageError


def leaves(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(document, dict):
        return [p for key, value in document.items() for p in leaves(value, (*path, key))]
    if isinstance(document, list):
        return [p for i, value in enumerate(document) for p in leaves(value, (*path, i))] or [path]
    return [path]


def edited(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("0" if not value.endswith("0") else "1")
    return ["edited"] if isinstance(value, list) else "edited"


def put(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


@pytest.mark.emulator
def test_every_single_field_edit_of_a_saved_plan_is_refused_with_nothing_written(aws, cli, manifests, tmp_path):
    root = manifests({"fleet.yaml": SHOP})
    saved = tmp_path / "fleet.plan"
    assert cli("plan", root, "--out", saved).code == 2
    original = json.loads(saved.read_text())
    paths = [p for p in leaves(original) if p != ("digest",)]
    assert len(paths) >= 15
    for path in paths:
        document = json.loads(saved.read_text())
        put(document, path, edited(_at(document, path)))
        file = tmp_path / "edited.plan"
        file.write_text(json.dumps(document, indent=2) + "\n")
        aws.reset_calls()
        result = cli("apply", file)
        assert result.code == 1, path
        assert "digest does not match" in result.err and result.err.count("\n") == 1, (path, result.err)
        assert aws.calls == [], path
    assert cli("apply", saved).code == 0, "the file as written applies"


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


@pytest.mark.emulator
def test_a_resealed_plan_for_another_region_or_account_is_refused_before_any_read(aws, cli, manifests, tmp_path):
    root = manifests({"fleet.yaml": SHOP})
    saved = tmp_path / "fleet.plan"
    assert cli("plan", root, "--out", saved).code == 2
    for field, value in (("region", "eu-west-1"), ("account", "999999999999")):
        document = json.loads(saved.read_text())
        document[field] = value
        file = tmp_path / f"{field}.plan"
        file.write_text(planfile.seal({k: v for k, v in document.items() if k != "digest"}))
        aws.reset_calls()
        result = cli("apply", file)
        assert result.code == 1 and "the credentials and region of this run are account" in result.err
        assert [c for c in aws.calls if not c.startswith("GetCallerIdentity")] == [], field
    wrong_region = cli("apply", saved, "--region", "us-west-2")
    assert wrong_region.code == 1 and "region us-east-1; the credentials and region" in wrong_region.err
    assert aws.writes() == []


@pytest.mark.emulator
def test_options_a_saved_plan_records_cannot_be_given_again(aws, cli, manifests, tmp_path):
    root = manifests({"fleet.yaml": SHOP})
    saved = tmp_path / "fleet.plan"
    assert cli("plan", root, "--out", saved).code == 2
    result = cli("apply", saved, "--prune")
    assert result.code == 1
    expected = f"Error: --prune cannot be given with a saved plan: {saved} applies with the options it records\n"
    assert result.err == expected


@pytest.mark.emulator
def test_show_plans_again_read_only_and_says_whether_the_saved_plan_still_matches(aws, cli, ecs, manifests, tmp_path):
    root = manifests({"fleet.yaml": SHOP})
    saved = tmp_path / "fleet.plan"
    assert cli("plan", root, "--out", saved).code == 2
    aws.reset_calls()
    shown = cli("show", saved)
    assert shown.code == 0, shown.err
    assert "+ Cluster shop" in shown.out and f"The saved plan {saved} still matches" in shown.out
    assert aws.writes() == []
    ecs.create_cluster(clusterName="shop")  # out of band, after the plan
    stale = cli("show", saved, "--format", "json")
    assert stale.code == 1
    document = json.loads(stale.out)
    assert document["saved_plan"]["matches"] is False
    assert document["saved_plan"]["reasons"] == ["live state changed: the plan made now differs"]
    assert document["summary"]["create"] == 1, "the plan as it would be made now"


def test_a_saved_plan_of_an_earlier_format_or_a_broken_one_is_one_line(tmp_path):
    old = tmp_path / "old.plan"
    old.write_text('{"format": "ecs-reconciler-plan/1", "actions": []}\n')
    with pytest.raises(UsageError, match="no digest at its end"):
        planfile.read(str(old))
    deep = tmp_path / "deep.plan"
    nested = "[" * 100_000 + "]" * 100_000  # deeper than Python's JSON reader can recurse
    text = f'{{\n  "format": "{planfile.FORMAT}",\n  "x": {nested},\n  "digest": ""\n}}\n'
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    deep.write_text(text.replace('"digest": ""', f'"digest": "{digest}"'))
    with pytest.raises(UsageError, match="not valid JSON"):
        planfile.read(str(deep))
    count = tmp_path / "count.plan"
    document = _valid()
    document["options"]["max_deletions"] = "ten"
    count.write_text(planfile.seal(document))
    with pytest.raises(UsageError, match=r"options\.max_deletions|max_deletions: expected a whole number"):
        planfile.read(str(count))


def _valid() -> dict[str, Any]:
    fingerprint = "sha256:" + "0" * 64
    return {
        "format": planfile.FORMAT,
        "tool": "ecs-reconciler",
        "path": "/m",
        "selectors": [],
        "instance": "shop",
        "instance_option": None,
        "var_files": [],
        "options": {"prune": False, "adopt": False, "allow_replace": False, "max_deletions": 10},
        "account": "123456789012",
        "region": "us-east-1",
        "fingerprints": {"manifests": fingerprint, "live": fingerprint, "plan": fingerprint},
        "actions": ["create Cluster shop"],
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _one_line_or_plan(file: Path) -> None:
    try:
        found = planfile.read(str(file))
    except UsageError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
    else:
        assert found is None or isinstance(found, planfile.SavedPlan)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(_valid())), value=JSON, option=st.sampled_from(["prune", "max_deletions", "x"]))
def test_fuzz_any_sealed_value_in_any_field_is_read_or_refused_in_one_line(tmp_path, field, value, option):
    document = _valid()
    document["options"][option] = value
    document[field] = value
    file = tmp_path / "fuzz.plan"
    file.write_text(planfile.seal(document))
    _one_line_or_plan(file)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), sealed=st.booleans())
def test_fuzz_any_text_that_looks_like_a_saved_plan_is_refused_in_one_line(tmp_path, text, sealed):
    body = '{"format": "ecs-reconciler-plan/2", ' + text
    file = tmp_path / "fuzz.plan"
    if sealed:  # a valid digest over arbitrary text: the JSON reader and the field checks meet it
        file.write_text(planfile.seal({"format": planfile.FORMAT, "text": text}))
    else:
        file.write_text(body)
    _one_line_or_plan(file)
