"""The steering annotations in plan and apply: ``ecs-reconciler/ignore`` (those field paths are neither diffed nor
applied) and ``ecs-reconciler/suspend`` (the resource's changes are shown and held, never applied), on any kind."""

from __future__ import annotations

from typing import Any

from builders import cluster, image_app


def tree(
    tag: str, *, annotations: dict[str, str] | None = None, td_annotations: dict[str, str] | None = None
) -> dict[str, str]:
    text = image_app("api", tag, annotations=annotations, task_annotations=td_annotations)
    return {"cluster.yaml": cluster(settings=None), "api.yaml": text}


def test_an_ignored_image_path_leaves_the_plan_empty(aws: Any, cli: Any, manifests: Any) -> None:
    assert cli("apply", manifests(tree("1.0")), "--no-wait").code == 0
    changed = cli("plan", manifests(tree("2.0")))
    assert changed.code == 2 and "containerDefinitions.app.image" in changed.out, "without the annotation it differs"
    ignored = {"ecs-reconciler/ignore": "cpu, containerDefinitions.app.image"}
    quiet = cli("plan", manifests(tree("2.0", td_annotations=ignored)))
    assert quiet.code == 0, quiet.out
    assert "containerDefinitions.app.image" not in quiet.out


def test_an_ignored_field_changed_out_of_band_is_not_planned(aws: Any, ecs: Any, cli: Any, manifests: Any) -> None:
    path = manifests(tree("1.0", annotations={"ecs-reconciler/ignore": "desiredCount"}))
    assert cli("apply", path, "--no-wait").code == 0
    ecs.update_service(cluster="prod", service="api", desiredCount=4)
    assert cli("plan", path).code == 0
    assert cli("apply", path, "--no-wait").code == 0
    assert ecs.describe_services(cluster="prod", services=["api"])["services"][0]["desiredCount"] == 4


def test_a_suspended_resource_is_shown_and_not_applied(aws: Any, ecs: Any, cli: Any, manifests: Any) -> None:
    assert cli("apply", manifests(tree("1.0")), "--no-wait").code == 0
    ecs.update_service(cluster="prod", service="api", desiredCount=4)
    path = manifests(tree("1.0", annotations={"ecs-reconciler/suspend": "incident 42"}))
    shown = cli("plan", path)
    assert "Service prod/api is suspended (incident 42): update with 1 field change not applied" in shown.out
    applied = cli("apply", path, "--no-wait")
    assert applied.code == 0, applied.err
    assert ecs.describe_services(cluster="prod", services=["api"])["services"][0]["desiredCount"] == 4
