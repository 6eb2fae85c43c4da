"""The daemon's HTTP port: the token in front of every request that changes anything, the spacing of asked-for
passes (an injected clock, never wall time), and the limits on what clients can hold (idle connections, threads)."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import eventually

from reconciler.aws import Aws
from reconciler.core.errors import UsageError
from reconciler.core.settings import DaemonSettings, HttpSettings, Settings
from reconciler.daemon.gate import PassGate
from reconciler.daemon.http import Guard, HttpServer, daemon_app, read_token
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.run import Operator, start
from reconciler.pipeline import Pipeline

TOKEN = "s3cr3t-token-for-tests"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request(url: str, *, method: str = "GET", token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = b"" if method == "POST" else None
    try:
        asked = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(asked, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def passes(operator: Operator) -> float:
    registry = operator.fleet.metrics.registry
    return sum(
        sample.value
        for family in registry.collect()
        if family.name == "ecs_reconciler_passes"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    file = tmp_path / "token"
    file.write_text(f"{TOKEN}\n")
    file.chmod(0o600)
    return file


@pytest.fixture
def operator(aws: Any, example: Path) -> Iterator[Any]:
    """``run``'s operator in-process over the example, its HTTP port on loopback; stopped at the end."""
    started: list[Operator] = []

    def begin(http: HttpSettings, clock: Callable[[], float] = time.monotonic) -> Operator:
        daemon = DaemonSettings(metrics_port=0, metrics_address="127.0.0.1", resync_interval=3600, http=http)
        settings = replace(Settings(), daemon=daemon)
        pipeline = Pipeline(Aws(settings.aws), settings)
        operator = start(str(example), pipeline, sinks=[], clock=clock)
        started.append(operator)
        eventually(lambda: operator.daemon.state.last_success is not None, what="the first pass")
        return operator

    yield begin
    for operator in started:
        operator.stop(grace=5)


def test_post_reconcile_without_the_token_answers_403_and_runs_no_pass(operator, token_file):
    op = operator(HttpSettings(token_file=str(token_file)))
    url = f"http://127.0.0.1:{op.server.port}"
    before = passes(op)
    for token in (None, "wrong", TOKEN + "x", ""):
        code, body = request(f"{url}/reconcile", method="POST", token=token)
        assert code == 403 and "Authorization: Bearer" in body
    assert not op.daemon.wake.is_set(), "a refused request asks for no pass"
    assert passes(op) == before
    for path in ("/metrics", "/healthz", "/readyz", "/status"):
        assert request(url + path)[0] == 200, f"{path} stays open"
    assert request(f"{url}/reconcile", method="POST", token=TOKEN) == (202, "pass started\n")
    eventually(lambda: passes(op) > before, what="the authorised pass")


def test_without_a_token_file_every_change_is_refused_and_the_answer_says_how_to_allow_it(operator):
    op = operator(HttpSettings())
    code, body = request(f"http://127.0.0.1:{op.server.port}/reconcile", method="POST", token="anything")
    assert code == 403 and "--http-token-file" in body
    assert not op.daemon.wake.is_set()


def test_status_needs_the_token_when_asked_and_the_probes_never_do(operator, token_file):
    op = operator(HttpSettings(token_file=str(token_file), status_needs_token=True))
    url = f"http://127.0.0.1:{op.server.port}"
    assert request(f"{url}/status")[0] == 403
    assert request(f"{url}/")[0] == 403, "the console shows the same state"
    assert request(f"{url}/status", token=TOKEN)[0] == 200
    assert [request(url + p)[0] for p in ("/metrics", "/healthz", "/readyz")] == [200, 200, 200]


def test_150_authorised_requests_in_10_seconds_cost_a_handful_of_passes(aws, operator, token_file):
    clock = Clock()
    op = operator(HttpSettings(token_file=str(token_file)), clock)
    url = f"http://127.0.0.1:{op.server.port}/reconcile"
    before = passes(op)
    aws.reset_calls()
    answers = []
    for _ in range(150):  # 10 seconds of the gate's clock
        answers.append(request(url, method="POST", token=TOKEN)[1].strip())
        clock.now += 10 / 150
    assert answers[0] == "pass started" and set(answers) == {"pass started", "pass queued", "pass joined"}
    clock.now += 5
    op.gate.release()  # what the gate's thread does when the interval ends (it may have done it already)
    assert op.gate.release() is False, "one queued pass at most"
    granted = answers.count("pass started") + answers.count("pass queued")  # each queued pass is granted once
    assert granted <= 3, answers
    eventually(lambda: passes(op) >= before + 2 and not op.daemon.wake.is_set(), what="the passes to run")
    assert passes(op) - before <= granted
    print(f"150 requests: {granted} passes granted, {len(aws.calls)} AWS calls")


def test_the_gate_grants_one_pass_per_interval_and_answers_the_last_request():
    clock, asked = Clock(), []
    gate = PassGate(lambda: asked.append(clock.now), interval=5.0, clock=clock)
    answers = []
    for i in range(150):  # one request every 1/15 s for 10 s
        clock.now = 1000.0 + i / 15
        answers.append(gate.request())
        gate.release()
    assert asked == [1000.0, 1005.0], "at once, then once after 5 seconds"
    assert answers[0] == "started" and answers[1] == "queued" and set(answers[2:]) <= {"joined", "queued"}
    last = clock.now
    assert gate.due_in() > 0, "the requests after the second pass wait for the third"
    clock.now += gate.due_in()
    assert gate.release() and asked[-1] >= last, "the last request's pass starts after it"
    assert len(asked) == 3 and gate.due_in() == 1.0


def test_300_idle_connections_are_closed_by_the_timeout_with_a_bounded_pool():
    options = HttpSettings(idle_timeout=1, threads=4, connection_limit=100)
    app = daemon_app(Metrics(), lambda: (True, "ready"), guard=Guard(None))
    baseline = threading.active_count()
    server = HttpServer(app, address="127.0.0.1", port=0, options=options)
    clients = []
    try:
        for _ in range(300):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            clients.append(client)
        assert threading.active_count() <= baseline + options.threads + 2, "no thread per connection"
        for client in clients:  # each read ends when the server closes the connection (bounded: 30 s each at most)
            client.settimeout(30)
            assert client.recv(1) == b""
        assert request(f"http://127.0.0.1:{server.port}/healthz") == (200, "alive\n")
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_an_unreadable_or_empty_token_file_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="cannot be read"):
        read_token(str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UsageError, match="empty"):
        read_token(str(tmp_path / "empty"))


def test_status_and_the_console_mask_a_sensitive_variable(aws, example):
    secret = "tag-s3cr3t-42"
    web = example / "web.yaml"
    web.write_text(web.read_text().replace("nginx-unprivileged:1.27", "nginx-unprivileged:${RELEASE_TOKEN}"))
    daemon = DaemonSettings(mode="detect", metrics_port=0, metrics_address="127.0.0.1", resync_interval=3600)
    settings = replace(
        Settings(), daemon=daemon, variables={"RELEASE_TOKEN": secret}, sensitive=frozenset({"RELEASE_TOKEN"})
    )
    op = start(str(example), Pipeline(Aws(settings.aws), settings), sinks=[])
    try:
        eventually(lambda: op.daemon.state.last_success is not None, what="the first pass")
        assert op.server is not None
        url = f"http://127.0.0.1:{op.server.port}"
        code, status = request(f"{url}/status")
        assert code == 200 and "nginx-unprivileged:(sensitive value)" in status
        for path in ("/status", "/"):
            assert secret not in request(url + path)[1], path
    finally:
        op.stop(grace=5)
