"""The emulator's ``--state FILE``: a JSON journal of the requests that changed something, replayed at start; a
pickle (what earlier versions saved) is refused by its content and never unpickled."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import boto3
from conftest import REGION

from reconciler.emulator import Journal, check_journal, create_app, serve


class Planted:
    """What an attacker plants: unpickling it runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_is_refused_and_never_runs(cli, tmp_path: Path):
    marker = tmp_path / "ran"
    state = tmp_path / "ecs-emulator.pickle"
    state.write_bytes(pickle.dumps({"format": 1, "backends": [Planted(marker)]}, protocol=pickle.HIGHEST_PROTOCOL))
    result = cli("emulator", "--state", state)
    assert result.code == 1
    assert "an emulator state file of an earlier version (a pickle), which is never loaded" in result.err
    assert not marker.exists(), "nothing in the file ran"


def test_a_file_that_is_not_a_journal_is_refused(cli, tmp_path: Path):
    for content in ("hello\n", '{"ecs-reconciler-emulator-journal": 2}\n', "[1, 2]\n", ""):
        state = tmp_path / "state.jsonl"
        state.write_text(content)
        result = cli("emulator", "--state", state)
        assert result.code == 1 and "not an emulator journal this version wrote" in result.err, content


def test_state_survives_a_restart_through_the_journal(aws, ecs, tmp_path: Path):
    file = str(tmp_path / "state.jsonl")
    journal = Journal(create_app(), file)
    journal.open()
    with serve(journal) as emulator:
        client = boto3.client("ecs", endpoint_url=emulator.endpoint_url, region_name=REGION)
        client.create_cluster(clusterName="kept", tags=[{"key": "team", "value": "core"}])
        client.describe_clusters(clusters=["kept"])
        client.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "nginx:1.27", "memory": 128}]
        )
    assert os.stat(file).st_mode & 0o777 == 0o600
    lines = [json.loads(line) for line in Path(file).read_text().splitlines()]
    operations = [r["headers"].get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1] for r in lines[1:]]
    assert operations == ["CreateCluster", "RegisterTaskDefinition"], "reads are not journaled"

    aws.reset()  # the process's emulator state is gone, as after a restart
    assert ecs.describe_clusters(clusters=["kept"])["clusters"] == []
    records = check_journal(file)
    assert Journal(create_app(), file).replay(records) == 2
    [cluster] = ecs.describe_clusters(clusters=["kept"], include=["TAGS"])["clusters"]
    assert cluster["tags"] == [{"key": "team", "value": "core"}]
    assert (
        ecs.describe_task_definition(taskDefinition="app:1")["taskDefinition"]["containerDefinitions"][0]["image"]
        == "nginx:1.27"
    )
    assert len(Path(file).read_text().splitlines()) == 3, "a replay is not journaled again"
