"""The web console in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run) driven by
Playwright against `ecs-reconciler run` on the emulator. The services are listed, a drift made out of band shows up
by the next pass, and a service page shows its diff with a secret environment value masked. A screenshot of each
page is kept in test-artifacts/console/.

Without a Chromium executable these tests skip, except in CI (CI=true), where that is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ROOT, eventually

from reconciler.core.redact import MASK

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = next(
    (path for path in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")) if path),
    None,
)
SECRET = "hunter2-do-not-show"
RESYNC = "1"
MANIFESTS = {
    "cluster.yaml": """\
        apiVersion: ecs-reconciler/v1
        kind: Cluster
        metadata: {name: prod}
        spec: {}
    """,
    "web.yaml": """\
        apiVersion: ecs-reconciler/v1
        kind: TaskDefinition
        metadata: {name: web}
        spec:
          requiresCompatibilities: [FARGATE]
          networkMode: awsvpc
          cpu: "256"
          memory: "512"
          containerDefinitions:
            - name: app
              image: example/web:1.0
              environment:
                - {name: LOG_LEVEL, value: info}
                - {name: DB_PASSWORD, value: %s}
        ---
        apiVersion: ecs-reconciler/v1
        kind: Service
        metadata: {name: web}
        spec:
          cluster: prod
          taskDefinition: web
          desiredCount: 1
          launchType: FARGATE
          networkConfiguration:
            awsvpcConfiguration:
              subnets: [subnet-0a1b2c3d4e5f60001]
              securityGroups: [sg-0a1b2c3d4e5f60001]
    """,
}


def manifests(secret: str = SECRET) -> dict[str, str]:
    return {**MANIFESTS, "web.yaml": MANIFESTS["web.yaml"] % secret}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = "no chromium executable (apt-get install chromium)" if CHROMIUM is None else None
    if sync_playwright is None:
        missing = "playwright is not installed (pip install -e '.[test]')"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}: .ci/run installs both")
        pytest.skip(missing)

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 412, "height": 915})  # a phone
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def console(gitsync: Any, daemon: Any, cli: Any, *, mode: str = "detect") -> tuple[Any, str]:
    """The manifests applied, then a daemon on them; its process and the console's address."""
    gitsync.publish(manifests())
    assert cli("apply", gitsync.link, "--auto-approve", "--no-wait").code == 0
    proc = daemon(gitsync.link, "--mode", mode, "--resync-interval", RESYNC, "--metrics-port", "0",
                  "--metrics-address", "127.0.0.1")  # fmt: skip
    port = proc.wait_for_event("serving metrics")["port"]
    proc.wait_for_event("pass", result="in_sync")
    return proc, f"http://127.0.0.1:{port}"


def row_of(page: Any, service: str) -> str:
    return str(page.get_by_role("row").filter(has=page.get_by_role("link", name=service)).inner_text())


def test_services_are_listed_and_a_drift_made_out_of_band_shows_by_the_next_pass(aws, ecs, cli, daemon, gitsync, page):
    proc, url = console(gitsync, daemon, cli)
    page.goto(url + "/")
    assert page.title() == "ecs-reconciler"
    assert page.get_by_role("heading", name="Cluster prod").is_visible()
    assert "in sync" in row_of(page, "web")
    assert "1/1" in row_of(page, "web") or "0/1" in row_of(page, "web")
    screenshot(page, "overview")

    passes_before = len(proc.find("pass"))
    ecs.update_service(cluster="prod", service="web", enableExecuteCommand=True)

    def drifted() -> bool:
        page.reload()
        return "drifted" in row_of(page, "web")

    eventually(drifted, timeout=30, interval=0.2, what="the drift on the page")
    # Found by the next pass (the one running when the change was made may have read the service before it).
    first = next(n for n, e in enumerate(proc.find("pass")) if e.get("result") == "drift")
    assert first - passes_before < 2
    assert "enableExecuteCommand" in page.get_by_role("region", name="Recent alerts").inner_text()
    screenshot(page, "overview-drifted")
    assert proc.stop() == 0


def test_a_service_page_shows_its_diff_with_secrets_masked_events_and_task_definition(
    aws, ecs, cli, daemon, gitsync, page
):
    proc, url = console(gitsync, daemon, cli)
    revision = gitsync.publish(manifests(secret="a-new-password-nobody-sees"))
    proc.wait_for_event("pass", result="pending", revision=revision)
    page.goto(url + "/")
    page.get_by_role("link", name="web").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Service prod/web"

    diff = page.get_by_role("region", name="Diff: live against the manifests")
    text = diff.inner_text()
    assert "TaskDefinition web" in text and "DB_PASSWORD" in text
    assert MASK in text
    body = page.content()
    assert SECRET not in body and "a-new-password-nobody-sees" not in body
    definition = page.get_by_role("region", name="Task definition web:1").inner_text()
    assert "example/web:1.0" in definition and MASK in definition and "info" in definition
    assert page.get_by_role("region", name="Recent events").get_by_role("listitem").count() >= 1
    screenshot(page, "service")
    # Keyboard: after the home link, Tab reaches the breadcrumb, and Enter follows it back.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Targets"
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/")
    assert proc.stop() == 0
