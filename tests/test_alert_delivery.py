"""Alert delivery: webhook URLs checked at start-up, redirects never followed, link-local and metadata addresses
refused (resolved names included), and delivery in the background from a bounded queue, so a hanging webhook
holds neither a pass nor shutdown."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from reconciler.aws import Aws
from reconciler.core.settings import DaemonSettings, Settings
from reconciler.daemon.alerts import Alert, Alerter
from reconciler.daemon.delivery import Background, DeliveryRules
from reconciler.daemon.loop import Daemon
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.webhook import WebhookSink, refused
from reconciler.pipeline import Pipeline

ALERT = Alert("drift", "drift on Service demo/web", "abc123", resource="Service demo/web")
FAST = DeliveryRules(attempts=3, pause=0.01)


class Server:
    """A local HTTP server answering every POST with ``status`` (and ``location``), counting the requests."""

    def __init__(self, status: int = 200, location: str | None = None) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                hits.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # noqa: N815 (a followed redirect would arrive as a GET)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def servers() -> Iterator[Any]:
    made: list[Server] = []

    def make(status: int = 200, location: str | None = None) -> Server:
        made.append(Server(status, location))
        return made[-1]

    yield make
    for server in made:
        server.server.shutdown()


def deliver(sink: WebhookSink, *alerts: Alert) -> list[str]:
    """Deliver ``alerts`` in the background and wait for the queue to empty; the sink names of the drops."""
    dropped: list[str] = []
    background = Background(sink, rules=FAST, dropped=lambda _alert, name: dropped.append(name))
    for alert in alerts:
        background.send(alert)
    background.close(time.monotonic() + 30)
    return dropped


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "not-a-url",
        "ftp://example.com/hook",
        "http://",
        "http://example.com:port/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[fd00:ec2::254]/latest",
        "http://[::ffff:169.254.169.254]/latest",
    ],
)
def test_a_bad_webhook_url_is_a_one_line_usage_error_at_start_up(cli, manifests, url):
    root = manifests({"c.yaml": "apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: prod}\n"})
    result = cli("run", root, "--alert-webhook", url)
    assert result.code == 1
    [line] = result.err.strip().splitlines()
    assert line.startswith("Error: --alert-webhook: "), line


def test_the_url_itself_is_never_printed(cli, manifests):
    root = manifests({"c.yaml": "apiVersion: ecs-reconciler/v1\nkind: Cluster\nmetadata: {name: prod}\n"})
    result = cli("run", root, "--alert-webhook", "gopher://hooks.example.com/services/T0/B0/s3cr3tpart")
    assert result.code == 1 and "s3cr3tpart" not in result.err and "'gopher'" in result.err


@pytest.mark.parametrize(
    ("address", "is_refused"),
    [
        ("169.254.169.254", True),
        ("169.254.170.2", True),
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("fd00:ec2::254", True),
        ("::ffff:169.254.169.254", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("::1", False),
        ("2600:1f18::1", False),
    ],
)
def test_link_local_and_metadata_addresses_are_refused(address, is_refused):
    assert refused(address) is is_refused


def test_a_redirect_is_never_followed_and_not_tried_again(servers):
    elsewhere = servers()
    for location in ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", elsewhere.url):
        hook = servers(302, location)
        assert deliver(WebhookSink(hook.url, timeout=5), ALERT) == ["webhook"], "dropped and counted"
        assert len(hook.hits) == 1, "a refusal is not worth another attempt"
    assert elsewhere.hits == [], "the redirect's target got nothing"


def test_a_name_resolving_to_a_metadata_address_is_refused_before_connecting(servers):
    hook = servers()
    named = hook.url.replace("127.0.0.1", "hooks.example.test")
    for answer in (["169.254.169.254"], ["127.0.0.1", "fd00:ec2::254"], ["::ffff:169.254.169.254"]):
        sink = WebhookSink(named, timeout=5, resolver=lambda *_, found=answer: found)
        assert deliver(sink, ALERT) == ["webhook"]
    assert hook.hits == []
    good = WebhookSink(named, timeout=5, resolver=lambda *_: ["127.0.0.1"])
    assert deliver(good, ALERT) == [] and len(hook.hits) == 1, "the checked address is the one connected to"


def test_a_failing_webhook_is_tried_again_then_dropped(servers):
    hook = servers(503)
    assert deliver(WebhookSink(hook.url, timeout=5), ALERT) == ["webhook"]
    assert len(hook.hits) == FAST.attempts


def test_a_full_queue_drops_and_counts(servers):
    release = threading.Event()
    delivered: list[Alert] = []

    class Stuck:
        name = "stuck"

        def send(self, alert: Alert) -> None:
            release.wait(30)
            delivered.append(alert)

    dropped: list[str] = []
    background = Background(Stuck(), rules=DeliveryRules(queue_size=2), dropped=lambda _a, name: dropped.append(name))
    for _ in range(6):
        background.send(ALERT)
    release.set()
    background.close(time.monotonic() + 30)
    assert len(delivered) + len(dropped) == 6 and len(dropped) >= 3 and len(delivered) >= 2


@pytest.fixture
def hanging() -> Iterator[tuple[str, socket.socket]]:
    """A webhook that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", listener
    listener.close()


def test_a_hanging_webhook_holds_neither_healing_nor_shutdown(aws, cli, ecs, example, hanging):
    url, listener = hanging
    dropped: list[str] = []
    background = Background(WebhookSink(url, timeout=60), rules=FAST, dropped=lambda _alert, name: dropped.append(name))
    settings = replace(Settings(), daemon=DaemonSettings(resync_interval=1))
    pipeline = Pipeline(Aws(settings.aws), settings)
    sent: list[Alert] = []

    class Seen:
        name = "seen"

        def send(self, alert: Alert) -> None:
            sent.append(alert)

    daemon = Daemon(str(example), pipeline, alerter=Alerter([background, Seen()]), metrics=Metrics())
    assert cli("apply", daemon.path, "--instance", daemon.settings.apply.instance, "--no-wait").code == 0
    assert daemon.run_pass() == "in_sync"
    ecs.update_service(cluster="demo", service="web", enableExecuteCommand=True)
    assert daemon.run_pass() == "healed", "the pass heals while its drift alert waits for the webhook"
    web = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert web["enableExecuteCommand"] is False
    assert daemon.run_pass() == "in_sync", "the next pass is not held either (its resolved alert queues too)"
    assert {"drift", "resolved"} <= {a.kind for a in sent}
    background.close(time.monotonic())  # no grace left: what is queued or in flight is dropped, and counted
    assert dropped == ["webhook"] * len(sent)
    listener.close()  # the attempt in flight fails now; it is not counted twice
    for thread in [t for t in threading.enumerate() if t.name == "alerts-webhook"]:
        thread.join(30)
    assert dropped == ["webhook"] * len(sent)
