"""``ecs-reconciler/ignore`` values checked against the kind's spec schema: the plan's field paths pass, anything
that would ignore nothing is an error with a suggestion (the bad-input corpus runs the CLI's side of it)."""

from __future__ import annotations

import pytest

from reconciler.core.ignore import ignore_problems
from reconciler.kinds import KINDS


def problems(kind: str, text: str) -> list[str]:
    return ignore_problems(text, KINDS[kind].spec_schema())


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("Service", "desiredCount"),
        ("Service", "desiredCount, tags.team, networkConfiguration.awsvpcConfiguration.subnets"),
        ("Service", "loadBalancers[0].containerPort"),
        ("TaskDefinition", "cpu, containerDefinitions.app.image, containerDefinitions.app.environment.LOG_LEVEL"),
        ("TaskDefinition", "containerDefinitions.app"),
        ("Cluster", "settings"),
    ],
)
def test_the_plans_field_paths_are_accepted(kind, text):
    assert problems(kind, text) == []


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("Service", "desiredCont", "'desiredCont' is not a field of this kind (did you mean desiredCount?)"),
        ("Service", "*", "wildcards are not supported"),
        ("Service", "tags.*", "wildcards are not supported"),
        ("Service", "settings;tags", "separate field paths with commas"),
        ("Service", "desiredCount tags", "separate field paths with commas"),
        ("Service", "desiredCount,", "an empty item"),
        ("TaskDefinition", "cpu.units", "cpu has no fields below it"),
        ("TaskDefinition", "cpu[0]", "cpu is not a list"),
        ("TaskDefinition", "containerDefinitions..image", "is not a field path"),
    ],
)
def test_a_path_that_names_no_field_is_an_error(kind, text, message):
    [problem] = problems(kind, text)
    assert message in problem
