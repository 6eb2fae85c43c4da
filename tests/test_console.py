"""The web console's pages from a status document, without a daemon or a browser: grouping, escaping, missing pages,
and the action hook (read-only unless an action is given and its request authorised)."""

from __future__ import annotations

import html as markup
import io
import re
from collections.abc import Mapping
from typing import Any

import pytest

from reconciler.console.app import console_app, times
from reconciler.console.views import overview, service_page
from reconciler.core.model import Address, Live
from reconciler.core.redact import MASK
from reconciler.daemon.report import live_facts


def entry(kind: str, name: str, scope: str | None = None, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "name": name, "scope": scope, "state": "in_sync", "suspended": None, **more}


STATUS: dict[str, Any] = {
    "mode": "enforce",
    "revision": {"applied": "0123456789abcdef", "applying": None},
    "held": None,
    "last_pass": {"at": "2030-01-01T00:00:00+00:00", "revision": "0123456789abcdef", "result": "in_sync"},
    "last_error": {"at": "2030-01-01T00:00:00+00:00", "revision": None, "error": "<script>alert(1)</script>"},
    "resources": {
        "Cluster prod": entry("Cluster", "prod"),
        "Service prod/web": entry(
            "Service",
            "web",
            "prod",
            state="drifted",
            live={"task_definition": "web:3", "running": 2, "desired": 2, "events": []},
            changes={
                "action": "update",
                "reason": "live state differs from the manifest",
                "diff": [{"path": "enableExecuteCommand", "live": True, "desired": False}],
            },
        ),
        "Service batch/jobs": entry("Service", "jobs", "batch", state="suspended", suspended="incident 7"),
        "TaskDefinition web": entry("TaskDefinition", "web", live={"revision": "web:3", "containers": []}),
        "LogGroup /ecs/web": entry("LogGroup", "/ecs/web"),
    },
    "alerts": [{"at": "2030-01-01T00:00:00+00:00", "kind": "drift", "summary": "drift on Service prod/web",
                "resource": "Service prod/web", "target": None, "fields": []}],
}  # fmt: skip


def get(app: Any, path: str, method: str = "GET", body: bytes = b"", **environ: Any) -> tuple[str, str]:
    answer: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = status

    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body), **environ}  # fmt: skip
    text = b"".join(app(environ, start_response)).decode()
    return answer["status"], text


def test_services_are_grouped_by_cluster_and_other_resources_listed_apart():
    page = overview(STATUS)
    (target,) = page.targets
    clusters = [(c.name, [s.title for s in c.services]) for c in target.clusters]
    assert clusters == [("prod", ["web"]), ("batch", ["jobs"])]
    assert [r.kind for r in target.others] == ["LogGroup", "TaskDefinition"]
    web = target.clusters[0].services[0]
    assert (web.state_label, web.url) == ("drifted", "/targets/default/services/prod/web")


def test_several_targets_each_have_their_clusters_and_service_pages():
    status = {"targets": {"payments-prod": STATUS, "search-prod": STATUS}, "alerts": []}
    assert [t.name for t in overview(status).targets] == ["payments-prod", "search-prod"]
    page = service_page(status, "search-prod", "prod", "web")
    assert page is not None and page.service.url == "/targets/search-prod/services/prod/web"
    assert page.alerts == []


def test_the_overview_page_escapes_what_it_shows():
    status, html = get(console_app(lambda: STATUS), "/")
    assert status == "200 OK"
    assert '<meta name="viewport"' in html and '<html lang="en">' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/targets/default/services/prod/web"' in html
    assert "incident 7" in html and "0123456789ab" in html


def test_a_service_page_shows_its_diff_and_task_definition():
    page = service_page(STATUS, "default", "prod", "web")
    assert page is not None and page.task_definition is not None
    assert page.task_definition.title == "web" and [a["kind"] for a in page.alerts] == ["drift"]
    status, html = get(console_app(lambda: STATUS), "/targets/default/services/prod/web")
    assert status == "200 OK"
    assert "enableExecuteCommand" in html and "live state differs from the manifest" in html


