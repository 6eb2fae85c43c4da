"""`validate`: the offline half of the pipeline (no AWS call); exit 0 valid, 1 invalid. A reference to an undeclared
name close to a declared one is a warning (an error with ``--strict``)."""

from __future__ import annotations

import sys

from reconciler.aws import known_regions
from reconciler.commands import EXIT_ERROR, EXIT_OK
from reconciler.commands.common import colour_wanted, require_manifests
from reconciler.core.errors import InvalidManifests
from reconciler.core.loader import Limits
from reconciler.core.manifests import misnamed_references, read_documents
from reconciler.core.render import finding_text, findings_heading, paint
from reconciler.core.security import blocking, find_issues
from reconciler.core.settings import Settings
from reconciler.core.targets import check_offline, split
from reconciler.kinds import KINDS


def validate(path: str, settings: Settings, *, strict: bool) -> int:
    documents, load_errors = read_documents(path, limits=Limits(max_files=settings.manifests.max_files))
    parts = split(documents, settings.variables, regions=known_regions())
    by_target = check_offline(parts, load_errors, KINDS, settings.variables)
    resources = [r for found in by_target.values() for r in found]
    require_manifests(path, resources)
    findings, errors = [], []
    for found in by_target.values():
        more, problems = find_issues(found, settings.security, KINDS)
        findings += more
        errors += problems
    if errors:
        raise InvalidManifests(errors)
    regions = {t.name: t.region for t in parts.targets}
    misnamed = [e for name, found in by_target.items() for e in misnamed_references(found, KINDS, region=regions[name])]
    if misnamed and strict:
        raise InvalidManifests(misnamed)
    for warning in misnamed:
        print(f"Warning: {warning}", file=sys.stderr)
    counts = f" ({', '.join(f'{name}: {len(found)}' for name, found in by_target.items())})" if parts.several else ""
    print(f"{len(resources)} resources valid in {path}{counts}")
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
