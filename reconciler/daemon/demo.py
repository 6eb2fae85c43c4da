"""`ecs-reconciler demo`: the daemon on the embedded emulator, end to end, in under a minute, then exit 0.

It publishes the manifests the way git-sync does, lets the daemon apply them, turns ECS Exec on for a service out
of band (as someone in the console would), and shows the drift alert, the heal and the "resolved" alert. (Not the
desired count: the example's ScalingPolicy owns that, so a changed count inside its range is not drift.)
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

from reconciler.aws import Aws
from reconciler.core.errors import AwsError, PlanError
from reconciler.core.settings import DaemonSettings
from reconciler.daemon.alerts import Alert, text_of
from reconciler.daemon.run import start
from reconciler.kinds.service import KIND as SERVICE
from reconciler.pipeline import Pipeline

TIMEOUT = 60.0
"""Seconds each step may take before the demo gives up (exit 1)."""


class _Printed:
    """An alert sink that prints alerts and hands them to the demo."""

    name = "stdout"

    def __init__(self) -> None:
        self.alerts: queue.Queue[Alert] = queue.Queue()

    def send(self, alert: Alert) -> None:
        print("\n" + text_of(alert), flush=True)
        self.alerts.put(alert)

    def wait_for(self, kind: str) -> Alert:
        deadline = time.monotonic() + TIMEOUT
        while True:
            alert = self.alerts.get(timeout=max(0.1, deadline - time.monotonic()))
            if alert.kind == kind:
                return alert


def _publish(source: str, root: str) -> str:
    """Copy ``source`` to ``root``/.worktrees/<hash> and point ``root``/current at it, as git-sync does."""
    digest = hashlib.sha1()
    for folder, _, files in sorted(os.walk(source)):
        for name in sorted(files):
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(name.encode() + f.read())
    revision = digest.hexdigest()
    shutil.copytree(source, os.path.join(root, ".worktrees", revision))
    os.symlink(os.path.join(".worktrees", revision), os.path.join(root, "current"))
    return revision


def _wait(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise PlanError(f"the demo timed out waiting for {what}")
        time.sleep(0.2)


def run_demo(path: str, pipeline: Pipeline) -> int:
    aws = pipeline.aws
    services = [r for r in pipeline.load(path).resources if r.address.kind == SERVICE.name]
    if not services:
        raise PlanError(f"{path}: the demo needs at least one Service to drift")
    target = services[0].address
    settings = replace(
        pipeline.settings, daemon=DaemonSettings(resync_interval=2.0, metrics_port=0, metrics_address="127.0.0.1")
    )
    printed = _Printed()
    with tempfile.TemporaryDirectory(prefix="ecs-reconciler-demo-") as root:
        revision = _publish(path, root)
        link = os.path.join(root, "current")
        print(f"1. Published {path} as revision {revision[:12]} at {link} (a git-sync layout).", flush=True)
        operator = start(link, Pipeline(aws, settings), sinks=[printed], log_alerts=False)  # printed once
        if operator.server is not None:
            print(f"   The console is at http://127.0.0.1:{operator.server.port}/ while the demo runs.", flush=True)
        try:

            def exec_enabled() -> bool | None:
                try:
                    found = aws.call("ecs", "DescribeServices", str(target), cluster=target.scope,
                                     services=[target.name]).get("services", [])  # fmt: skip
                except AwsError:  # the cluster is not there yet
                    return None
                if not found or found[0]["status"] != "ACTIVE":
                    return None
                return bool(found[0].get("enableExecuteCommand", False))

            _wait("the first apply", lambda: operator.daemon.state.baseline is not None and exec_enabled() is False)
            print(f"2. The daemon applied it: {target} runs, with ECS Exec off as its manifest says.", flush=True)
            console = Aws(settings.aws)
            console.call("ecs", "UpdateService", str(target), cluster=target.scope, service=target.name,
                         enableExecuteCommand=True)  # fmt: skip
            print(f"3. Someone turned ECS Exec on for {target} in the console, outside git.", flush=True)
            alert = printed.wait_for("drift")
            _wait("the heal", lambda: exec_enabled() is False)
            print(f"\n4. The next resync found the drift, alerted, and healed it (healed={alert.healed}): "
                  f"ECS Exec is off again on {target}.", flush=True)  # fmt: skip
            printed.wait_for("resolved")
            print("\n5. The pass after confirmed the drift is gone. Done: `ecs-reconciler run PATH` keeps doing this.")
        except queue.Empty:
            print("The demo timed out waiting for an alert.", file=sys.stderr)
            return 1
        finally:
            operator.stop(grace=settings.daemon.shutdown_grace)
    return 0