def test_an_unknown_page_or_service_is_404():
    app = console_app(lambda: STATUS)
    assert get(app, "/targets/default/services/prod/nope")[0] == "404 Not Found"
    assert get(app, "/targets/other/services/prod/web")[0] == "404 Not Found"
    assert get(app, "/nowhere")[0] == "404 Not Found"


def test_without_actions_the_console_is_read_only():
    status, _ = get(console_app(lambda: STATUS), "/actions/reconcile", method="POST", body=b"service=web")
    assert status == "405 Method Not Allowed"


TOKEN = "s3cret-token"
FORM = b"target=default&service=Service%2Fprod%2Fweb"


def acting(*, token: str | None = TOKEN) -> tuple[Any, list[dict[str, str]]]:
    """A console with a reconcile action that records each form it ran for."""
    done: list[dict[str, str]] = []

    def reconcile(form: Mapping[str, str]) -> tuple[bool, str]:
        done.append(dict(form))
        return True, "pass started"

    authorize = None if token is None else (lambda given: given == token)
    return console_app(lambda: STATUS, actions={"reconcile": reconcile}, authorize=authorize), done


def test_an_action_is_confirmed_on_a_page_whose_form_asks_for_the_token():
    app, done = acting()
    status, html = get(app, "/actions/reconcile", QUERY_STRING="target=default&service=Service/prod/web")
    assert status == "200 OK" and done == []  # a GET only shows the confirmation
    assert '<form method="post" action="/actions/reconcile"' in html
    assert 'type="password" id="token" name="token"' in html
    assert 'name="service" value="Service/prod/web"' in html and "Confirm: Reconcile now" in html
    assert "setInterval" not in html  # never reloaded while the token is typed


def test_an_action_runs_only_with_the_token_on_its_form():
    app, done = acting()
    refused, html = get(app, "/actions/reconcile", method="POST", body=FORM + b"&token=wrong")
    assert refused == "403 Forbidden" and done == [] and "that is not the daemon&#39;s token" in html
    missing, _ = get(app, "/actions/reconcile", method="POST", body=FORM, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert missing == "403 Forbidden" and done == []  # the form carries the token, not a header
    status, html = get(app, "/actions/reconcile", method="POST", body=FORM + f"&token={TOKEN}".encode(),
                       HTTP_ORIGIN="http://console.example:8080", HTTP_HOST="console.example:8080")  # fmt: skip
    assert status == "200 OK" and "pass started" in html
    assert done == [{"target": "default", "service": "Service/prod/web"}]  # the action never sees the token
    assert 'href="/targets/default/services/prod/web"' in html  # back to the service
    assert TOKEN not in html


def test_an_action_posted_from_another_site_is_refused_even_with_the_token():
    app, done = acting()
    status, html = get(app, "/actions/reconcile", method="POST", body=FORM + f"&token={TOKEN}".encode(),
                       HTTP_ORIGIN="https://evil.example", HTTP_HOST="console.example:8080")  # fmt: skip
    assert status == "403 Forbidden" and done == [] and "not sent from this console" in html


def test_without_a_token_file_actions_are_refused_saying_how_to_allow_them():
    app, done = acting(token=None)
    status, html = get(app, "/actions/reconcile")
    assert status == "200 OK" and "<form" not in html and "--http-token-file" in html
    status, html = get(app, "/actions/reconcile", method="POST", body=FORM + b"&token=anything")
    assert status == "403 Forbidden" and done == [] and "--http-token-file" in html


PAUSED = {
    "deployment": "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc",
    "startedAt": "2030-01-01T00:00:00+00:00",
    "strategy": "CANARY",
    "status": "IN_PROGRESS",
    "outcome": "paused",
    "detail": "CANARY paused",
    "stage": "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "awaitingApproval": {
        "hookId": "ecs-pause-1",
        "expiresAt": "2030-01-02T00:00:00+00:00",
        "timeoutAction": "ROLLBACK",
    },
    "serviceRevision": "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/2",
    "taskDefinition": "web:4",
    "gitRevision": "fedcba9876543210",
    "rollback": None,
}


