"""The status book between passes (reconciler/daemon/report.py): what a pass did not change stays as the last pass
left it, and /status shows each pass's picture."""

from __future__ import annotations

from typing import Any

from reconciler.core.model import Address, Live
from reconciler.core.plan import Plan
from reconciler.daemon.report import StatusBook

WEB = Address("Service", "web", "prod")
API = Address("Service", "api", "prod")


def _service(name: str, running: int) -> Live:
    body: dict[str, Any] = {
        "serviceName": name,
        "taskDefinition": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:3",
        "runningCount": running,
        "desiredCount": 2,
        "events": [
            {"createdAt": "2026-12-04T10:00:00+00:00", "message": f"(service {name}) has reached a steady state."}
        ],
    }
    return Live(Address("Service", name, "prod"), body, managed=True)


def _record(book: StatusBook, observed: dict[Address, Live]) -> None:
    book.record(
        revision="abc123",
        result="in_sync",
        plan=Plan(),
        desired={address: {} for address in observed},
        outcomes=[],
        drift=False,
        observed=observed,
    )


def test_an_unchanged_entry_is_kept_and_a_changed_one_replaced() -> None:
    book = StatusBook(mode="enforce")
    _record(book, {WEB: _service("web", 2), API: _service("api", 2)})
    web, api = book.resources[WEB], book.resources[API]
    key = next(a for a in book.resources if a == WEB)

    _record(book, {Address("Service", "web", "prod"): _service("web", 2), API: _service("api", 1)})

    assert book.resources[WEB] is web, "an entry equal to the last pass's is rebuilt"
    assert next(a for a in book.resources if a == WEB) is key
    assert book.resources[API] is not api
    shown = book.document(held=None, rollouts={})["resources"]
    assert shown["Service prod/api"]["live"]["running"] == 1
    assert shown["Service prod/web"]["live"]["running"] == 2


def test_a_resource_no_longer_declared_leaves_the_book() -> None:
    book = StatusBook(mode="enforce")
    _record(book, {WEB: _service("web", 2), API: _service("api", 2)})
    _record(book, {WEB: _service("web", 2)})
    assert list(book.resources) == [WEB]
