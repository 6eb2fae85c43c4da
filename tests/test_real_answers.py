"""No spurious diff on real AWS answers: each fixture in fixtures/aws/real/ pairs a describe answer AWS published
(its source is named inside) with the manifest a user would naturally write for that resource. The plan must be
empty for every pair. The pairs that still show a diff are marked xfail (strict) with the field AWS reshaped or
defaulted, so fixing the normalisation flips them to a pass that must then be unmarked (see DEFAULTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.diff import FieldChange
from reconciler.core.loader import load_text
from reconciler.core.manifests import parse_documents
from reconciler.core.model import Address, Live, Resource
from reconciler.core.names import family_of
from reconciler.core.plan import make_plan
from reconciler.core.settings import ApplySettings
from reconciler.core.shapes import from_api_case
from reconciler.kinds import KINDS, scaling
from reconciler.kinds.cloud_map import attach_namespaces

REAL = Path(__file__).parent / "fixtures" / "aws" / "real"
FIXTURES = sorted(p.stem for p in REAL.glob("*.yaml"))

SPURIOUS: dict[str, str] = {}
"""Fixtures whose natural manifest still shows a diff against the real answer: name -> the spurious field(s)."""


def load(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = yaml.safe_load((REAL / f"{name}.yaml").read_text())
    return answer


def resource_of(fixture: dict[str, Any], name: str) -> Resource:
    docs, errors = load_text(yaml.safe_dump(fixture["manifest"]).encode(), file=f"{name}.yaml")
    resources, problems = parse_documents(docs, KINDS)
    assert not errors and not problems, [str(e) for e in [*errors, *problems]]
    assert len(resources) == 1
    return resources[0]


def scaling_body(live: dict[str, Any]) -> dict[str, Any]:
    """The published PascalCase answers in the camelCase shape the ScalingPolicy kind reads."""
    aas = scaling.AAS
    return {
        "target": from_api_case(aas, "DescribeScalableTargets", live["target"], shape="ScalableTarget"),
        "policies": [
            from_api_case(aas, "DescribeScalingPolicies", p, shape="ScalingPolicy") for p in live.get("policies", [])
        ],
        "scheduledActions": [
            from_api_case(aas, "DescribeScheduledActions", a, shape="ScheduledAction")
            for a in live.get("scheduledActions", [])
        ],
    }


def diff_of(name: str) -> list[FieldChange]:
    """What the planner would change: the fixture's resource against its live answer (a service's task definition
    family live at the revision the answer runs), through make_plan as plan runs it."""
    fixture = load(name)
    resource = resource_of(fixture, name)
    kind, body = fixture["kind"], fixture["live"]
    assert resource.address.kind == kind
    live_body = scaling_body(body) if kind == "ScalingPolicy" else body
    if "cloudMap" in fixture:  # what the live half adds: the Cloud Map namespace resolved to its name and ARN
        deployments = body.get("deployments") or []
        sections = [body.get("serviceConnectDefaults"), body.get("serviceConnectConfiguration")]
        sections += [d.get("serviceConnectConfiguration") for d in deployments]
        attach_namespaces(sections, fixture["cloudMap"])
    observed = {resource.address: Live(resource.address, live_body, managed=True)}
    if kind == "Service" and body.get("taskDefinition"):
        family = Address("TaskDefinition", family_of(str(body["taskDefinition"])))
        observed[family] = Live(family, {"taskDefinitionArn": body["taskDefinition"]}, managed=True)
    plan = make_plan([resource], observed, ApplySettings(), KINDS)
    assert not plan.notes, plan.notes
    return [change for action in plan.actions for change in action.changes]


def test_the_corpus_covers_every_kind():
    assert len(FIXTURES) >= 32
    kinds = {load(name)["kind"] for name in FIXTURES}
    assert kinds == {"Cluster", "TaskDefinition", "Service", "ScalingPolicy", "LogGroup"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=SPURIOUS[n])) if n in SPURIOUS else n
        for n in FIXTURES
    ],
)
def test_natural_manifest_matches_the_real_answer(name):
    assert [(c.path, c.before, c.after) for c in diff_of(name)] == []