def test_a_paused_deployment_is_shown_with_its_hook_stage_expiry_and_answers():
    done = {
        **PAUSED,
        "status": "SUCCESSFUL",
        "outcome": "completed",
        "awaitingApproval": None,
        "taskDefinition": "web:3",
    }
    answers = {"continue": lambda f: (True, ""), "continue-rollback": lambda f: (True, "")}
    app = console_app(lambda: STATUS, actions=answers, authorize=lambda given: False, history=lambda *_: [done, PAUSED])
    status, html = get(app, "/targets/default/services/prod/web")
    assert status == "200 OK"
    panel = paused_panel(html)
    assert "Strategy CANARY" in panel and "Stage PRE_PRODUCTION_TRAFFIC_SHIFT" in panel and "Hook ecs-pause-1" in panel
    assert "Expires 2030-01-02 00:00:00 UTC, then ECS takes its timeout action: ROLLBACK" in panel
    assert '<time datetime="2030-01-02T00:00:00+00:00"' in html  # the full value kept for machines and on hover
    assert 'href="/actions/continue?target=default&amp;service=Service%2Fprod%2Fweb"' in html
    assert "/actions/continue-rollback?" in html
    history = html[html.index('id="history"') :]
    assert history.index("web:4") < history.index("web:3")  # newest first
    assert "fedcba987654" in history


def test_a_services_live_facts_name_its_primary_deployments_rollout_state():
    body = {
        "serviceName": "web", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4",
        "runningCount": 1, "desiredCount": 2, "events": [],
        "deployments": [
            {"status": "PRIMARY", "rolloutState": "IN_PROGRESS",
             "rolloutStateReason": "ECS deployment ecs-svc/1 in progress."},
            {"status": "ACTIVE", "rolloutState": "COMPLETED"},
        ],
    }  # fmt: skip
    facts = live_facts(Live(Address("Service", "web", "prod"), body))
    assert facts["primary"] == {"rolloutState": "IN_PROGRESS", "reason": "ECS deployment ecs-svc/1 in progress."}
    html = get(console_app(lambda: with_web(state="in_sync", changes=None, live=facts)), "/")[1]
    assert "deploying" in html and "ECS deployment ecs-svc/1 in progress." in html


def test_a_task_definitions_live_facts_mask_secret_environment_values():
    body = {
        "family": "web",
        "revision": 3,
        "containerDefinitions": [
            {"name": "app", "image": "example/web:1", "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
             "command": ["serve"]},
        ],
    }  # fmt: skip
    facts = live_facts(Live(Address("TaskDefinition", "web"), body))
    container = {"name": "app", "image": "example/web:1", "environment": [{"name": "DB_PASSWORD", "value": MASK}]}
    assert facts == {"revision": "web:3", "containers": [container]}


PAUSED_DETAIL = (
    "CANARY paused: at PRE_PRODUCTION_TRAFFIC_SHIFT, 0/1 running, 1 pending; awaiting approval "
    "(hook ecs-pause-1, expires 2030-01-02T00:00:00+00:00 (in 23 h 59 min, then ROLLBACK))"
)
"""A paused deployment's detail as the daemon writes it (``reconciler.deployments.stages.standing``)."""


def paused_followed(**deployment: Any) -> dict[str, Any]:
    """STATUS with Service prod/web's deployment followed by the daemon, paused at a hook, its revision held, and the
    daemon's deployment_paused alert about it."""
    paused = {
        "strategy": "CANARY",
        "status": "IN_PROGRESS",
        "stage": "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "awaitingApproval": {
            "hookId": "ecs-pause-1",
            "expiresAt": "2030-01-02T00:00:00+00:00",
            "timeoutAction": "ROLLBACK",
        },
        "triggeredAlarms": [],
        **deployment,
    }
    rollout = {"state": "paused", "detail": PAUSED_DETAIL, "deployment": paused, "held": "fedcba9876543210",
               "task_definition": "web:4"}  # fmt: skip
    alert = {"at": "2030-01-01T00:00:05+00:00", "kind": "deployment_paused", "resource": "Service prod/web",
             "summary": f"deployment paused: Service prod/web (web:4): {PAUSED_DETAIL}; answer with "
                        "`ecs-reconciler continue PATH Service/prod/web` (or --rollback)",
             "hook": "ecs-pause-1", "expires_at": "2030-01-02T00:00:00+00:00"}  # fmt: skip
    return {**with_web(rollout=rollout), "alerts": [*STATUS["alerts"], alert]}


