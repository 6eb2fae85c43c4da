"""`history PATH [SERVICE]`: per service, Express service and daemon declared in PATH (or only SERVICE, a selector as
for ``--target``), the deployments ECS still lists, oldest first: when each started, the git revision and task
definition it rolled out (its target service or daemon revision), its strategy and how it ended
(``reconciler.deployments.history``). Reads only.
``--format json`` gives the same per service. Exit 0, 1 error."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

from reconciler import rollout
from reconciler.commands import EXIT_OK
from reconciler.commands.common import open_pipeline
from reconciler.core.errors import UsageError
from reconciler.core.settings import Settings
from reconciler.deployments.history import as_json, history_of
from reconciler.pipeline import names

COLUMNS = ("STARTED", "STRATEGY", "OUTCOME", "STATUS", "TASK DEFINITION", "GIT REVISION", "DEPLOYMENT")


def services_history(path: str, settings: Settings, *, embedded: bool, service: str | None) -> list[dict[str, Any]]:
    """One entry per declared service (live or not), target by target, each with its deployments."""
    now = datetime.datetime.now(datetime.UTC)
    out: list[dict[str, Any]] = []
    with open_pipeline(settings, embedded=embedded) as pipeline:
        for part in pipeline.parts(path):
            services = [
                r
                for r in part.load().resources
                if rollout.has_rollouts(r.address) and (service is None or names(service, r.address))
            ]
            observed = part.pipeline.observe(services, prune=False).observed if services else {}
            for resource in services:
                live = observed.get(resource.address)
                entries = history_of(part.pipeline.aws, live, now=now) if live is not None else []
                out.append(
                    {
                        "target": part.target.name if not part.target.is_default else None,
                        "service": str(resource.address),
                        "live": live is not None,
                        "deployments": [as_json(e) for e in entries],
                    }
                )
    if service is not None and not out:
        raise UsageError(f"{service}: no such Service in the manifests")
    return out


def _row(deployment: dict[str, Any]) -> tuple[str, ...]:
    return (
        deployment["startedAt"] or "-",
        deployment["strategy"],
        deployment["outcome"],
        deployment["status"],
        deployment["taskDefinition"] or "-",
        (deployment["gitRevision"] or "-")[:12],
        deployment["deployment"].rsplit("/", 1)[-1],
    )


def render(services: list[dict[str, Any]]) -> str:
    """Each service's heading, then a table of its deployments, oldest first."""
    lines: list[str] = []
    for found in services:
        name = f"{found['target']}: {found['service']}" if found["target"] else found["service"]
        lines.append(name)
        if not found["live"]:
            lines.append("  not found live: no deployments")
        elif not found["deployments"]:
            lines.append("  ECS lists no deployments (its deployment controller is not ECS)")
        else:
            table = [COLUMNS, *(_row(d) for d in found["deployments"])]
            widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
            lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]
        lines.append("")
    return "\n".join(lines)


def history(path: str, settings: Settings, *, embedded: bool, service: str | None, output_format: str) -> int:
    found = services_history(path, settings, embedded=embedded, service=service)
    if output_format == "json":
        sys.stdout.write(json.dumps({"services": found}, indent=2) + "\n")
    else:
        sys.stdout.write(render(found))
    return EXIT_OK
