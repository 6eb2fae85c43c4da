"""`export`: manifests written from what already runs, the on-ramp for existing services (reads only).

Reads a live cluster and its services, then follows what each uses (``Kind.live_references``: its task definition,
that revision's log groups) and what refers to it (``Kind.referrers_of``: its ScalingPolicy), kind by kind in
batches, and writes each as its kind exports it (``Exports.export``: the create operation's input members, server
defaults dropped). ``plan`` on the result right after is empty (the resources stay unmanaged until ``apply
--adopt``). One file for the cluster, one per service holding what it needs that no earlier file holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import yaml

from reconciler.commands import EXIT_OK
from reconciler.commands.common import open_pipeline
from reconciler.core.errors import PlanError
from reconciler.core.kind import Claims, Exports
from reconciler.core.loader import MANIFEST_SUFFIXES
from reconciler.core.manifests import API_VERSION
from reconciler.core.model import Address, Live
from reconciler.core.settings import Settings
from reconciler.kinds.cluster import KIND as CLUSTER
from reconciler.kinds.daemon_live import describe as describe_daemons
from reconciler.kinds.live_base import Found
from reconciler.kinds.service import KIND as SERVICE
from reconciler.kinds.service_live import list_names
from reconciler.pipeline import Pipeline

HEADER = (
    "# Exported by `ecs-reconciler export` from live ECS. Review it, check it in, then `apply --adopt` takes\n"
    "# ownership; until then `plan` shows these resources as existing and unmanaged.\n"
)


def _neighbours(pipeline: Pipeline, live: Live) -> set[Address]:
    kinds, region = pipeline.kinds, pipeline.aws.region
    out = set(kinds.live_references(live, region=region))
    for kind in kinds.having(Claims):
        out.update(kind.referrers_of(live.address))
    return out


def _read_reachable(pipeline: Pipeline, found: Found) -> None:
    """Read, kind by kind in batches, everything reachable from what ``found`` holds."""
    frontier = {a for live in found.values() for a in _neighbours(pipeline, live)} - found.looked_up
    while frontier:
        for name in pipeline.kinds.names:
            addresses = sorted(a for a in frontier if a.kind == name)
            if addresses:
                new = pipeline.live[name].observe(pipeline.aws, addresses, found)
                found.update(new)
                found.looked_up.update(addresses)
        frontier = {a for live in found.values() for a in _neighbours(pipeline, live)} - found.looked_up


def _document(pipeline: Pipeline, live: Live, found: Found) -> dict[str, Any] | None:
    exporter = pipeline.kinds.facet(live.address, Exports)
    spec = exporter.export(live, found, region=pipeline.aws.region) if exporter else None
    if spec is None:
        return None
    name = live.address.name
    return {"apiVersion": API_VERSION, "kind": live.address.kind, "metadata": {"name": name}, "spec": dict(spec)}


def export_manifests(
    pipeline: Pipeline, cluster_name: str, service_names: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """File name -> manifests for a live cluster and its services (all of them, and its daemons, when
    ``service_names`` is empty)."""
    found = Found()
    cluster = Address(CLUSTER.name, cluster_name)
    found.update(pipeline.live[CLUSTER.name].observe(pipeline.aws, [cluster], found))
    found.looked_up.add(cluster)
    if cluster not in found:
        raise PlanError(f"cluster {cluster_name!r} does not exist (or is INACTIVE)")
    names = service_names or list_names(pipeline.aws, [cluster_name])[cluster_name]
    addresses = [Address(SERVICE.name, n, cluster_name) for n in sorted(set(names))]
    if addresses:
        found.update(pipeline.live[SERVICE.name].observe(pipeline.aws, addresses, found))
        found.looked_up.update(addresses)
    missing = sorted(a.name for a in addresses if a not in found)
    if missing:
        raise PlanError(f"no ACTIVE service {', '.join(missing)} in cluster {cluster_name!r}")
    _read_reachable(pipeline, found)
    files: dict[str, list[dict[str, Any]]] = {}
    # The cluster's file holds what the cluster itself uses (its capacity providers), each before the cluster.
    uses = pipeline.kinds.live_references(found[cluster], region=pipeline.aws.region)
    written = {cluster} | {a for a in uses if a in found}
    ordered = sorted(written, key=pipeline.kinds.order)
    files[f"cluster-{cluster_name}.yaml"] = [
        doc for doc in (_document(pipeline, found[a], found) for a in ordered) if doc
    ]
    for service in addresses:
        reach, todo = {service}, [service]
        while todo:
            for neighbour in _neighbours(pipeline, found[todo.pop()]):
                if neighbour in found and neighbour not in reach and neighbour not in written:
                    reach.add(neighbour)
                    todo.append(neighbour)
        docs = [_document(pipeline, found[a], found) for a in sorted(reach, key=pipeline.kinds.order)]
        written |= reach
        files[f"service-{service.name}.yaml"] = [doc for doc in docs if doc]
    if not service_names:  # the whole cluster: its Managed Daemons too, each in its own file
        for daemon in describe_daemons(pipeline.aws, cluster_name, None).values():
            files[f"daemon-{daemon.address.name}.yaml"] = [doc for doc in [_document(pipeline, daemon, found)] if doc]
    return files


def write_files(directory: str, files: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """Write the manifests into ``directory``, refusing one that already holds manifests; returns the paths."""
    if os.path.isdir(directory) and any(name.endswith(MANIFEST_SUFFIXES) for name in os.listdir(directory)):
        raise PlanError(f"{directory} already holds manifests; export into a new or empty directory")
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, docs in files.items():
        path = os.path.join(directory, name)
        text = HEADER + "---\n".join(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True) for doc in docs)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths


def export(settings: Settings, *, embedded: bool, cluster: str, services: list[str], output: str) -> int:
    with open_pipeline(settings, embedded=embedded) as pipeline:
        files = export_manifests(pipeline, cluster, services)
    for path in write_files(output, files):
        print(f"wrote {path}")
    return EXIT_OK