def test_a_paused_deployment_is_named_once_in_the_header_rows_and_detailed_in_its_panel_only():
    status, html = get(console_app(lambda: paused_followed()), "/targets/default/services/prod/web")
    assert status == "200 OK"
    header = visible(html[html.index("<h1>") : html.index("</dl>")])
    assert row_text(html, "Deployment") == "paused at PRE_PRODUCTION_TRAFFIC_SHIFT, hook ecs-pause-1 · web:4"
    assert "<dt>ECS deployment</dt>" not in html  # its strategy, stage and hook are the panel's to say
    assert header.count("ecs-pause-1") == 1 and header.count("PRE_PRODUCTION_TRAFFIC_SHIFT") == 1
    assert "CANARY" not in header and "awaiting approval" not in header and "ROLLBACK" not in header
    assert "fedcba987654" in header and "not applied again" in header
    panel = paused_panel(html)
    assert "Strategy CANARY" in panel and "Stage PRE_PRODUCTION_TRAFFIC_SHIFT" in panel and "Hook ecs-pause-1" in panel
    assert "Expires 2030-01-02 00:00:00 UTC, then ECS takes its timeout action: ROLLBACK" in panel
    assert "Rolling out web:4" in panel


def test_no_time_on_a_paused_services_page_is_shown_as_raw_iso_8601():
    status = paused_followed(triggeredAlarms=["web-5xx"])
    html = get(console_app(lambda: status), "/targets/default/services/prod/web")[1]
    main = visible(html)
    assert not ISO_8601.search(main), ISO_8601.findall(main)
    alerts = visible(html[html.index('id="alerts"') :])
    assert "expires 2030-01-02 00:00:00 UTC (in 23 h 59 min, then ROLLBACK)" in alerts  # the alert's own words
    assert "Alarms web-5xx" in paused_panel(html)
    overview_page = visible(get(console_app(lambda: status), "/")[1])
    assert "paused at PRE_PRODUCTION_TRAFFIC_SHIFT, hook ecs-pause-1" in overview_page  # the list says it as the page
    assert not ISO_8601.search(overview_page)


def test_a_deploying_services_header_rows_still_say_its_detail_and_ecs_deployment():
    deploying = {"arn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc", "strategy": "CANARY",
                 "status": "IN_PROGRESS", "stage": "PRODUCTION_TRAFFIC_SHIFT", "awaitingApproval": None,
                 "triggeredAlarms": ["web-5xx"]}  # fmt: skip
    rollout = {"state": "waiting", "detail": "CANARY IN_PROGRESS: at PRODUCTION_TRAFFIC_SHIFT, 1/2 running",
               "deployment": deploying}  # fmt: skip
    html = get(console_app(lambda: with_web(rollout=rollout)), "/targets/default/services/prod/web")[1]
    deployment = "waiting at PRODUCTION_TRAFFIC_SHIFT CANARY IN_PROGRESS: at PRODUCTION_TRAFFIC_SHIFT, 1/2 running"
    assert row_text(html, "Deployment") == deployment
    assert row_text(html, "ECS deployment") == "CANARY IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT · alarms: web-5xx"
    assert 'id="paused"' not in html


def test_a_timestamp_in_free_text_is_shown_as_every_other_time_and_the_text_escaped():
    shown = times("<b>expires 2030-01-02T03:04:05.678+02:00 (then ROLLBACK)</b>")
    assert shown == (
        '&lt;b&gt;expires <time datetime="2030-01-02T03:04:05.678+02:00" title="2030-01-02T03:04:05.678+02:00">'
        "2030-01-02 01:04:05 UTC</time> (then ROLLBACK)&lt;/b&gt;"
    )
    assert times("revision 2030-01-02 is not a time") == "revision 2030-01-02 is not a time"


