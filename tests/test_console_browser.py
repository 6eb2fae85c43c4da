"""The web console in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run) driven by
Playwright against `ecs-reconciler run` on the emulator. The services are listed, a drift made out of band shows up
by the next pass (on its cluster too), a service page shows its diff with a secret environment value masked, an
action is refused without the daemon's token and performed with it, and a canary paused at a PAUSE hook is shown
(named once in the header rows with its stage and hook, detailed in its panel: strategy, expiry, timeout action;
history; no time as raw ISO 8601) and continued from its page; a service is rolled back from its page by the instance
that owns it and refused, with nothing written, by another. A screenshot of each page is kept in
test-artifacts/console/.

Without a Chromium executable these tests skip, except in CI (CI=true), where that is a failure."""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
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
    missing = "no chromium executable (apt-get install chromium)" if CHROMIUM is None else None
    if importlib.util.find_spec("playwright") is None:
        missing = "playwright is not installed (pip install -e '.[test]')"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}: .ci/run installs both")
        pytest.skip(missing)

    from playwright.sync_api import sync_playwright

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
    assert cluster_state(page) == "in sync"
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
    # The cluster itself is in sync; it is shown in its drifted service's state, here and on its own page.
    assert cluster_state(page) == "drifted (service web)"
    screenshot(page, "overview-drifted")
    page.get_by_role("link", name="Cluster prod").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Cluster prod"
    assert header_row(page, "State") == "drifted (service web)"
    assert "drifted" in row_of(page, "web")
    screenshot(page, "cluster-drifted")
    assert proc.stop() == 0


def cluster_state(page: Any) -> str:
    """What the overview's heading of cluster prod says after its name."""
    return str(page.get_by_role("heading", name=re.compile("^Cluster prod")).inner_text()).split(" · ", 1)[1]


ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
"""A raw ISO 8601 timestamp (``2030-01-02T00:00:00+00:00``), as a page must not show one."""


def header_row(page: Any, name: str) -> str:
    """The value of the page's header row ``name`` (a ``dt`` and its ``dd``)."""
    return str(page.locator(f"main > dl > dt:text-is('{name}') + dd").inner_text())


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


TOKEN = "console-token-0123456789abcdef"
CANARY = {
    "strategy": "CANARY",
    "bakeTimeInMinutes": 1,
    "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": 1},
    "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}],
}


def with_token(tmp_path: Any) -> str:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    return str(token_file)


def confirm(page: Any, button: str, token: str) -> str:
    """Follow ``button`` to its confirmation page, give ``token`` and confirm; the outcome page's text."""
    page.get_by_role("link", name=button).first.click()
    page.get_by_label("The daemon's token").fill(token)
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    return str(page.get_by_role("main").inner_text())


def test_an_action_without_the_token_is_refused_and_with_it_performed(aws, ecs, cli, daemon, gitsync, page, tmp_path):
    gitsync.publish(manifests())
    assert cli("apply", gitsync.link, "--auto-approve", "--no-wait").code == 0
    proc = daemon(gitsync.link, "--mode", "detect", "--resync-interval", "60", "--metrics-port", "0",
                  "--metrics-address", "127.0.0.1", "--http-token-file", with_token(tmp_path))  # fmt: skip
    url = f"http://127.0.0.1:{proc.wait_for_event('serving metrics')['port']}"
    proc.wait_for_event("pass", result="in_sync")
    page.goto(url + "/targets/default/services/prod/web")
    assert "Reconcile now" in page.get_by_role("region", name="Actions").inner_text()

    refused = confirm(page, "Reconcile now", "not-the-token")
    assert "Refused" in refused and "not the daemon's token" in refused
    screenshot(page, "action-refused")
    assert not proc.find("pass requested")

    page.goto(url + "/targets/default/services/prod/web")
    page.get_by_role("link", name="Reconcile now").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Reconcile now"
    screenshot(page, "action-confirm")
    page.get_by_label("The daemon's token").fill(TOKEN)
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    assert re.search(r"pass (started|queued|joined)", page.get_by_role("main").inner_text())
    screenshot(page, "action-done")
    assert proc.wait_for_event("pass requested", source="console")
    assert proc.stop() == 0
    assert not [line for line in proc.lines if TOKEN in line]  # the token never reaches a log


