"""RegisterTaskDefinition's rules for storage (see ``reconciler.core.aws_rules`` for the form of a rule): ephemeral
storage, EFS volumes (authorisation and transit encryption) and volumes configured at launch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, as_list, as_map, mappings

EPHEMERAL_STORAGE_GIB = (21, 200)
"""ECS API reference, EphemeralStorage.sizeInGiB: "The minimum supported value is 21 GiB and the maximum supported
value is 200 GiB"."""


def storage_rules(spec: Mapping[str, Any]) -> list[Problem]:
    """Ephemeral storage, EFS volumes and volumes configured at launch."""
    problems: list[Problem] = []
    storage = as_map(spec.get("ephemeralStorage"))
    size = as_int(storage.get("sizeInGiB"))
    low, high = EPHEMERAL_STORAGE_GIB
    # ECS API reference, EphemeralStorage.sizeInGiB: 21 to 200 GiB.
    if size is not None and not low <= size <= high:
        problems.append(("ephemeralStorage.sizeInGiB", f"{size} GiB is out of range: use {low}-{high}"))
    compatibilities = as_list(spec.get("requiresCompatibilities"))
    # ECS API reference, RegisterTaskDefinition ephemeralStorage: it expands the storage "for tasks hosted on
    # Fargate"; other tasks ignore it.
    if storage and compatibilities and "FARGATE" not in compatibilities:
        problems.append(
            (
                "ephemeralStorage",
                "only tasks on Fargate get ephemeralStorage: remove it or add FARGATE to requiresCompatibilities",
            )
        )

    at_launch = [i for i, v in mappings(spec, "volumes") if v.get("configuredAtLaunch") is True]
    # ECS API reference, Volume.configuredAtLaunch: "Each task definition revision may only have one volume
    # configured at launch".
    if len(at_launch) > 1:
        problems.append(
            (
                f"volumes[{at_launch[1]}].configuredAtLaunch",
                "a task definition has at most one volume configured at launch: set configuredAtLaunch on one only",
            )
        )
    for i, volume in mappings(spec, "volumes"):
        problems += [(f"volumes[{i}].efsVolumeConfiguration.{p}", m) for p, m in _efs_rules(volume)]
    return problems


def _efs_rules(volume: Mapping[str, Any]) -> list[Problem]:
    efs = as_map(volume.get("efsVolumeConfiguration"))
    if not efs:
        return []
    problems: list[Problem] = []
    auth = as_map(efs.get("authorizationConfig"))
    encrypted = efs.get("transitEncryption") == "ENABLED"
    # ECS API reference, EFSAuthorizationConfig.iam: "If it is turned on, transit encryption must be turned on".
    if auth.get("iam") == "ENABLED" and not encrypted:
        problems.append(
            ("transitEncryption", "IAM authorisation needs transit encryption: set transitEncryption: ENABLED")
        )
    if auth.get("accessPointId"):
        # ECS API reference, EFSAuthorizationConfig.accessPointId: "If an access point is used, transit encryption
        # must be on".
        if not encrypted:
            problems.append(
                ("transitEncryption", "an EFS access point needs transit encryption: set transitEncryption: ENABLED")
            )
        # ECS API reference, EFSAuthorizationConfig.accessPointId: the root directory "must either be omitted or
        # set to /".
        if efs.get("rootDirectory") not in (None, "/"):
            problems.append(
                (
                    "rootDirectory",
                    "with an access point the access point's path is the root: drop rootDirectory (or use /)",
                )
            )
    return problems