PAUSED_ENTRY = {
    "arn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc",
    "strategy": "CANARY",
    "status": "IN_PROGRESS",
    "stage": "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "awaitingApproval": {"hookId": "ecs-pause-1", "expiresAt": "2030-01-02T00:00:00+00:00",
                         "timeoutAction": "ROLLBACK"},
    "triggeredAlarms": [],
}  # fmt: skip


def with_web(**web: Any) -> dict[str, Any]:
    """STATUS with Service prod/web's entry changed."""
    changed = {**STATUS["resources"]["Service prod/web"], **web}
    return {**STATUS, "resources": {**STATUS["resources"], "Service prod/web": changed}}


def cluster_states(status: Mapping[str, Any]) -> tuple[str, str, str]:
    """Cluster prod's state as the overview's heading, the cluster page and the view say it."""
    app = console_app(lambda: status)
    overview_html = get(app, "/")[1]
    heading = overview_html[overview_html.index('href="/targets/default/clusters/prod"') :].split("</h3>")[0]
    code, cluster_html = get(app, "/targets/default/clusters/prod")
    assert code == "200 OK"
    state = cluster_html[cluster_html.index("<dt>State</dt>") :].split("</dd>")[0]
    (prod,) = [c for c in overview(status).targets[0].clusters if c.name == "prod"]
    return heading, state, prod.state_label


def primary(rollout_state: str) -> dict[str, Any]:
    """A service's live facts naming its PRIMARY deployment's rollout state."""
    return {"primary": {"rolloutState": rollout_state, "reason": f"ECS deployment ecs-svc/1 {rollout_state}."}}


ROLLING = {"state": "waiting", "detail": "IN_PROGRESS: 1/2 running", "deployment": None}


@pytest.mark.parametrize(
    ("cluster", "web", "shown"),
    [
        ("in_sync", {"state": "in_sync"}, "in sync"),
        ("in_sync", {"state": "drifted"}, "drifted"),
        ("in_sync", {"state": "error"}, "error"),
        ("in_sync", {"state": "in_sync", "rollout": ROLLING}, "deploying"),
        ("in_sync", {"state": "in_sync", "rollout": {"state": "paused", "deployment": PAUSED_ENTRY}}, "paused"),
        ("in_sync", {"state": "in_sync", "rollout": {"state": "timed out", "detail": "600s"}}, "deployment failed"),
        ("in_sync", {"state": "drifted", "rollout": ROLLING}, "drifted"),
        ("error", {"state": "drifted"}, "error"),
        ("drifted", {"state": "in_sync", "rollout": {"state": "completed", "detail": "done"}}, "drifted"),
        # A deployment the daemon does not follow, as ECS's PRIMARY deployment says it stands.
        ("in_sync", {"state": "in_sync", "live": primary("IN_PROGRESS")}, "deploying"),
        ("in_sync", {"state": "in_sync", "live": primary("FAILED")}, "deployment failed"),
        ("in_sync", {"state": "in_sync", "live": primary("COMPLETED")}, "in sync"),
        ("in_sync", {"state": "in_sync", "rollout": {"state": "completed"}, "live": primary("FAILED")},
         "deployment failed"),
        ("in_sync", {"state": "in_sync", "rollout": {"state": "paused", "deployment": PAUSED_ENTRY},
                     "live": primary("IN_PROGRESS")}, "paused"),
    ],
)  # fmt: skip
def test_a_cluster_is_shown_in_the_worst_of_its_own_and_its_services_states_on_every_page(cluster, web, shown):
    status = with_web(**web)
    status["resources"]["Cluster prod"] = {**status["resources"]["Cluster prod"], "state": cluster}
    heading, state, label = cluster_states(status)
    assert label == shown
    assert f">{shown}</span>" in heading and f">{shown}</span>" in state
    if shown != "in sync" and cluster == "in_sync":
        assert "(service web)" in heading and "(service web)" in state  # whose state it is


