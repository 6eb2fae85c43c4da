"""What the kinds' tests do with the command line again and again, each with the checks it always makes: a tree
created then planned empty, a field changed in place, a replace refused then allowed, an export read back, one
resource's status entry. ``cli`` is the conftest fixture, ``aws`` the emulator."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from builders import edit_example
from faults import HookedEmulator


def created_then_planned_empty(
    cli: Any, aws: HookedEmulator, root: Path, *, first: str, then: str
) -> tuple[str, list[str]]:
    """Plan ``root`` (``first`` planned before ``then``), apply it, plan again: nothing to do and no AWS write.
    Returns the first plan's text and the AWS writes until the second plan."""
    planned = cli("plan", root)
    assert planned.code == 2, planned.err
    assert planned.out.index(first) < planned.out.index(then), planned.out
    applied = cli("apply", root, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    writes = aws.writes()
    aws.reset_calls()
    again = cli("plan", root)
    assert again.code == 0, again.out + again.err
    assert aws.writes() == []
    return planned.out, writes


def apply_then_edit(cli: Any, root: Path, old: str, new: str, *, shows: Sequence[str]) -> None:
    """Apply the example, change ``old`` to ``new`` in it: the plan has changes and names each of ``shows``."""
    assert cli("apply", root, "--auto-approve").code == 0
    edit_example(root, old, new)
    planned = cli("plan", root)
    assert planned.code == 2 and all(text in planned.out for text in shows), planned.out + planned.err


def changed_in_place(
    cli: Any, aws: HookedEmulator, root: Path, old: str, new: str, *, shows: Sequence[str]
) -> list[str]:
    """apply_then_edit, then apply the change: the plan is empty again. Returns that apply's AWS writes."""
    apply_then_edit(cli, root, old, new, shows=shows)
    aws.reset_calls()
    applied = cli("apply", root, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    writes = aws.writes()
    assert cli("plan", root).code == 0
    return writes


def replaced_when_allowed(
    cli: Any, aws: HookedEmulator, root: Path, old: str, new: str, *, shows: Sequence[str]
) -> list[str]:
    """apply_then_edit a change AWS cannot make in place: ``apply --auto-approve`` is refused (exit 1, naming
    --allow-replace, no AWS write), with --allow-replace it applies. Returns that apply's AWS writes."""
    apply_then_edit(cli, root, old, new, shows=shows)
    aws.reset_calls()
    refused = cli("apply", root, "--auto-approve")
    assert refused.code == 1 and "--allow-replace" in refused.err + refused.out
    assert aws.writes() == []
    allowed = cli("apply", root, "--auto-approve", "--allow-replace")
    assert allowed.code == 0, allowed.out + allowed.err
    return aws.writes()


def exported_text(cli: Any, cluster: str, out: Path) -> str:
    """Export ``cluster`` into ``out``: the files written, joined in name order."""
    exported = cli("export", "--cluster", cluster, "--output", out)
    assert exported.code == 0, exported.err
    return "".join(p.read_text() for p in sorted(out.glob("*.yaml")))


def status_entry(cli: Any, root: Path, kind: str) -> dict[str, Any]:
    """The JSON status of the one resource of ``kind`` in ``root``."""
    entries = json.loads(cli("status", root, "--format", "json").out)["resources"]
    entry: dict[str, Any] = next(e for e in entries if e["kind"] == kind)
    return entry
