"""Every write the tool sends to AWS goes through the executor: a walk of reconciler/ with ``ast`` (pure, no emulator).

What counts as a write comes from botocore's service models, not a hand list: an operation is a read when its name
begins with a read verb (``Describe``, ``List``, ``Get``, ``BatchGet``); every other operation of the model mutates.
Each call the AWS boundary offers (``aws.call``, ``aws.call_unfenced``, ``aws.write_once``, ``aws.pages``: service,
then operation) is found by the walk in aws_calls.py, in every module but the boundary itself (reconciler/aws.py)
and the emulator (out of scope), and a mutating one may be sent only from:

- reconciler/executor.py;
- a kind's live verb (a method named create, update, retag, delete or await_gone in reconciler/kinds/), or the
  executor's runner of a task action (``run_hook``);
- a helper in reconciler/kinds/ that only those call (transitively, by name), such as the shared tag sync.

Allowed elsewhere, each for its reason (``ELSEWHERE``): the daemon's lease writes its own DynamoDB item unfenced
(taking, renewing and releasing the lease is what fences every other write, so it cannot itself go through the
executor); an alert published to SNS changes no managed resource; the demo plays the person who changes ECS outside git
(in its own emulator), which is the drift it shows the daemon healing.
"""

from __future__ import annotations

from pathlib import Path

from aws_calls import EMULATOR, Function, every_function, functions, mutating, operations

VERBS = frozenset({"create", "update", "retag", "delete", "await_gone", "run_hook"})
BOUNDARY = "aws.py"
ELSEWHERE = {
    ("daemon/lease.py", "dynamodb"): "the lease's own item, which fences every other write",
    ("daemon/replicas.py", "dynamodb"): "a replica's heartbeat item, and its Scan of the lease table (a read)",
    ("daemon/alerts.py", "sns"): "an alert, not a change to a managed resource",
    ("daemon/demo.py", "ecs"): "the demo's out-of-band change, the drift it shows being healed",
}
"""(module, service) writes allowed outside the executor, and why."""
NOT_LITERAL = {("kinds/scaling_live.py", "_listing"): "its operation is one of _PARTS' Describe reads"}
"""Calls whose operation is a variable, with why each only reads."""


def allowed_senders(found: list[Function]) -> set[tuple[str, str]]:
    """(module, function) of everything that may send a mutating call."""
    allowed = {(f.module, f.name) for f in found if f.module == "executor.py"}
    allowed |= {(f.module, f.name) for f in found if f.module.startswith("kinds/") and f.name in VERBS}
    changed = True
    while changed:  # a kinds helper whose every caller is allowed is allowed
        changed = False
        for helper in found:
            key = (helper.module, helper.name)
            if key in allowed or not helper.module.startswith("kinds/"):
                continue
            callers = [
                f
                for f in found
                if (helper.name in f.calls or (helper.method and helper.name in f.own_calls))
                and (f.module, f.name) != key
            ]
            if callers and all((f.module, f.name) in allowed for f in callers):
                allowed.add(key)
                changed = True
    return allowed


def test_mutating_aws_calls_are_sent_only_by_the_executor_and_the_kinds_verbs() -> None:
    found = every_function(skip=(BOUNDARY, EMULATOR))
    allowed = allowed_senders(found)
    known = {s: operations(s) for s in {s for f in found for s, _, _ in f.sends if s is not None}}
    problems: list[str] = []
    sent = 0
    for function in found:
        for service, operation, line in function.sends:
            where = f"reconciler/{function.module}:{line} ({function.name})"
            if operation is None:
                if (function.module, function.name) not in NOT_LITERAL:
                    problems.append(f"{where}: an operation the walk cannot read; name it literally")
                continue
            services = [service] if service is not None else [s for s in known if operation in known[s]]
            if not services or any(operation not in known[s] for s in services):
                problems.append(f"{where}: {service or 'no service the tool calls'} has no operation {operation}")
                continue
            if not any(operation in mutating(s) for s in services):
                continue
            sent += 1
            key = (function.module, function.name)
            if (function.module, service) in ELSEWHERE or key in allowed:
                continue
            problems.append(f"{where}: {service} {operation} is sent outside the executor and the kinds' verbs")
    assert not problems, "\n".join(problems)
    assert sent > 20, "the walk found the kinds' writes"


def test_the_walk_finds_a_write_sent_from_elsewhere(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text('def roll(aws):\n    aws.call("ecs", "UpdateService", "x", cluster="c", service="s")\n')
    [function] = functions(module, tmp_path)
    assert function.sends == [("ecs", "UpdateService", 2)]
    assert "UpdateService" in mutating("ecs") and "DescribeServices" not in mutating("ecs")
    assert ("sneaky.py", "roll") not in allowed_senders([function])
