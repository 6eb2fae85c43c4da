"""CreateService's rules for the Amazon EBS volumes ECS creates for each task (see ``reconciler.core.aws_rules`` for
the form of a rule): ``volumeConfigurations`` per volume type, and their match with the task definition's volume
configured at launch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.aws_rules import Problem, as_int, mappings

DEFAULT_VOLUME_TYPE = "gp3"
"""ECS developer guide, "Amazon EBS volumes": the volume type ECS creates when the configuration names none."""
SIZES_GIB = {
    "gp2": (1, 16384),
    "gp3": (1, 16384),
    "io1": (4, 16384),
    "io2": (4, 16384),
    "st1": (125, 16384),
    "sc1": (125, 16384),
    "standard": (1, 1024),
}
"""ECS API reference, ServiceManagedEBSVolumeConfiguration.sizeInGiB: the sizes each volume type takes."""
IOPS = {"gp3": (3000, 16000), "io1": (100, 64000), "io2": (100, 256000)}
"""ECS API reference, ServiceManagedEBSVolumeConfiguration.iops: the IOPS each volume type takes (required for io1
and io2)."""
NO_IOPS = ("st1", "sc1", "standard")
"""ECS API reference, ServiceManagedEBSVolumeConfiguration.iops: "not supported for st1, sc1, or standard"."""
GP3_THROUGHPUT = (125, 1000)
"""ECS API reference, ServiceManagedEBSVolumeConfiguration.throughput: gp3 only, at most 1,000 MiB/s (EC2's
CreateVolume: at least 125)."""


def volume_rules(
    spec: Mapping[str, Any], task_definition: Mapping[str, Any] | None, *, fargate: bool, windows: bool | None
) -> list[Problem]:
    """Each EBS volume configuration by its type, and (with the declared task definition) its name against the task
    definition's volume configured at launch; ``windows``: whether the tasks run Windows (None: not known)."""
    problems: list[Problem] = []
    configured = list(mappings(spec, "volumeConfigurations"))
    for i, volume in configured:
        ebs = volume.get("managedEBSVolume")
        if isinstance(ebs, Mapping):
            path = f"volumeConfigurations[{i}].managedEBSVolume"
            problems += [(f"{path}.{p}", m) for p, m in _ebs_rules(ebs, fargate=fargate, windows=windows)]
    if task_definition is None:
        return problems
    volumes = mappings(task_definition, "volumes")
    at_launch = {str(v.get("name")) for _, v in volumes if v.get("configuredAtLaunch") is True}
    # ECS API reference, ServiceVolumeConfiguration.name: "must match the volume name from the Volume object in the
    # task definition" (one configured at launch, Volume.configuredAtLaunch).
    for i, volume in configured:
        name = volume.get("name")
        if name is not None and str(name) not in at_launch:
            shown = sorted(at_launch) or "none: set configuredAtLaunch: true on one"
            problems.append(
                (
                    f"volumeConfigurations[{i}].name",
                    f"no volume {name!r} of the task definition is configured at launch; such volumes: {shown}",
                )
            )
    # ECS API reference, Volume.configuredAtLaunch: a volume configured at launch is given by "a volumeConfigurations
    # object when calling the CreateService, UpdateService, RunTask or StartTask APIs".
    named = {str(v.get("name")) for _, v in configured}
    for missing in sorted(at_launch - named):
        problems.append(
            (
                "volumeConfigurations",
                f"the task definition's volume {missing!r} is configured at launch: give it a managedEBSVolume here",
            )
        )
    return problems


def _ebs_rules(ebs: Mapping[str, Any], *, fargate: bool, windows: bool | None) -> list[Problem]:
    problems: list[Problem] = []
    kind = str(ebs.get("volumeType") or DEFAULT_VOLUME_TYPE)
    size, iops, throughput = as_int(ebs.get("sizeInGiB")), as_int(ebs.get("iops")), as_int(ebs.get("throughput"))
    # ECS API reference, ServiceManagedEBSVolumeConfiguration.sizeInGiB / snapshotId: one of them is required.
    if size is None and not ebs.get("snapshotId"):
        problems.append(("sizeInGiB", "give a size in GiB or a snapshotId to create the volume from"))
    # ECS API reference, ServiceManagedEBSVolumeConfiguration.sizeInGiB: the sizes per volume type.
    if size is not None and kind in SIZES_GIB and not SIZES_GIB[kind][0] <= size <= SIZES_GIB[kind][1]:
        low, high = SIZES_GIB[kind]
        problems.append(("sizeInGiB", f"{size} GiB is out of range for {kind}: use {low}-{high}"))
    # ECS API reference, ServiceManagedEBSVolumeConfiguration.iops: required for io1/io2, refused for st1, sc1 and
    # standard, and in range for gp3, io1 and io2.
    if iops is None and kind in ("io1", "io2"):
        problems.append(("iops", f"{kind} volumes need iops: add it ({IOPS[kind][0]}-{IOPS[kind][1]})"))
    if iops is not None and kind in NO_IOPS:
        problems.append(("iops", f"{kind} volumes take no iops: remove it"))
    if iops is not None and kind in IOPS and not IOPS[kind][0] <= iops <= IOPS[kind][1]:
        problems.append(("iops", f"{iops} IOPS is out of range for {kind}: use {IOPS[kind][0]}-{IOPS[kind][1]}"))
    # ECS API reference, ServiceManagedEBSVolumeConfiguration.throughput: gp3 only, up to 1,000 MiB/s.
    if throughput is not None and kind != "gp3":
        problems.append(("throughput", f"only gp3 volumes take throughput, not {kind}: remove it"))
    elif throughput is not None and not GP3_THROUGHPUT[0] <= throughput <= GP3_THROUGHPUT[1]:
        problems.append(
            ("throughput", f"{throughput} MiB/s is out of range: use {GP3_THROUGHPUT[0]}-{GP3_THROUGHPUT[1]}")
        )
    # ECS API reference, ServiceManagedEBSVolumeConfiguration.volumeType: "The magnetic volume type is not supported
    # on Fargate."
    if fargate and kind == "standard":
        problems.append(("volumeType", "Fargate does not attach magnetic (standard) volumes: use gp3"))
    # ECS API reference, ServiceManagedEBSVolumeConfiguration.filesystemType: ext3/ext4/xfs on Linux, ntfs on Windows.
    filesystem = ebs.get("filesystemType")
    if filesystem is not None and windows is not None and windows != (filesystem == "ntfs"):
        wanted = "ntfs" if windows else "ext3, ext4 or xfs"
        system = "Windows" if windows else "Linux"
        problems.append(("filesystemType", f"{filesystem} is not a {system} filesystem here: use {wanted}"))
    return problems
