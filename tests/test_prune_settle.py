"""Prune only on settled manifests (reconciler/daemon/source.py ``Settling``): the daemon as a subprocess with
``--prune``, its link swapped to a folder whose files are still being written (as rsync or a hand-made script
leaves it), deletes nothing; once the folder is complete and reads unchanged, what it no longer declares is
deleted, and nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
from aws_state import service_at
from builders import REGION, cluster, container, documents, log_group, service, task_definition
from conftest import GitSync, eventually

REVISION = "b" * 40
"""The half-written folder's name: a revision, as git-sync would call it."""


def app() -> str:
    return documents(task_definition(containers=[container(port=None)]), service(desiredCount=1))


def log_groups(aws: Any) -> set[str]:
    logs = boto3.client("logs", endpoint_url=aws.endpoint_url, region_name=REGION)
    return {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}


def swap_link(gitsync: GitSync, folder: Path) -> None:
    tmp = gitsync.root / ".tmp-link"
    tmp.symlink_to(f".worktrees/{folder.name}")
    os.replace(tmp, gitsync.link)


def test_a_half_written_folder_deletes_nothing_then_the_completed_one_prunes(aws, ecs, daemon, gitsync):
    first = gitsync.publish({"cluster.yaml": cluster(settings=None), "app.yaml": app(), "old.yaml": log_group("/old")})
    process = daemon(gitsync.link, "--prune", "--prune-settle", "1", "--resync-interval", "3600")
    eventually(service_at(ecs, count=1, revision=first), what="the first revision applied")
    eventually(lambda: "/old" in log_groups(aws), what="the old log group created")
    process.wait_for_event("pass", revision=first)

    half = gitsync.root / ".worktrees" / REVISION  # the link is swapped before the folder is written whole
    half.mkdir()
    (half / "cluster.yaml").write_text(cluster(settings=None))
    swap_link(gitsync, half)
    process.wait_for_event("deletions wait for the manifests to settle", revision=REVISION)
    assert "DeleteService" not in aws.calls and "DeleteLogGroup" not in aws.calls

    (half / "app.yaml").write_text(app())  # the writer finishes: old.yaml is gone from this revision
    eventually(lambda: "/old" not in log_groups(aws), what="the completed folder pruned the old log group")
    assert "DeleteService" not in aws.calls and "DeregisterTaskDefinition" not in aws.calls
    assert service_at(ecs, count=1)()
