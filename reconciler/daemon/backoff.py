"""A failing pass tried again with exponential backoff (tenacity): each wait capped, cut short by a pass request,
and given up only when the daemon stops."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from reconciler.core.settings import BackoffSettings

log = structlog.get_logger("reconciler.loop")


def until_done(
    attempt: Callable[[], None],
    *,
    backoff: BackoffSettings,
    longest: float,
    wake: threading.Event,
    stopping: threading.Event,
) -> None:
    """Call ``attempt`` until it returns, waiting at most ``longest`` seconds between tries; ``wake`` (a pass
    request, or stop) ends a wait at once. What it raises while stopping is logged and given up."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.error("pass failed; backing off", error=str(error), retry_in=round(wait, 2), attempt=state.attempt_number)

    def sleep(seconds: float) -> None:
        if wake.wait(seconds):  # a request (or stop) during the pass or the wait: retry now
            wake.clear()

    retrying = Retrying(
        retry=retry_if_exception(lambda _exc: not stopping.is_set()),
        wait=wait_exponential_jitter(multiplier=backoff.initial, max=longest, jitter=backoff.initial),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        retrying(attempt)
    except Exception as exc:  # only while stopping: the retry rule retries everything else
        log.warning("pass abandoned at shutdown", error=str(exc))