def test_a_paused_deployment_is_shown_and_continued_from_the_page(aws, ecs, cli, daemon, manifests_dir, page, tmp_path):
    root = manifests_dir
    applied = cli("apply", root, "--auto-approve")
    assert applied.code == 0 and "Paused: Service prod/api" in applied.out, applied.out + applied.err
    proc = daemon(root, "--mode", "detect", "--resync-interval", "60", "--metrics-port", "0",
                  "--metrics-address", "127.0.0.1", "--http-token-file", with_token(tmp_path))  # fmt: skip
    url = f"http://127.0.0.1:{proc.wait_for_event('serving metrics')['port']}"
    proc.wait_for_event("pass")
    # The overview knows what ECS says of the service's PRIMARY deployment; its page reads the deployment itself.
    page.goto(url + "/")
    assert "deploying" in row_of(page, "api") and cluster_state(page) == "deploying (service api)"
    page.get_by_role("link", name="api").click()

    paused = page.get_by_role("region", name="Deployment paused: awaiting approval").inner_text()
    assert "CANARY" in paused and "PRE_PRODUCTION_TRAFFIC_SHIFT" in paused and "ROLLBACK" in paused
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["currentServiceDeployment"]
    (hook,) = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0][
        "lifecycleHookDetails"
    ]
    # The header rows name the pause once, short, reading the same deployment as the panel (the daemon, in detect
    # mode, does not follow it); the panel alone says the rest.
    short = f"paused at PRE_PRODUCTION_TRAFFIC_SHIFT, hook {hook['hookId']} · "
    assert header_row(page, "Deployment").startswith(short)
    assert header_row(page, "State") == "paused"
    header = page.locator("main > dl").inner_text()
    assert header.count(hook["hookId"]) == 1 and "CANARY" not in header and "ROLLBACK" not in header
    assert page.locator("main > dl > dt:text-is('ECS deployment')").count() == 0
    expires = page.get_by_role("region", name="Deployment paused").locator("dt:text-is('Expires') + dd time")
    assert hook["hookId"] in paused and expires.get_attribute("datetime") == hook["expiresAt"].isoformat()
    assert expires.inner_text() == hook["expiresAt"].astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert not ISO_8601.search(page.get_by_role("main").inner_text())  # every time as every row shows one
    history = page.get_by_role("region", name="Deployment history").inner_text()
    assert "CANARY" in history and "paused" in history and "api:1" in history
    screenshot(page, "service-paused")

    outcome = confirm(page, "Continue the deployment", TOKEN)
    assert f"continuing (hook {hook['hookId']} at PRE_PRODUCTION_TRAFFIC_SHIFT)" in outcome
    screenshot(page, "service-continued")
    answered = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert next(h for h in answered["lifecycleHookDetails"] if h["hookId"] == hook["hookId"])["status"] == "SUCCEEDED"

    page.get_by_role("link", name="Back to the service").click()
    assert hook["hookId"] not in page.get_by_role("main").inner_text().split("Deployment history")[0]
    assert proc.stop() == 0


@pytest.fixture
def manifests_dir(manifests: Any) -> Any:
    """The api service as a canary with a PAUSE hook before production traffic."""
    from builders import cluster, documents, service, task_definition

    return manifests(
        {"prod.yaml": cluster(), "api.yaml": documents(task_definition(), service(deploymentConfiguration=CANARY))}
    )


def running(ecs: Any) -> str:
    """The family:revision service prod/api is set to run."""
    return str(ecs.describe_services(cluster="prod", services=["api"])["services"][0]["taskDefinition"]).split("/")[-1]


def service_tags(ecs: Any) -> dict[str, str]:
    arn = ecs.describe_services(cluster="prod", services=["api"])["services"][0]["serviceArn"]
    return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}


def test_the_service_is_rolled_back_from_its_page_and_another_instances_service_is_refused(
    aws, ecs, cli, daemon, manifests, page, tmp_path
):
    from builders import cluster, documents, service, task_definition

    def release(image: str) -> Any:
        return manifests({"prod.yaml": cluster(), "api.yaml": documents(task_definition(image=image), service())})

    root = release("example/api:1.0")
    assert cli("apply", root, "--auto-approve", "--instance", "team-a").code == 0
    release("example/api:1.1")
    assert cli("apply", root, "--auto-approve", "--instance", "team-a").code == 0
    assert running(ecs) == "api:2"
    token = with_token(tmp_path)

    def console_of(instance: str) -> tuple[Any, str]:
        proc = daemon(root, "--instance", instance, "--mode", "detect", "--resync-interval", "60",
                      "--metrics-port", "0", "--metrics-address", "127.0.0.1", "--http-token-file", token)  # fmt: skip
        url = f"http://127.0.0.1:{proc.wait_for_event('serving metrics')['port']}"
        proc.wait_for_event("pass")
        return proc, url

    # Another instance's console: refused, and nothing written to AWS.
    other, url = console_of("team-b")
    before = service_tags(ecs)
    page.goto(url + "/targets/default/services/prod/api")
    aws.reset_calls()
    refused = confirm(page, "Roll back the service", TOKEN)
    assert page.get_by_role("heading", level=1).inner_text() == "Roll back the service: not done"
    assert "managed by another ecs-reconciler instance ('team-a', this one is 'team-b')" in refused
    screenshot(page, "rollback-refused")
    assert aws.writes() == [], "nothing was sent but reads"
    assert running(ecs) == "api:2" and service_tags(ecs) == before
    assert other.stop() == 0

    # The owner's console: the service runs the revision before, and its page's history shows that deployment.
    owner, url = console_of("team-a")
    page.goto(url + "/targets/default/services/prod/api")
    assert "api:2" in header_row(page, "Task definition")
    done = confirm(page, "Roll back the service", TOKEN)
    assert page.get_by_role("heading", level=1).inner_text() == "Roll back the service"
    assert "rolled back: Service prod/api" in done
    screenshot(page, "rollback-done")
    assert running(ecs) == "api:1"
    page.get_by_role("link", name="Back to the service").click()
    newest = page.get_by_role("region", name="Deployment history").get_by_role("row").nth(1).inner_text()
    assert "api:1" in newest
    assert owner.stop() == 0
    assert not [line for line in other.lines + owner.lines if TOKEN in line]


