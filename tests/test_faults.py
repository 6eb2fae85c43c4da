"""Apply under injected faults (tests/faults.py, seeded, 30% of calls): throttling, 5xx, slow answers and dropped
connections are retried to convergence in one run; lost responses (the call took effect, the answer did not
arrive) converge in at most two, with no duplicate service and at most one surplus task definition revision per
lost RegisterTaskDefinition answer, reused rather than multiplied on the next pass. The daemon lives through a
30-second burst of faults on every call and converges after."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_state import service_at
from builders import revision_tree
from conftest import eventually
from daemon_io import get
from faults import LOST, PRE_EXECUTION, Faults

from bench.fleet import cluster_names, service_names, write_fleet
from reconciler.aws import Aws
from reconciler.core.errors import ReconcilerError
from reconciler.core.settings import ApplySettings, AwsSettings, RetrySettings, Settings
from reconciler.pipeline import Pipeline

SERVICES, CLUSTERS = 8, 3
FAST_RETRIES = RetrySettings(attempts=10, initial_delay=0.001, max_delay=0.01, read_timeout=5.0)
"""At 30% faults a call fails ten times in a row once in 170,000 tries; the waits are kept short for the tests."""


def apply_once(aws: Any, root: Path, *, retry: RetrySettings = FAST_RETRIES, prune: bool = False) -> bool:
    """One pass of `apply` through the engine (as the CLI runs it): True when every action was done."""
    settings = Settings(aws=AwsSettings(endpoint_url=aws.endpoint_url, retry=retry), apply=ApplySettings(prune=prune))
    pipeline = Pipeline(Aws(settings.aws), settings)
    try:
        outcomes = pipeline.apply(pipeline.plan(pipeline.load(root)))
    except ReconcilerError:
        return False
    return all(o.status == "done" for o in outcomes)


def converged(aws: Any, root: Path) -> bool:
    """A fault-free plan has nothing to do."""
    aws.hooks.clear()
    aws.after_hooks.clear()
    settings = Settings(aws=AwsSettings(endpoint_url=aws.endpoint_url))
    pipeline = Pipeline(Aws(settings.aws), settings)
    return not pipeline.plan(pipeline.load(root)).plan.pending


def lose_first(counts: dict[str, int]) -> Any:
    """An after-hook losing the answers of the first ``counts[operation]`` calls of each operation."""
    left = dict(counts)

    def lose(operation: str) -> Any:
        if left.get(operation, 0) > 0:
            left[operation] -= 1
            return (500, "ServerException", "lost")
        return None

    return lose


def services_by_cluster(ecs: Any) -> Counter[str]:
    counts: Counter[str] = Counter()
    for arn in ecs.list_clusters()["clusterArns"]:
        name = arn.rsplit("/", 1)[-1]
        counts[name] = len(ecs.list_services(cluster=name, maxResults=100)["serviceArns"])
    return counts


def revisions(ecs: Any, family: str) -> list[str]:
    arns: list[str] = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    return arns


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return write_fleet(tmp_path / "fleet", services=SERVICES, clusters=CLUSTERS)


def assert_exactly_the_fleet(ecs: Any) -> None:
    assert services_by_cluster(ecs) == Counter(
        {c: len(service_names(SERVICES)[i::CLUSTERS]) for i, c in enumerate(cluster_names(CLUSTERS))}
    )


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)])
def test_apply_converges_in_one_run_through_pre_execution_faults(aws, ecs, fleet, seed):
    faults = Faults(seed=seed, rate=0.3, kinds=PRE_EXECUTION).install(aws)

    assert apply_once(aws, fleet)

    assert len({kind for _, kind in faults.injected}) >= 3
    assert converged(aws, fleet)
    assert_exactly_the_fleet(ecs)
    for name in service_names(SERVICES):
        assert len(revisions(ecs, name)) == 1


@pytest.mark.parametrize("seed", [1, *(pytest.param(seed, marks=pytest.mark.slow) for seed in (2, 3, 5, 6, 7))])
def test_apply_converges_in_two_runs_through_lost_responses(aws, ecs, fleet, seed):
    faults = Faults(seed=seed, rate=0.3, kinds=PRE_EXECUTION + LOST).install(aws)

    if not apply_once(aws, fleet):
        apply_once(aws, fleet)

    assert sum(faults.lost(op) for op in set(aws.writes())) > 0
    assert converged(aws, fleet)
    assert_exactly_the_fleet(ecs)
    surplus = sum(len(revisions(ecs, name)) - 1 for name in service_names(SERVICES))
    assert surplus <= faults.lost("RegisterTaskDefinition")

    aws.reset_calls()
    assert apply_once(aws, fleet)
    assert aws.writes() == []


def test_a_lost_register_answer_leaves_a_revision_the_next_pass_reuses(aws, ecs, fleet):
    aws.after_hooks.append(lambda op: (500, "ServerException", "lost") if op == "RegisterTaskDefinition" else None)
    no_retries = RetrySettings(attempts=1)

    assert not apply_once(aws, fleet, retry=no_retries)
    assert len(revisions(ecs, "svc-0000")) == 1
    assert ecs.list_services(cluster="cluster-000")["serviceArns"] == []

    aws.after_hooks.clear()
    assert apply_once(aws, fleet, retry=no_retries)
    assert converged(aws, fleet)
    for name in service_names(SERVICES):
        assert [r.rsplit("/", 1)[-1] for r in revisions(ecs, name)] == [f"{name}:1"]
    assert aws.calls.count("RegisterTaskDefinition") == 1 + SERVICES - 1


def test_a_retried_create_service_whose_answer_was_lost_creates_one_service(aws, ecs, fleet):
    aws.after_hooks.append(lose_first({"CreateService": 3}))
    assert apply_once(aws, fleet)
    assert aws.calls.count("CreateService") == SERVICES + 3
    assert converged(aws, fleet)
    assert_exactly_the_fleet(ecs)


def test_prune_converges_through_lost_delete_answers(aws, ecs, fleet):
    assert apply_once(aws, fleet)
    for name in service_names(SERVICES)[:3]:
        (fleet / "services" / f"{name}.yaml").unlink()
    (fleet / "clusters" / "cluster-002.yaml").unlink()
    for name in service_names(SERVICES)[2::CLUSTERS]:
        (fleet / "services" / f"{name}.yaml").unlink(missing_ok=True)
    aws.after_hooks.append(lose_first({"DeleteService": 1, "DeleteCluster": 1, "DeregisterTaskDefinition": 1}))

    assert apply_once(aws, fleet, retry=RetrySettings(attempts=2, initial_delay=0.001), prune=True)

    assert converged(aws, fleet)
    remaining = {name for name in service_names(SERVICES) if (fleet / "services" / f"{name}.yaml").exists()}
    live = {
        a.rsplit("/", 1)[-1]
        for c in ("cluster-000", "cluster-001")
        for a in ecs.list_services(cluster=c)["serviceArns"]
    }
    assert live == remaining
    assert sorted(a.rsplit("/", 1)[-1] for a in ecs.list_clusters()["clusterArns"]) == ["cluster-000", "cluster-001"]


@pytest.mark.slow
def test_the_daemon_runs_through_30_seconds_of_faults_on_every_call_and_converges_after(aws, ecs, cli, daemon, gitsync):
    """Every AWS call fails (throttling, 500, 503, dropped connections) for 30 s while a revision is published: the
    process stays up, /healthz answers, /readyz turns unready; once AWS answers again the revision is applied within
    a bound set by the resync interval (the backoff is capped by it), and a plan afterwards is empty."""
    first = gitsync.publish(revision_tree(count=1))
    proc = daemon(gitsync.link, "--resync-interval", "5", "--metrics-port", "0")
    eventually(service_at(ecs, count=1, revision=first), what="the first revision applied")
    base = f"http://127.0.0.1:{proc.wait_for_event('serving metrics')['port']}"
    eventually(lambda: get(f"{base}/readyz")[0] == 200, what="ready before the burst")

    faults = Faults(seed=1, rate=1.0, kinds=("throttle", "500", "503", "drop")).install(aws)
    burst_ends = time.monotonic() + 30
    second = gitsync.publish(revision_tree(count=2))
    readiness = set()
    while time.monotonic() < burst_ends:
        assert proc.process.poll() is None, "the daemon died during the burst"
        assert get(f"{base}/healthz")[0] == 200
        readiness.add(get(f"{base}/readyz")[0])
        time.sleep(0.5)
    aws.hooks.clear()
    aws.after_hooks.clear()

    # Failed passes back off; throttling answers inside a pass are waited out through the paced bucket instead of
    # failing it, so a burst that mixes them fails fewer passes than it has calls.
    assert len(proc.find("pass failed; backing off")) >= 1
    assert {kind for _, kind in faults.injected} == {"throttle", "500", "503", "drop"}
    assert 503 in readiness, "not ready while no pass succeeds"
    eventually(service_at(ecs, count=2, revision=second), timeout=30, what="the published revision applied after")
    eventually(lambda: get(f"{base}/readyz")[0] == 200, what="ready again")
    assert len(ecs.list_services(cluster="prod")["serviceArns"]) == 1
    assert cli("plan", gitsync.link).code == 0
    assert not [line for line in proc.lines if "Traceback" in line]
    assert proc.stop() == 0
