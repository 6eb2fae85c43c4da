"""--target as Terraform users expect it: a warning on every targeted plan and apply, a verifying plan that covers
the targets and says so, never a claim that all of live ECS matches, and a cost labelled partial."""

from __future__ import annotations

import json

import pytest
from builders import SHOP

pytestmark = pytest.mark.emulator


def test_a_targeted_plan_warns_in_every_format(aws, cli, manifests):
    root = manifests({"fleet.yaml": SHOP})
    text = cli("plan", root, "--target", "Cluster/shop")
    assert text.out.startswith("Warning: resource targeting is in effect. This plan covers only Cluster/shop")
    assert "may be incomplete" in text.out
    markdown = cli("plan", root, "--target", "Cluster/shop", "--format", "markdown")
    assert "> **Warning: resource targeting is in effect." in markdown.out
    document = json.loads(cli("plan", root, "--target", "Cluster/shop", "--format", "json").out)
    assert document["warnings"][0].startswith("Warning: resource targeting is in effect.")
    assert json.loads(cli("plan", root, "--format", "json").out)["warnings"] == []


def test_a_targeted_apply_warns_and_never_claims_convergence(aws, cli, manifests):
    root = manifests({"fleet.yaml": SHOP})
    applied = cli("apply", root, "--target", "Cluster/shop")
    assert applied.code == 0, applied.err
    assert "Live ECS matches the manifests" not in applied.out
    assert "Plan after apply, of the targeted resources only (Cluster/shop and what they reference):" in applied.out
    assert "No changes in the targeted resources; the rest of the manifests was not compared." in applied.out
    assert "Warning: applied changes may be incomplete." in applied.err
    assert "Warning: resource targeting is in effect." in applied.out
    assert cli("plan", root).code == 2, "the log group was left out, as the warning says"
