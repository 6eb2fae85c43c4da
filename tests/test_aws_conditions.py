"""A many-resource change under AWS's documented request buckets: the emulator's middleware is served again behind
bench/conditions.py, which answers ThrottlingException beyond the figures of reconciler/pacing.py's table (its own
bucket arithmetic, so a mistake in the client's pacing is not mirrored), and the tool paces itself within them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import HookedEmulator

from bench.conditions import AwsConditions
from bench.fleet import SCALED_EVERY, service_names, write_fleet
from reconciler.emulator import serve

SERVICES, CLUSTERS = 50, 5


@pytest.fixture
def conditions(aws: HookedEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsConditions]:
    """The emulator (its state and its recording middleware) behind AWS conditions, on a port of its own that the
    CLI's AWS environment points at."""
    wrapped = AwsConditions(aws.app, latency=0.01)
    server = serve(wrapped)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
    yield wrapped
    server.stop()


def changed(root: Path) -> None:
    """Every service scaled up and retagged, every log group retagged."""
    for path in (root / "services").glob("*.yaml"):
        text = path.read_text().replace("desiredCount: 1", "desiredCount: 2")
        path.write_text(text.replace("{key: team, value: platform}", "{key: team, value: payments}"))
    for path in (root / "clusters").glob("*.yaml"):
        path.write_text(path.read_text().replace("tags: {team: platform}", "tags: {team: payments}"))


@pytest.mark.slow
def test_a_fifty_service_change_gets_no_throttling_answer(
    aws: HookedEmulator, conditions: AwsConditions, cli: Any, ecs: Any, tmp_path: Path
) -> None:
    root = write_fleet(tmp_path / "fleet", services=SERVICES, clusters=CLUSTERS, extras=True)
    assert cli("apply", root, "--no-wait").code == 0, "the fleet set up without the conditions"
    changed(root)
    aws.reset_calls()
    conditions.switch(True)
    assert cli("apply", root, "--no-wait").code == 0
    assert not conditions.throttled, f"throttling answers: {dict(conditions.throttled)}"
    calls = Counter(aws.calls)
    scaled = len(range(0, SERVICES, SCALED_EVERY))  # their desired count is the scaling's
    assert calls["UpdateService"] == SERVICES - scaled and calls["TagResource"] >= SERVICES + CLUSTERS
    arns = [a for c in ("cluster-000",) for a in ecs.list_services(cluster=c)["serviceArns"]]
    described = ecs.describe_services(cluster="cluster-000", services=arns, include=["TAGS"])["services"]
    assert {s["desiredCount"] for s in described if not s["serviceName"].endswith("0")} == {2}
    assert all({"key": "team", "value": "payments"} in s["tags"] for s in described)
    assert len(arns) == len(service_names(SERVICES)) // CLUSTERS
