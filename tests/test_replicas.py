"""Replicas sharing targets: the assignment each replica computes from the lease table (pure), played out over
rounds against a table in memory: loads even out, and targets move only as far as they must."""

from __future__ import annotations

from reconciler.daemon.replicas import Item, View, assign, shares

DURATION = 10.0
TARGETS = [f"group/t{i}" for i in range(9)]


class Table:
    """The lease table as the replicas see it: heartbeats and target leases, each with its expiry (wall time)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.replicas: dict[str, float] = {}
        self.leases: dict[str, Item] = {}
        self.moved = 0
        """Targets taken by a replica other than their previous holder."""
        self.previous: dict[str, str] = {}

    def round(self, replica: str, keys: list[str] = TARGETS) -> None:
        """One replica's round: heartbeat, renew what it holds, give back and take as ``assign`` says."""
        self.replicas[replica] = self.now + DURATION
        held = {k for k, i in self.leases.items() if i.holder == replica and i.expires > self.now}
        moves = assign(replica, keys, View(dict(self.replicas), dict(self.leases)), held, now=self.now)
        for key in moves.keep:
            self.leases[key] = Item(replica, self.now + DURATION)
        for key in moves.give:
            del self.leases[key]
        for key in moves.take:
            lease = self.leases.get(key)
            if lease is None or lease.expires <= self.now:  # the conditional write's rule
                if self.previous.get(key, replica) != replica:
                    self.moved += 1
                self.previous[key] = replica
                self.leases[key] = Item(replica, self.now + DURATION)

    def rounds(self, replicas: list[str], count: int = 4) -> None:
        for _ in range(count):
            for replica in replicas:
                self.round(replica)
            self.now += 1

    def loads(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for item in self.leases.values():
            if item.expires > self.now:
                found[item.holder] = found.get(item.holder, 0) + 1
        return found


def test_three_replicas_starting_together_split_nine_targets_three_each():
    table = Table()
    for replica in "abc":
        table.replicas[replica] = table.now + DURATION  # all three heartbeats seen before anyone takes
    table.rounds(["a", "b", "c"])
    assert table.loads() == {"a": 3, "b": 3, "c": 3}
    assert table.moved == 0


def test_replicas_started_one_after_another_even_out_moving_only_the_excess():
    table = Table()
    table.rounds(["a"])
    assert table.loads() == {"a": 9}
    table.rounds(["a", "b"])
    assert sorted(table.loads().values()) == [4, 5]
    assert table.moved == 4
    table.rounds(["a", "b", "c"])
    assert table.loads() == {"a": 3, "b": 3, "c": 3}
    assert table.moved == 4 + 3, "the third replica's three came from the two above their new share"


def test_a_fourth_replica_takes_two_targets_and_loads_differ_by_one_at_most():
    table = Table()
    for replica in "abc":
        table.replicas[replica] = table.now + DURATION
    table.rounds(["a", "b", "c"])
    table.rounds(["a", "b", "c", "d"])
    loads = table.loads()
    assert sorted(loads.values()) == [2, 2, 2, 3] and loads["d"] == 2
    assert table.moved == 2, "only as many targets moved as the newcomer's share"


def test_a_dead_replicas_targets_go_to_the_others_once_its_leases_expire_and_nothing_else_moves():
    table = Table()
    for replica in "abc":
        table.replicas[replica] = table.now + DURATION
    table.rounds(["a", "b", "c"])
    held_by_c = {k for k, i in table.leases.items() if i.holder == "c"}
    table.rounds(["a", "b"], count=int(DURATION) - 2)
    assert table.loads()["c"] == 3, "c's leases still run: nobody takes them early"
    table.rounds(["a", "b"], count=3)
    assert sorted(table.loads().values()) == [4, 5]
    assert table.moved == 3
    assert all(table.leases[k].holder in "ab" for k in held_by_c)


def test_a_replica_that_holds_nothing_by_design_takes_nothing_from_a_full_share():
    table = Table()
    one = ["group"]  # a tree with only the default target
    table.round("a", one)
    table.round("b", one)
    table.round("a", one)
    assert table.loads() == {"a": 1}


def test_the_higher_share_stays_with_the_replicas_already_holding_it():
    assert shares(9, {"a": ["x"] * 3, "b": ["x"] * 3, "c": ["x"] * 3, "d": []}) == {"a": 3, "b": 2, "c": 2, "d": 2}
    assert shares(9, {"a": [], "b": ["x"] * 5}) == {"b": 5, "a": 4}
