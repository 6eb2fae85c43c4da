"""The token buckets (reconciler/pacing.py), on a fake clock: pure and fast, no emulator."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aws_calls import Function, every_function, functions, operations

from reconciler.aws import Ticker
from reconciler.core.settings import PaceSettings
from reconciler.kinds import tagging
from reconciler.kinds.scaling import AAS
from reconciler.kinds.scaling_live import _PARTS
from reconciler.pacing import BUCKETS, Pacer, TokenBucket, limit_seconds


class FakeClock:
    """Time that moves only when a caller sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_full_bucket_serves_its_burst_at_once_then_the_sustained_rate():
    clock = FakeClock()
    bucket = TokenBucket(50, 20, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        assert bucket.take() == 0
    for _ in range(450):
        bucket.take()
    assert clock.now == pytest.approx(limit_seconds(500, 50, 20)) == pytest.approx(22.5)


def test_an_idle_bucket_refills_up_to_its_capacity_only():
    clock = FakeClock()
    bucket = TokenBucket(20, 1, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        bucket.take()
    clock.now += 3600  # an hour idle refills 20 tokens, not 3600
    for _ in range(20):
        assert bucket.take() == 0
    assert bucket.take() == pytest.approx(1.0)


def test_a_throttling_answer_halves_the_rate_and_it_climbs_back_over_the_recovery_time():
    clock = FakeClock()
    bucket = TokenBucket(10, 20, recovery=10, clock=clock, sleep=clock.sleep)
    bucket.throttled()
    assert bucket.rate() == pytest.approx(10)
    assert bucket.take() == pytest.approx(0.1), "the bucket is emptied: the next token comes at the lower rate"
    clock.now = 5  # half the recovery time after the throttle
    assert bucket.rate() == pytest.approx(15)
    clock.now = 10
    assert bucket.rate() == pytest.approx(20)
    for _ in range(5):
        bucket.throttled()
    assert bucket.rate() >= bucket.floor
    assert bucket.throttles == 6


def test_threads_share_one_bucket_and_never_exceed_it():
    """8 threads take 30 tokens from a bucket of 5 refilling 100 a second while no time passes: 5 are served at once
    and each of the other 25 reserves its own next token, due 0.01 s after the one before (none served twice)."""
    waits: list[float] = []
    bucket = TokenBucket(5, 100, clock=lambda: 0.0, sleep=waits.append)

    def worker() -> None:
        for _ in range(30 // 6):
            bucket.take()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([n / 100 for n in range(1, 26)])
    assert bucket.waited == pytest.approx(sum(n / 100 for n in range(1, 26)))


def test_the_pacer_maps_operations_to_their_documented_bucket_and_the_share_lowers_them():
    clock = FakeClock()
    pacer = Pacer(PaceSettings(share=0.5), clock=clock, sleep=clock.sleep)
    describe = pacer.bucket("ecs", "DescribeTaskDefinition")
    assert describe is pacer.bucket("ecs", "ListTaskDefinitions"), "one category, one bucket"
    assert describe is not None and (describe.capacity, describe.ceiling) == (24, 10), "one token of headroom"
    assert pacer.bucket("iam", "NotAnOperation") is None, "in no bucket: not paced"
    register = pacer.bucket("ecs", "RegisterTaskDefinition")
    assert register is not None and (register.capacity, register.ceiling) == (9, 0.5)


def test_the_table_names_each_operation_once_with_its_source():
    seen = [(b.service, op) for b in BUCKETS for op in b.operations]
    assert len(seen) == len(set(seen))
    assert all(b.source and b.capacity >= 1 and b.rate > 0 for b in BUCKETS)


class Counting:
    """What Progress reads of the AWS boundary."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()


def test_a_long_read_shows_progress_lines_and_a_short_one_stays_quiet(capsys):
    aws = Counting()
    with Ticker(aws, "reading live state", after=0.05, every=0.05):  # type: ignore[arg-type]
        aws.calls["DescribeServices"] += 40
        aws.throttled["DescribeTaskDefinition"] += 2
        time.sleep(0.2)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 3
    assert lines[0].startswith("reading live state: so far 40 AWS calls in 0 s (2 throttled, paced down)")
    assert lines[-1].startswith("reading live state: done, 40 AWS calls")

    with Ticker(aws, "reading live state", after=5):  # type: ignore[arg-type]
        time.sleep(0.05)
    assert capsys.readouterr().err == ""


def test_ecs_tag_writes_are_paced_in_their_documented_bucket() -> None:
    """TagResource and UntagResource share ECS's tag modify bucket (20 burst, 10 a second)."""
    pacer = Pacer(PaceSettings())
    for operation in ("TagResource", "UntagResource"):
        bucket = pacer.bucket("ecs", operation)
        assert bucket is not None, operation
        assert bucket.ceiling == 10
    assert pacer.bucket("ecs", "TagResource") is pacer.bucket("ecs", "UntagResource")


@pytest.mark.parametrize(
    ("together", "figures"),
    [
        (("CreateService", "UpdateService", "DeleteService"), (50, 5)),
        (("RegisterTaskDefinition", "DeregisterTaskDefinition"), (20, 1)),
        (("CreateCluster", "UpdateCluster", "DeleteCluster", "PutClusterCapacityProviders"), (20, 1)),
        (("CreateCapacityProvider", "UpdateCapacityProvider", "DeleteCapacityProvider"), (10, 1)),
        (("DescribeServiceDeployments", "ListServiceDeployments"), (50, 20)),
        (("DescribeTasks", "ListTasks"), (100, 20)),
        (("RunTask",), (20, 20)),
    ],
)
def test_ecs_calls_in_one_documented_row_share_one_bucket_at_its_figures(
    together: tuple[str, ...], figures: tuple[float, float]
) -> None:
    """ECS's request throttling table puts these calls in one category each; RunTask takes Fargate's lower
    figure (20 burst and sustained). The client's bucket is the row's, less one token of headroom."""
    pacer = Pacer(PaceSettings())
    buckets = {id(pacer.bucket("ecs", operation)) for operation in together}
    assert len(buckets) == 1, together
    bucket = pacer.bucket("ecs", together[0])
    assert bucket is not None
    capacity, rate = figures
    assert (bucket.capacity, bucket.ceiling) == (capacity - max(1.0, rate * 0.1), rate)


FORWARDED = {("aws.py", "pages"): "sends the operation its caller names (each caller is walked)"}
"""Calls whose service and operation come from their caller, and why nothing is missed."""
VARIABLE = {
    ("kinds/scaling_live.py", "_listing"): [(AAS, operation) for operation, _ in _PARTS],
    ("kinds/tagging.py", "sync_tags"): [
        (shape.service, operation)
        for shape in vars(tagging).values()
        if isinstance(shape, tagging.TagShape)
        for operation in ("TagResource", "UntagResource")
    ],
}
"""Calls whose service or operation is a variable, with what the variable takes (read from the code it comes from)."""


def sent(found: list[Function]) -> tuple[set[tuple[str, str]], list[str]]:
    """(service, operation) of every call the walked code sends, and the calls the walk cannot read."""
    pairs: set[tuple[str, str]] = set()
    unread: list[str] = []
    for function in found:
        key = (function.module, function.name)
        if key in VARIABLE:
            pairs |= set(VARIABLE[key])
            continue
        for service, operation, line in function.sends:
            if service is not None and operation is not None:
                pairs.add((service, operation))
            elif key not in FORWARDED:
                unread.append(f"reconciler/{function.module}:{line} ({function.name})")
    return pairs, unread


def unpaced(pairs: set[tuple[str, str]]) -> list[str]:
    pacer = Pacer(PaceSettings())
    return sorted(f"{s} {o}" for s, o in pairs if pacer.bucket(s, o) is None)


def test_every_aws_operation_the_code_sends_has_a_bucket() -> None:
    pairs, unread = sent(every_function())
    assert not unread, "calls the walk cannot read: name the operation literally or list it in VARIABLE"
    assert not [f"{s} {o}" for s, o in pairs if o not in operations(s)], "every call names a real operation"
    assert not unpaced(pairs), "AWS calls in no bucket (add them to reconciler/pacing.py's BUCKETS)"
    assert {("sts", "GetCallerIdentity"), ("scheduler", "TagResource"), ("ecs", "RunTask")} <= pairs
    assert len(pairs) > 60, "the walk found the kinds' calls"


def test_the_bucket_walk_finds_a_call_in_no_bucket(tmp_path: Path) -> None:
    module = tmp_path / "newkind.py"
    module.write_text('def create(aws):\n    aws.call("ecs", "CreateTaskSet", "x", cluster="c", service="s")\n')
    pairs, unread = sent(list(functions(module, tmp_path)))
    assert pairs == {("ecs", "CreateTaskSet")} and not unread
    assert unpaced(pairs) == ["ecs CreateTaskSet"]


@pytest.mark.parametrize(
    ("service", "together", "figures"),
    [
        ("ssm", ("GetParameters", "GetParameter"), (40, 40)),
        ("elbv2", ("DescribeTargetGroups", "DescribeTargetHealth"), (40, 10)),
        ("sns", ("Publish",), (300, 300)),
        ("sts", ("AssumeRole", "GetCallerIdentity"), (600, 600)),
    ],
)
def test_other_services_calls_share_the_bucket_of_their_published_quota(
    service: str, together: tuple[str, ...], figures: tuple[float, float]
) -> None:
    """Parameter Store's default throughput (shared by GetParameter and GetParameters), ELB's non-mutating row,
    SNS Publish in the smallest Regions, STS's per-account rate (a target's AssumeRole refresh included)."""
    pacer = Pacer(PaceSettings())
    assert len({id(pacer.bucket(service, operation)) for operation in together}) == 1, together
    bucket = pacer.bucket(service, together[0])
    assert bucket is not None
    capacity, rate = figures
    assert (bucket.capacity, bucket.ceiling) == (capacity - max(1.0, rate * 0.1), rate)
