"""A daemon that remembers across restarts what it must, read back from AWS: stopped (SIGKILL or SIGTERM) during a
failing rollout and started again, while the rollout is still in flight or after ECS's circuit breaker rolled it
back, the failure is alerted exactly once in all, naming the task definition that failed, the revision stays held
(``revision_held`` 1, /status says held) and nothing is written for it after the failure was recorded; with
--rollback-on-failure a restart does not deploy the bad revision again. The daemon runs as a subprocess against the
emulator, which records every call."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from aws_state import described_service, running, tags_of
from builders import cluster, image_app
from conftest import eventually
from daemon_io import get, status_of

from reconciler.core.model import Address
from reconciler.core.tags import HELD_TAG_KEY, REVISION_TAG_KEY
from reconciler.daemon.memory import Marker, marker_of, recall
from reconciler.deployments.stages import Deployment
from reconciler.emulator import ROLLOUT_ENV
from reconciler.emulator.clock import CLOCK, ROLLOUT_SECONDS_ENV
from reconciler.emulator.rollouts import ROLLOUT_IMAGES_ENV

API = "Service prod/api"
HELD_METRIC = 'ecs_reconciler_revision_held{target="default"} 1.0'


@pytest.fixture
def slow_broken_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """Images tagged ``broken`` fail their rollout, each rollout taking 3 s: long enough to stop a daemon during it."""
    monkeypatch.setenv(ROLLOUT_ENV, "fail")
    monkeypatch.setenv(ROLLOUT_IMAGES_ENV, ":broken")
    monkeypatch.setenv(ROLLOUT_SECONDS_ENV, "3")


def tree(tag: str, *, breaker_rollback: bool) -> dict[str, str]:
    return {"cluster.yaml": cluster(), "api.yaml": image_app("api", tag, breaker_rollback=breaker_rollback)}


def start(daemon: Any, gitsync: Any, webhook: Any, *extra: str) -> tuple[Any, int]:
    proc = daemon(
        gitsync.link, "--resync-interval", "0.5", "--metrics-port", "0", "--alert-webhook", webhook.url, *extra
    )
    return proc, int(proc.wait_for_event("serving metrics")["port"])


def stop(proc: Any, sig: int) -> None:
    if sig == signal.SIGKILL:
        proc.kill()
    else:
        assert proc.stop(sig) == 0


def held_passes(proc: Any, revision: str, count: int) -> None:
    eventually(lambda: len(proc.find("pass", result="held", revision=revision)) >= count, what="passes held")


def current_deployment_status(ecs: Any) -> str:
    """The status of the ServiceDeployment prod/api is on."""
    arn = described_service(ecs)["currentServiceDeployment"]
    return str(ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["status"])


@pytest.mark.parametrize(
    ("sig", "back"),
    [(signal.SIGKILL, "in flight"), (signal.SIGTERM, "in flight"), (signal.SIGKILL, "rolled back")],
    ids=["SIGKILL", "SIGTERM", "SIGKILL-back-after-the-rollback"],
)
def test_stopped_during_a_failing_rollout_the_failure_is_alerted_once_and_stays_held(
    aws, ecs, daemon, gitsync, webhook, slow_broken_images, held_clock, sig, back
):
    gitsync.publish(tree("1.0", breaker_rollback=True))
    first, _ = start(daemon, gitsync, webhook)
    eventually(lambda: webhook.alerts("rollout_completed"), what="the good revision rolled out")
    held_clock.hold()  # the bad revision's rollout cannot fail, nor ECS roll it back, until released
    bad = gitsync.publish(tree("broken", breaker_rollback=True))
    first.wait_for_event("applied", resource=API, revision=bad)
    stop(first, sig)
    assert webhook.alerts("rollout_failed") == [], "stopped during the rollout, before its failure"
    if back == "rolled back":  # ECS's circuit breaker failed it and rolled the service back while no daemon ran
        held_clock.release()
        CLOCK.advance(6)
        eventually(lambda: current_deployment_status(ecs) == "ROLLBACK_SUCCESSFUL", what="ECS's rollback")

    aws.reset_calls()
    second, port = start(daemon, gitsync, webhook)
    if back == "in flight":
        second.wait_for_event("following deployments found at start-up", revision=bad)
        held_clock.release()
    [failed] = eventually(lambda: webhook.alerts("rollout_failed"), what="the failure, alerted after the restart")
    assert (failed["revision"], failed["resource"], failed["task_definition"]) == (bad, API, "api:2")
    assert failed["rollback"], "ECS's circuit breaker rolled it back"
    held_passes(second, bad, 3)
    assert aws.writes() == ["TagResource"], "only the hold marker: the bad revision is not deployed again"
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["serviceArn"]
    assert tags_of(ecs, arn)[HELD_TAG_KEY].endswith(failed["deployment"].rsplit("/", 1)[-1])
    assert HELD_METRIC in get(f"http://127.0.0.1:{port}/metrics")[1]
    second.kill()

    aws.reset_calls()
    third, port = start(daemon, gitsync, webhook)
    held_passes(third, bad, 3)
    assert aws.writes() == [], "nothing written for a revision held before the start"
    assert len(webhook.alerts("rollout_failed")) == 1, "alerted exactly once in all"
    assert running(ecs, "api") == "api:1"
    assert HELD_METRIC in get(f"http://127.0.0.1:{port}/metrics")[1]
    report = status_of(port)
    assert report["held"]["revision"] == bad and report["held"]["service"] == API
    assert report["resources"][API]["state"] == "held"
    assert report["resources"][API]["rollout"]["held"] == bad
    assert report["resources"][API]["rollout"]["last_completed"]["task_definition"] == "api:1"
    assert third.stop() == 0


def test_with_rollback_on_failure_a_restart_does_not_deploy_the_bad_revision_again(
    aws, ecs, daemon, gitsync, webhook, slow_broken_images
):
    good = gitsync.publish(tree("1.0", breaker_rollback=False))
    first, _ = start(daemon, gitsync, webhook, "--rollback-on-failure")
    eventually(lambda: webhook.alerts("rollout_completed"), what="the good revision rolled out")
    bad = gitsync.publish(tree("broken", breaker_rollback=False))
    eventually(lambda: webhook.alerts("rollback"), timeout=60, what="the rollback")
    eventually(lambda: running(ecs, "api") == "api:1", what="back on the good task definition")
    first.kill()

    aws.reset_calls()
    second, port = start(daemon, gitsync, webhook, "--rollback-on-failure")
    held_passes(second, bad, 4)
    assert aws.writes() == [], "the bad revision is neither deployed nor rolled back again"
    assert running(ecs, "api") == "api:1"
    assert (len(webhook.alerts("rollout_failed")), len(webhook.alerts("rollback"))) == (1, 1)
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["serviceArn"]
    assert tags_of(ecs, arn)["ecs-reconciler/revision"] == good, "the rollback's revision tag stays"
    report = status_of(port)
    assert report["held"]["revision"] == bad
    assert report["resources"][API]["rollout"]["last_completed"] == {"task_definition": "api:1", "revision": good}
    assert second.stop() == 0


def _service(*, marker: str | None = None, deployment: str = "d1") -> dict[str, Any]:
    tags = [{"key": REVISION_TAG_KEY, "value": "abc"}]
    if marker is not None:
        tags.append({"key": HELD_TAG_KEY, "value": marker})
    return {"taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/api:2", "tags": tags}


def _deployment(status: str, name: str = "d1") -> Deployment:
    return Deployment.of({"serviceDeploymentArn": f"arn:aws:ecs:us-east-1:1:service-deployment/prod/api/{name}",
                          "status": status})  # fmt: skip


def test_recall_reads_the_marker_and_ecs_current_deployment():
    api = Address("Service", "api", "prod")
    assert marker_of([{"key": HELD_TAG_KEY, "value": Marker("f" * 64, "d1").value}]) == Marker("f" * 64, "d1")
    assert marker_of([{"key": HELD_TAG_KEY, "value": "garbled"}]) is None

    def one(body: dict[str, Any], deployment: Deployment | None) -> Any:
        [found] = recall("fp", {api: body}, {api: deployment} if deployment else {})
        return found.held, found.found

    assert one(_service(), _deployment("IN_PROGRESS")) == (False, "follow")
    assert one(_service(), _deployment("ROLLBACK_SUCCESSFUL")) == (False, "failed"), "never alerted"
    assert one(_service(marker="fp d1"), _deployment("ROLLBACK_SUCCESSFUL")) == (True, None), "alerted, held"
    assert one(_service(marker="fp d1"), _deployment("SUCCESSFUL", "d2")) == (True, "completed"), "rolled back"
    assert one(_service(marker="old d1"), _deployment("STOPPED")) == (False, None), "another revision's failure"
    assert one(_service(marker="old d1"), _deployment("STOPPED", "d3")) == (False, "failed")
    assert one(_service(), None) == (False, None), "no deployment ECS names"
    [found] = recall("fp", {api: _service()}, {api: _deployment("SUCCESSFUL")})
    assert (found.task_definition, found.revision) == ("api:2", "abc")
