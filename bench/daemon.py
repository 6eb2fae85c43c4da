"""The daemon under benchmark: `python -m reconciler run` as its own process against the emulator process, fed by
git-sync-style publishes (a new worktree, an atomic symlink swap, the old worktree deleted)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import image


class GitSyncLink:
    """``root/current`` pointing at ``root/.worktrees/<hash>``, published the way git-sync v4 does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.link = root / "current"
        self.count = 0
        (root / ".worktrees").mkdir(parents=True)

    def publish(self, source: Path, edit: Callable[[Path], None]) -> float:
        """Copy ``source`` into a new worktree, ``edit`` it, swap the link; returns the time of the swap."""
        self.count += 1
        revision = hashlib.sha1(f"{self.root}-{self.count}".encode()).hexdigest()
        worktree = self.root / ".worktrees" / revision
        shutil.copytree(source, worktree)
        edit(worktree)
        old = os.path.realpath(self.link) if self.link.is_symlink() else None
        tmp = self.root / f".tmp-{revision[:8]}"
        tmp.symlink_to(f".worktrees/{revision}")
        swapped = time.time()
        os.replace(tmp, self.link)
        if old:
            shutil.rmtree(old)
        return swapped


class Daemon:
    """The daemon process; its JSON log events are collected as they arrive."""

    def __init__(
        self,
        path: Path,
        *args: str,
        endpoint_url: str,
        env: dict[str, str] | None = None,
    ) -> None:
        """Run with the image's dependencies only (``bench.image.python``): the daemon as it ships, whatever the
        bench's own interpreter holds (the test venv's pydantic, which DeepDiff imports when present)."""
        env = {
            **os.environ,
            **(env or {}),
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [image.python(), "-m", "reconciler", "--log-level", "info", "run", str(path), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                event["seen_at"] = time.time()  # on the clock of the emulator's call times
                self.events.append(event)

    def passes(self) -> list[str]:
        """The results of the passes finished so far."""
        return [e["result"] for e in list(self.events) if e.get("event") == "pass"]

    def pass_at(self, result: str, *, after: float) -> float:
        """When the first pass ending ``result`` after ``after`` (unix time) was seen."""
        return next(
            e["seen_at"]
            for e in list(self.events)
            if e.get("event") == "pass" and e.get("result") == result and e["seen_at"] >= after
        )

    def alerts(self, kind: str, *, after: float) -> list[float]:
        """When each alert of ``kind`` the daemon logged after ``after`` (unix time) was seen."""
        return [
            e["seen_at"]
            for e in list(self.events)
            if e.get("event") == "alert" and e.get("kind") == kind and e["seen_at"] >= after
        ]

    def wait_for_passes(self, count: int, *, timeout: float = 600) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.passes()) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the daemon did not finish {count} passes: {self.events[-5:]}")
            time.sleep(0.02)
        return self.passes()

    def wait_for_result(self, result: str | tuple[str, ...], *, after: int, timeout: float = 600) -> None:
        """Until a pass after the first ``after`` ends with ``result`` (or one of them)."""
        deadline = time.monotonic() + timeout
        wanted = (result,) if isinstance(result, str) else result
        while not set(wanted) & set(self.passes()[after:]):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"no pass ended {result!r}: {self.events[-5:]}")
            time.sleep(0.02)

    def memory(self) -> dict[str, int]:
        """VmHWM (peak resident set) and VmRSS of the daemon process, in kB (Linux)."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return {key: int(fields[key].split()[0]) for key in ("VmHWM", "VmRSS")}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)
