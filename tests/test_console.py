"""The web console's pages from a status document, without a daemon or a browser: grouping, escaping, missing pages,
and the action hook (read-only unless an action is given and its request authorised)."""

from __future__ import annotations

import io
from typing import Any

from reconciler.console.app import console_app
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


def test_an_action_runs_only_for_an_authorised_request():
    done: list[dict[str, str]] = []

    def reconcile(form: dict[str, str]) -> str:
        done.append(dict(form))
        return "pass requested"

    app = console_app(
        lambda: STATUS,
        actions={"reconcile": reconcile},
        authorize=lambda environ: environ.get("HTTP_AUTHORIZATION") == "Bearer right",
    )
    refused, _ = get(app, "/actions/reconcile", method="POST", body=b"service=web", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused == "403 Forbidden" and done == []
    status, html = get(app, "/actions/reconcile", method="POST", body=b"service=web", HTTP_AUTHORIZATION="Bearer right")
    assert status == "200 OK" and "pass requested" in html and done == [{"service": "web"}]


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


def test_a_service_page_shows_a_deployment_awaiting_approval_and_a_held_revision():
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
    }
    web = {
        **STATUS["resources"]["Service prod/web"],
        "rollout": {"state": "paused", "deployment": paused, "held": "fedcba9876543210"},
    }
    document = {**STATUS, "resources": {**STATUS["resources"], "Service prod/web": web}}
    status, html = get(console_app(lambda: document), "/targets/default/services/prod/web")
    assert status == "200 OK"
    assert "CANARY IN_PROGRESS at PRE_PRODUCTION_TRAFFIC_SHIFT" in html
    assert "awaiting approval" in html and "2030-01-02T00:00:00+00:00" in html and "then ROLLBACK" in html
    assert "fedcba987654" in html and "not applied again" in html