WIDER_THAN = """(width) => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5 && !e.closest(".scroll"))
    .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.trim().slice(0, 60)}`)"""


PHONE = {"width": 390, "height": 844}


def fits_the_viewport(page: Any) -> None:
    """Nothing on the page is wider than the phone's screen: the page never scrolls sideways (a wide table scrolls in
    its own box instead), and the browser did not zoom the page out to fit it (the viewport is still the screen)."""
    assert page.evaluate(WIDER_THAN, PHONE["width"]) == []  # names what sticks out
    assert page.evaluate("[innerWidth, document.documentElement.scrollWidth]") == [PHONE["width"]] * 2


LONG = "settlement_reconciliation_worker_for_payments_in_eu_west_1"
"""A service and task definition family name with nowhere to break a line, as ECS allows (255 characters)."""


def test_on_a_phone_nothing_is_wider_than_the_screen_and_the_history_scrolls_to_its_last_column(
    aws, ecs, cli, daemon, manifests, browser, tmp_path
):
    from builders import cluster, documents, service, task_definition

    canary = documents(task_definition(LONG), service(LONG, deploymentConfiguration=CANARY))
    root = manifests({"prod.yaml": cluster(), "service.yaml": canary})
    applied = cli("apply", root, "--auto-approve")
    assert applied.code == 0 and f"Paused: Service prod/{LONG}" in applied.out, applied.out + applied.err
    proc = daemon(root, "--mode", "enforce", "--resync-interval", "60", "--metrics-port", "0",
                  "--metrics-address", "127.0.0.1", "--http-token-file", with_token(tmp_path))  # fmt: skip
    url = f"http://127.0.0.1:{proc.wait_for_event('serving metrics')['port']}"
    proc.wait_for_event("pass")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(10_000)

    phone.goto(f"{url}/targets/default/services/prod/{LONG}")
    assert phone.get_by_role("heading", level=1).inner_text() == f"Service prod/{LONG}"
    panel = phone.get_by_role("region", name="Deployment paused: awaiting approval")
    hook = panel.locator("dt:text-is('Hook') + dd code")
    assert len(hook.inner_text()) > 40  # ECS's hook ids are long: it breaks within the screen
    fits_the_viewport(phone)
    # The daemon (enforce) follows the deployment: its alert about the pause gives the expiry as every time is given.
    alerts = phone.get_by_role("region", name="Alerts about this service").inner_text()
    assert "deployment_paused" in alerts and hook.inner_text() in alerts
    assert not ISO_8601.search(phone.get_by_role("main").inner_text())
    history = phone.get_by_role("region", name="Deployment history")
    last = history.get_by_role("columnheader").last
    assert last.inner_text() == "Status"
    last.scroll_into_view_if_needed()  # the table scrolls sideways in its own box to bring its last column in
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert "IN_PROGRESS" in history.get_by_role("row").nth(1).get_by_role("cell").last.inner_text()
    started = history.get_by_role("row").nth(1).locator("time")
    assert started.get_attribute("title") == started.get_attribute("datetime")  # shortened, the full value on hover
    fits_the_viewport(phone)
    screenshot(phone, "phone-service")

    confirmation = f"/actions/rollback?target=default&service=Service/prod/{LONG}"
    for name, path in (("overview", "/"), ("cluster", "/targets/default/clusters/prod"), ("confirm", confirmation)):
        phone.goto(url + path)
        fits_the_viewport(phone)
        screenshot(phone, f"phone-{name}")
        if name != "confirm":  # in the services table, the long name is cut short and whole in its title
            assert phone.get_by_role("link", name=LONG).get_attribute("title") == LONG
    context.close()
    assert proc.stop() == 0