def test_a_cluster_page_lists_its_services_and_an_unknown_cluster_is_404():
    app = console_app(lambda: STATUS)
    status, html = get(app, "/targets/default/clusters/batch")
    assert status == "200 OK" and 'href="/targets/default/services/batch/jobs"' in html and "incident 7" in html
    assert get(app, "/targets/default/clusters/nope")[0] == "404 Not Found"
    service = get(app, "/targets/default/services/prod/web")[1]
    assert 'href="/targets/default/clusters/prod"' in service  # the breadcrumb leads to it


def header_row(html: str, name: str) -> str:
    return html[html.index(f"<dt>{name}</dt>") :].split("</dd>")[0]


ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
"""A raw ISO 8601 timestamp (``2030-01-02T00:00:00+00:00``), as a page must not show one."""


def visible(html: str) -> str:
    """What a reader sees of ``html``'s main content: its text, without tags or attributes, spaces collapsed."""
    main = html[html.index('<main id="main">') :].split("</main>")[0] if '<main id="main">' in html else html
    text = re.sub(r"<(dt)>(.*?)</dt>", r"\2 ", main)  # a term and its value read as "Term value"
    return " ".join(markup.unescape(re.sub(r"<[^>]*>", " ", text)).split()).replace(" ,", ",")


def row_text(html: str, name: str) -> str:
    """What a reader sees of the header row ``name``'s value."""
    return visible(header_row(html, name)).removeprefix(f"{name} ")


def paused_panel(html: str) -> str:
    return visible(html[html.index('<section aria-labelledby="paused"') :].split("</section>")[0])


def test_a_deployment_paused_that_the_daemon_does_not_follow_is_named_in_the_header_as_in_the_panel():
    status = with_web(state="in_sync", changes=None)  # and no rollout: the daemon does not follow it
    app = console_app(lambda: status, history=lambda *_: [PAUSED])
    html = get(app, "/targets/default/services/prod/web")[1]
    deployment = header_row(html, "Deployment")
    assert "paused at PRE_PRODUCTION_TRAFFIC_SHIFT" in deployment and "web:4" in deployment
    shown = "paused at PRE_PRODUCTION_TRAFFIC_SHIFT, hook ecs-pause-1 · web:4 · revision fedcba987654"
    assert row_text(html, "Deployment") == shown
    assert "<dt>ECS deployment</dt>" not in html and "CANARY paused" not in deployment  # not ECS's reason again
    assert ">paused</span>" in header_row(html, "State")
    assert "Deployment paused: awaiting approval" in html


def test_a_pause_the_daemon_last_saw_is_not_shown_once_ecs_says_the_deployment_completed():
    completed = {**PAUSED, "status": "SUCCESSFUL", "outcome": "completed", "awaitingApproval": None,
                 "stage": "BAKE_TIME", "detail": "SUCCESSFUL"}  # fmt: skip
    seen = {"state": "paused", "detail": "CANARY paused", "deployment": PAUSED_ENTRY}
    status = with_web(state="in_sync", rollout=seen)
    app = console_app(lambda: status, history=lambda *_: [completed])
    html = get(app, "/targets/default/services/prod/web")[1]
    assert "completed" in header_row(html, "Deployment") and "paused" not in header_row(html, "Deployment")
    assert "Deployment paused" not in html and "ecs-pause-1" not in html.split('id="history"')[0]
    assert ">in sync</span>" in header_row(html, "State")


def test_a_timestamp_is_shown_to_the_second_in_utc_with_its_full_value_kept():
    status = with_web(live={"events": [{"at": "2030-01-01 02:03:04.567000+02:00", "message": "(service web) ok"}]})
    html = get(console_app(lambda: status), "/targets/default/services/prod/web")[1]
    full = "2030-01-01 02:03:04.567000+02:00"
    assert f'<time datetime="{full}" title="{full}">2030-01-01 00:03:04 UTC</time> (service web) ok' in html
