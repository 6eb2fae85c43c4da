"""Replicas sharing targets under AWS conditions: three `run` processes on one lease table and nine targets (nine
emulator accounts, their roles assumed through STS), every call taking 30 ms and the documented buckets enforced
per account and region (bench/conditions.py). Measures the time for all targets to be held after start and to be
split evenly, the takeover time after the replica holding most is SIGKILLed (until the table shows all nine held by
the survivors, and until each taken target's first pass ended), writes by two replicas to one target while
publishes keep every target writing (must be 0), and each replica's peak RSS.

    python -m bench.replicas [--services 20] [--lease-duration 15] [--lease-renew 5]
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from bench.accounts import apply_unpaced, write_targets
from bench.daemon import Daemon, GitSyncLink
from bench.fleet import service_names
from bench.run import REGION, Emulated, Row, emulator_process, render
from reconciler import log
from tests.faults import READ_PREFIXES

TARGETS = {f"t{i}": f"{100000000000 + i * 111111111:012d}" for i in range(9)}
"""Target name -> its emulator account."""
TABLE = "ecs-reconciler-lease"


def set_up(root: Path, endpoint_url: str) -> None:
    """Apply every target's fleet, without the conditions, and create the lease table."""
    apply_unpaced(endpoint_url, root)
    dynamodb().create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


_endpoint: list[str] = []


def dynamodb() -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=_endpoint[0],
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def holders() -> dict[str, str]:
    """Target -> the replica holding its lease (live leases only; the replicas share this machine's clock)."""
    items = dynamodb().scan(TableName=TABLE)["Items"]
    now = time.time()
    return {
        i["name"]["S"].split("/", 1)[1]: i["holder"]["S"]
        for i in items
        if "/replicas/" not in i["name"]["S"] and "/" in i["name"]["S"] and float(i["expires"]["N"]) > now
    }


def wait_for(check: Any, *, timeout: float, what: str) -> float:
    """Poll ``check`` every 50 ms; the time it first held."""
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise SystemExit(f"timed out waiting for {what}: {holders()}")
        time.sleep(0.05)
    return time.time()


def taken_at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()


def stale_writes(emulated: Emulated, replicas: dict[str, Daemon]) -> list[tuple[str, str, str]]:
    """Writes by a replica to a target another replica had taken since this one last took it (takes from the
    replicas' ``leader`` log lines, writes from the emulator's record of who called, in which account)."""
    takes: dict[str, list[tuple[float, str]]] = {}
    for name, daemon in replicas.items():
        for event in daemon.events:
            if event.get("event") == "leader":
                takes.setdefault(event["target"], []).append((taken_at(event), name))
    by_account = {account: target for target, account in TARGETS.items()}
    stale = []
    for moment, operation, app, account in list(emulated.callers):
        target = by_account.get(account)
        if target is None or app not in replicas or operation.startswith(READ_PREFIXES):
            continue
        if operation in ("AssumeRole", "UpdateItem", "DeleteItem", "Scan"):
            continue
        before = [taker for at, taker in sorted(takes.get(target, [])) if at <= moment]
        if before and before[-1] != app:
            stale.append((target, app, operation))
    return stale


