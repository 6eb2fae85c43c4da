"""Messages a Terraform user trusts: one-line usage errors with a did-you-mean, and a sensitive value added, changed
and removed shown as Terraform shows it."""

from __future__ import annotations

import subprocess
import sys

from reconciler.core.diff import ABSENT, FieldChange
from reconciler.core.model import Address, Live, Resource
from reconciler.core.plan import Plan, Reason, Update, _redacted
from reconciler.core.render import render_markdown, render_text

PATH = "containerDefinitions.app.environment.DB_PASSWORD"


def _plan(before: object, after: object) -> Plan:
    changes = _redacted([FieldChange(PATH, before, after)])
    address = Address("TaskDefinition", "api")
    return Plan((Update(address, Resource(address, {}), Live(address, {}), changes, Reason.NEW_REVISION),))


def test_a_sensitive_value_added_changed_and_removed():
    added, changed, removed = _plan(ABSENT, "s3cret"), _plan("old", "s3cret"), _plan("old", ABSENT)
    assert f'    + {PATH}: "(sensitive value)"' in render_text(added)
    assert f"    ~ {PATH}: (sensitive value changed)" in render_text(changed)
    assert f'    - {PATH}: "(sensitive value)"' in render_text(removed)
    assert f"~ {PATH}: (sensitive value changed)" in render_markdown(changed)
    for plan in (added, changed, removed):
        assert "s3cret" not in render_text(plan) + render_markdown(plan) and "old" not in render_text(plan)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True, text=True, timeout=60)


def test_usage_errors_are_one_line_with_a_suggestion():
    option = _run("plan", "manifests", "--formt", "json")
    assert option.returncode == 1 and option.stderr.count("\n") == 1
    assert "unrecognized arguments: --formt json (did you mean --format?)" in option.stderr
    command = _run("aply", "manifests")
    assert command.returncode == 1 and command.stderr.count("\n") == 1
    assert "invalid choice: 'aply'" in command.stderr and "(did you mean apply?)" in command.stderr
