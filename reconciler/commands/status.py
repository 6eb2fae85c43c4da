"""`status`: where each declared resource stands, from live AWS with read access only (no daemon needed): in sync,
drifted or suspended, and whose it is (this instance, another instance NAME, unmanaged); for services, desired vs
running, the deployment (ECS's current ServiceDeployment, read in batches: strategy, status, lifecycle stage,
traffic shifted, a PAUSE hook awaiting approval with its expiry, the alarms that fired, ECS's rollback), the task
definition and the git revision it was applied from (the revision tag); for an Express service, what ECS manages
for it (load balancer, security groups, scaling, alarms, log group) and each one's status. ``--format json`` gives
the same per resource, the deployment under ``deployment``, ECS's resources under ``ecsManaged``; with
``--lease-table``, which replica of `run` holds each target (``leases``). Exit 0 everything in sync and rolled out
(and ECS's resources ACTIVE), 2 otherwise, 1 error."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Mapping
from typing import Any

from reconciler import rollout
from reconciler.commands import EXIT_CHANGES, EXIT_OK
from reconciler.commands.common import open_pipeline, plan_parts
from reconciler.core.diff import tag_map
from reconciler.core.instance import Instance
from reconciler.core.kind import Registry
from reconciler.core.model import Live
from reconciler.core.plan import SUSPEND_ANNOTATION
from reconciler.core.settings import Settings
from reconciler.core.tags import LEGACY_OWNER, REVISION_TAG_KEY, ownership
from reconciler.daemon.replicas import leases_of
from reconciler.deployments import readers
from reconciler.deployments.stages import Deployment, status_entry
from reconciler.kinds.express_service import managed_summary
from reconciler.pipeline import Planned

COLUMNS = ("RESOURCE", "STATE", "OWNER", "DRIFT", "RUNNING/DESIRED", "DEPLOYMENT", "TASK DEFINITION", "REVISION")


def whose(live: Live, instance: Instance) -> str:
    """Whose a live resource is: ``this instance`` (names it took over included), ``instance NAME`` (another
    ecs-reconciler instance's) or ``unmanaged`` (no managed-by tag)."""
    owner = ownership(live.owner, managed=live.managed, instance=instance.name, former=instance.former | {LEGACY_OWNER})
    if owner == "other":
        return f"instance {live.owner}"
    return "unmanaged" if owner == "unmanaged" else "this instance"


def entries_for(
    path: str, settings: Settings, *, embedded: bool, leases: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One entry per declared resource, target by target, in the plan's order; with a lease table, ``leases``
    gets who holds each target."""
    with open_pipeline(settings, embedded=embedded) as pipeline:
        parts = plan_parts(pipeline, path, ())
        out: list[dict[str, Any]] = []
        for part in parts:
            observed = part.planned.state.observed
            bodies = {a: live.body for a, live in observed.items() if rollout.has_rollouts(a)}
            deployments = readers.current(part.pipeline.aws, bodies)
            out += _entries(part.planned, part.pipeline.kinds, part.where.target, deployments)
        lease = settings.daemon.lease
        if lease.table and leases is not None and parts:
            targets = [p.where.target for p in parts]
            leases.update(leases_of(pipeline.aws, lease, parts[0].planned.loaded.instance.name, targets))
    return out


def render_leases(leases: dict[str, Any]) -> str:
    """Who holds each target, and the live replicas."""
    lines = [f"\nreplicas sharing the lease table: {', '.join(leases['replicas']) or 'none live'}"]
    for target, held in leases["targets"].items():
        by = f"held by {held['holder']} (epoch {held['epoch']})" if held else "not held"
        lines.append(f"  target {target}: {by}")
    return "\n".join(lines) + "\n"


def _entries(
    planned: Planned, kinds: Registry, target: str | None, deployments: dict[Any, Deployment]
) -> list[dict[str, Any]]:
    loaded, the_plan = planned.loaded, planned.plan
    changing = {a.address: a for a in (*the_plan.actions, *the_plan.held)}
    unmanaged = {n.address for n in the_plan.notes if n.blocking}
    now = datetime.datetime.now(datetime.UTC)
    entries: list[dict[str, Any]] = []
    for resource in sorted(loaded.resources, key=lambda r: kinds.order(r.address)):
        address = resource.address
        live = planned.state.observed.get(address)
        action = changing.get(address)
        owner = whose(live, loaded.instance) if live is not None else None
        if live is None:
            state = "missing"
        elif address in unmanaged:
            state = "unmanaged" if owner == "unmanaged" else "another instance's"
        elif SUSPEND_ANNOTATION in resource.annotations:
            state = "suspended"
        else:
            state = "drifted" if action is not None else "in sync"
        entry: dict[str, Any] = {
            "target": target,
            "resource": str(address),
            "kind": address.kind,
            "name": address.name,
            "scope": address.scope,
            "state": state,
            "owner": owner,
            "managedBy": live.owner if live is not None else None,
            "drift": action is not None or address in unmanaged,
            "revision": tag_map(live.body.get("tags")).get(REVISION_TAG_KEY) if live is not None else None,
        }
        if live is not None and rollout.has_rollouts(address):
            deployment = deployments.get(address)
            progress = rollout.assess(address, live.body, deployment, now=now)
            entry.update(
                running=int(live.body.get("runningCount", 0)),
                desired=int(live.body.get("desiredCount", 0)),
                rollout=progress.state,
                rolloutDetail=progress.detail,
                taskDefinition=rollout.task_definition_of(live.body),
                deployment=None if deployment is None else status_entry(deployment, progress.state, progress.detail),
            )
        if live is not None and "ecsManagedResources" in live.body:
            # What ECS created and manages for the resource (an Express service): reported, never diffed.
            entry.update(
                running=int(live.body.get("runningCount", 0)),
                desired=int(live.body.get("desiredCount", 0)),
                ecsManaged=managed_summary(live.body),
            )
        if live is not None and "daemonDeployment" in live.body:
            entry.update(_daemon_entry(live.body))  # its instances, not tasks
        entries.append(entry)
    return entries


def _daemon_entry(body: Mapping[str, Any]) -> dict[str, Any]:
    """A daemon's instances (running its task / not yet) and its current daemon deployment as ECS answers it."""
    found = body["daemonDeployment"]
    keep = ("daemonDeploymentArn", "status", "statusReason", "circuitBreaker", "alarms", "rollback", "finishedAt")
    return {
        "running": body.get("runningCount", 0),
        "desired": body.get("runningCount", 0) + body.get("withoutDaemonCount", 0),
        "daemonDeployment": {k: found[k] for k in keep if k in found},
    }


def _managed_lines(entries: list[dict[str, Any]]) -> str:
    """Below the table: what ECS manages for each resource that has such resources, one line each."""
    out = []
    for entry in entries:
        if entry.get("ecsManaged"):
            out.append(f"{entry['resource']}: managed by ECS (not diffed, not pruned)\n")
            out += [f"  {line}\n" for line in entry["ecsManaged"]]
    return "".join(out)


def _row(entry: dict[str, Any]) -> tuple[str, ...]:
    name = f"{entry['target']}: {entry['resource']}" if entry["target"] else entry["resource"]
    running = f"{entry['running']}/{entry['desired']}" if "running" in entry else "-"
    deployment = "-"
    if "rollout" in entry:
        deployment = _deployment_cell(entry["rollout"], entry["rolloutDetail"], entry.get("deployment"))
    drift = "yes" if entry["drift"] else "no"
    return (
        name,
        entry["state"],
        entry["owner"] or "-",
        drift,
        running,
        deployment,
        entry.get("taskDefinition") or "-",
        entry["revision"] or "-",
    )


def _deployment_cell(state: str, detail: str, found: dict[str, Any] | None) -> str:
    """``completed``, ``CANARY PRODUCTION_TRAFFIC_SHIFT``, ``CANARY paused at ... until ...``, ``failed: ...``."""
    if found is None or state == "completed":
        return state if state != "waiting" else detail.split(":", 1)[0]
    if found["awaitingApproval"]:
        return f"{found['strategy']} paused at {found['stage']} until {found['awaitingApproval']['expiresAt']}"
    if state == "failed":
        return f"failed: {found['strategy']} {found['status']}"
    return f"{found['strategy']} {found['stage'] or found['status']}"


def render(rows: list[tuple[str, ...]]) -> str:
    table = [COLUMNS, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in table
    )


def status(path: str, settings: Settings, *, embedded: bool, output_format: str = "text") -> int:
    leases: dict[str, Any] = {}
    entries = entries_for(path, settings, embedded=embedded, leases=leases)
    if output_format == "json":
        found = {"leases": leases} if settings.daemon.lease.table else {}
        sys.stdout.write(json.dumps({"resources": entries, **found}, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render([_row(e) for e in entries]) + _managed_lines(entries))
        if settings.daemon.lease.table:
            sys.stdout.write(render_leases(leases))
    settled = all(
        e["state"] in ("in sync", "suspended")
        and not e["drift"]
        and e.get("rollout", "completed") == "completed"
        and all(line.endswith(": ACTIVE") for line in e.get("ecsManaged", []))
        for e in entries
    )
    return EXIT_OK if settled else EXIT_CHANGES