def keep_publishing(git: GitSyncLink, services: int, stop: threading.Event, every: float) -> None:
    """Every ``every`` seconds a publish raises one more service's desiredCount in every target."""
    names = service_names(services)
    for count in range(1, 10_000):
        if stop.wait(every):
            return
        name = names[count % len(names)]

        def edit(worktree: Path, name: str = name, count: int = count) -> None:
            for target in TARGETS:
                path = worktree / target / "services" / f"{name}.yaml"
                text = path.read_text()
                path.write_text(text.replace("desiredCount: 1\n", f"desiredCount: {1 + count % 3}\n", 1))

        git.publish(Path(git.link.resolve()), edit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20, help="services per target")
    parser.add_argument("--lease-duration", type=float, default=15.0)
    parser.add_argument("--lease-renew", type=float, default=5.0)
    parser.add_argument("--resync-interval", type=float, default=60.0)
    parser.add_argument("--publish-every", type=float, default=5.0, help="seconds between publishes")
    args = parser.parse_args(argv)
    log.configure(level="warning")
    rows: list[Row] = []
    with emulator_process() as emulated, tempfile.TemporaryDirectory() as tmp:
        _endpoint.append(emulated.endpoint_url)
        root = write_targets(Path(tmp) / "tree", emulated.endpoint_url, TARGETS, services=args.services, clusters=2)
        set_up(root, emulated.endpoint_url)
        git = GitSyncLink(Path(tmp) / "git")
        git.publish(root, lambda _worktree: None)
        emulated.control("conditions on")
        time.sleep(1)
        options = (
            "--lease-table", TABLE, "--lease-duration", str(args.lease_duration),
            "--lease-renew", str(args.lease_renew), "--resync-interval", str(args.resync_interval),
        )  # fmt: skip
        started = time.time()
        replicas = {
            name: Daemon(git.link, *options, endpoint_url=emulated.endpoint_url, env={"AWS_SDK_UA_APP_ID": name})
            for name in ("r1", "r2", "r3")
        }
        stop = threading.Event()
        publisher = threading.Thread(target=keep_publishing, args=(git, args.services, stop, args.publish_every))
        try:
            held = wait_for(lambda: len(holders()) == 9, timeout=300, what="all nine held")
            even = wait_for(
                lambda: sorted(Counter(holders().values()).values()) == [3, 3, 3], timeout=300, what="3/3/3"
            )
            publisher.start()
            time.sleep(3 * args.publish_every)
            before = holders()
            pids = {f"{name}": d.process.pid for name, d in replicas.items()}
            victim_holder = Counter(before.values()).most_common(1)[0][0]
            victim = next(n for n, pid in pids.items() if victim_holder.endswith(f"-{pid}"))
            moved = sorted(t for t, h in before.items() if h == victim_holder)
            peaks = {name: d.memory()["VmHWM"] / 1024 for name, d in replicas.items()}
            killed = time.time()
            replicas[victim].process.send_signal(signal.SIGKILL)
            replicas[victim].process.wait(10)
            over = wait_for(
                lambda: len(h := holders()) == 9 and victim_holder not in h.values(), timeout=300, what="takeover"
            )
            first_passes = wait_for(
                lambda: all(any(e.get("event") == "pass" and e.get("target") == t and taken_at(e) > killed
                                for d in replicas.values() for e in list(d.events)) for t in moved),
                timeout=300, what="the taken targets' first passes",
            )  # fmt: skip
            time.sleep(3 * args.publish_every)
            stop.set()
            publisher.join(30)
            stale = stale_writes(emulated, replicas)
            writes = sum(1 for _t, op, app, _a in emulated.callers if app in replicas and op.startswith("Update"))
            for name, d in replicas.items():
                if name != victim:
                    peaks[name] = d.memory()["VmHWM"] / 1024
        finally:
            stop.set()
            for d in replicas.values():
                if d.process.poll() is None:
                    d.stop()
    lease = args.lease_duration
    rows += [
        Row("all 9 targets held, after start", f"{held - started:.1f} s", "", None),
        Row("targets split 3/3/3, after start", f"{even - started:.1f} s", "", None),
        Row(f"takeover of {len(moved)} targets after SIGKILL (table)", f"{over - killed:.1f} s",
            f"<= {lease + args.lease_renew:g} s", over - killed <= lease + args.lease_renew),
        Row("takeover to the taken targets' first passes ending", f"{first_passes - killed:.1f} s", "", None),
        Row("UpdateService writes during the run / stale (two writers on one target)", f"{writes} / {len(stale)}",
            "0 stale", not stale),
        *[Row(f"peak RSS of replica {n}{' (killed)' if n == victim else ''}", f"{mb:.0f} MB", "", None)
          for n, mb in sorted(peaks.items())],
    ]  # fmt: skip
    print(render(rows, services=args.services * 9, clusters=18))
    print(f"lease duration {lease:g} s, renew {args.lease_renew:g} s; stale writes: {stale[:5]}")
    return 0 if all(r.met is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
