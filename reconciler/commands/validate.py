"""`validate`: the offline stages of the pipeline (no AWS call); exit 0 valid, 1 invalid."""

from __future__ import annotations

import sys

from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import colour_wanted, require_manifests
from reconciler.core.errors import InvalidManifests
from reconciler.core.loader import Limits
from reconciler.core.manifests import load_resources
from reconciler.core.render import finding_text, findings_heading, paint
from reconciler.core.security import blocking, find_issues
from reconciler.core.settings import Settings
from reconciler.kinds import KINDS


def validate(path: str, settings: Settings, *, strict: bool) -> int:
    resources = load_resources(
        path, KINDS, variables=settings.variables, limits=Limits(max_files=settings.manifests.max_files)
    )
    require_manifests(path, resources)
    findings, errors = find_issues(resources, settings.security, KINDS)
    if errors:
        raise InvalidManifests(errors)
    print(f"{len(resources)} resources valid in {path}")
    if findings:
        print(findings_heading(findings) + ":")
        colour = colour_wanted()
        for finding in findings:
            print("  " + paint(finding_text(finding), "finding", colour and finding.suppressed is None))
    failing = blocking(findings, strict=strict)
    if failing:
        print(f"{len(failing)} security finding{'s' if len(failing) != 1 else ''} fail validation", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
