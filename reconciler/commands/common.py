"""What several commands share: the AWS boundary (real, or the embedded emulator) and writing output."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import replace

from reconciler.aws import Aws
from reconciler.core.errors import InvalidManifests, UsageError
from reconciler.core.settings import Settings
from reconciler.embedded import load_emulator
from reconciler.pipeline import Pipeline


@contextlib.contextmanager
def pipeline(settings: Settings, *, embedded: bool) -> Iterator[Pipeline]:
    """The pipeline for one command; with ``embedded``, backed by a fresh emulator for the command's lifetime."""
    if not embedded:
        stages = Pipeline(Aws(settings.aws), settings)
        stages.check_target()  # the wrong account or region: exit 1 before anything is read
        yield stages
        return
    embedded_aws = load_emulator()
    region = settings.aws.region or "us-east-1"
    with embedded_aws.start_emulator() as emulator:
        embedded_aws.seed_demo_network(region=region)
        if settings.daemon.lease.table:
            embedded_aws.seed_lease_table(emulator, settings.daemon.lease.table, region=region)
        print(f"Embedded AWS emulator on {emulator.endpoint_url} (no AWS account is used).", file=sys.stderr)
        settings = replace(settings, aws=replace(settings.aws, endpoint_url=emulator.endpoint_url, embedded=True))
        stages = Pipeline(Aws(settings.aws), settings)
        stages.check_target()
        yield stages


def print_errors(exc: InvalidManifests) -> None:
    print(f"Invalid manifests ({len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''}):", file=sys.stderr)
    for error in exc.errors:
        print(f"  {error}", file=sys.stderr)


def write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
    print(f"Plan written to {output}", file=sys.stderr)
