"""The Fargate task sizes as AWS publishes them (ECS developer guide, "Troubleshoot Amazon ECS task definition invalid
CPU or memory errors"): every published cpu/memory pair passes validate's rule, its neighbours do not, and the message
lists what the cpu allows."""

from __future__ import annotations

import pytest
from builders import task_definition

from reconciler.cli import main
from reconciler.kinds.task_definition_rules import fargate_size_rules

GB = 1024
PUBLISHED = {
    256: [512, 1 * GB, 2 * GB],
    512: [n * GB for n in range(1, 5)],
    1024: [n * GB for n in range(2, 9)],
    2048: [n * GB for n in range(4, 17)],
    4096: [n * GB for n in range(8, 31)],
    8192: [n * GB for n in range(16, 61, 4)],
    16384: [n * GB for n in range(32, 121, 8)],
}
"""The published table, written out independently of the rule's own."""
PAIRS = [(cpu, memory) for cpu, memories in PUBLISHED.items() for memory in memories]


def _neighbours() -> list[tuple[int, int]]:
    """Memory one step below and above each cpu's range, between its values, and in 1 GB steps where AWS's are
    coarser: each refused with that cpu."""
    near = set()
    for cpu, memories in PUBLISHED.items():
        near |= {(cpu, memories[0] - 512), (cpu, memories[-1] + 512), (cpu, memories[-1] + GB), (cpu, memories[0] + 1)}
        near |= {(cpu, m + GB) for m in memories[:-1] if m + GB not in memories}
        near |= {(cpu, (a + b) // 2) for a, b in zip(memories, memories[1:], strict=False) if (a + b) // 2 % GB}
    return sorted(pair for pair in near if pair[1] not in PUBLISHED[pair[0]])


def _spec(cpu: object, memory: object) -> dict[str, object]:
    return {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": str(cpu), "memory": str(memory)}


@pytest.mark.parametrize(("cpu", "memory"), PAIRS)
def test_every_published_pair_is_accepted(cpu: int, memory: int) -> None:
    assert fargate_size_rules(_spec(cpu, memory)) == []


@pytest.mark.parametrize(("cpu", "memory"), _neighbours())
def test_the_neighbours_of_the_published_pairs_are_refused(cpu: int, memory: int) -> None:
    [(path, message)] = fargate_size_rules(_spec(cpu, memory))
    assert path == "memory" and f"with {cpu} CPU units use" in message


@pytest.mark.parametrize("cpu", [128, 300, 3072, 32768])
def test_a_cpu_fargate_does_not_offer_is_refused_with_the_sizes_it_does(cpu: int) -> None:
    [(path, message)] = fargate_size_rules(_spec(cpu, 2048))
    assert path == "cpu" and "use one of 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units" in message


def test_units_as_aws_writes_them_are_read() -> None:
    assert fargate_size_rules(_spec("1 vCPU", "3 GB")) == []
    assert fargate_size_rules(_spec(".25 vCPU", "1.5GB")) != []


def test_validate_refuses_256_cpu_with_1536_memory_and_lists_what_is_allowed(tmp_path, capsys) -> None:
    (tmp_path / "td.yaml").write_text(task_definition(cpu="256", memory="1536"))
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "spec.memory: '1536' is not valid with cpu '256' on Fargate: with 256 CPU units use 512, 1024, 2048 MiB" in (
        err
    )


def test_a_range_is_given_with_its_step(tmp_path, capsys) -> None:
    (tmp_path / "td.yaml").write_text(task_definition(cpu="8192", memory="18432"))
    assert main(["validate", str(tmp_path)]) == 1
    assert "use 16384 to 61440 MiB (16 to 60 GB) in steps of 4096" in capsys.readouterr().err
