"""What several commands share: the AWS boundary (real, or the embedded emulator) and writing output."""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import resources

from reconciler.aws import Aws, known_regions
from reconciler.core import cost, prices
from reconciler.core.errors import InvalidManifests, UsageError
from reconciler.core.model import Resource
from reconciler.core.render import PlanPart, Where
from reconciler.core.settings import Settings
from reconciler.embedded import Discovered, load_emulator, running_emulator
from reconciler.pipeline import Loaded, Pipeline, Planned, names, narrowed

EMBEDDED_REGION = "us-east-1"


def check_region(region: str) -> None:
    """A region AWS does not have (``us-east1``) is a usage error, before any call is attempted."""
    regions = known_regions()
    if not regions or region in regions:
        return
    import difflib

    close = difflib.get_close_matches(region, sorted(regions), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UsageError(f"region {region!r} is not an AWS region{hint}")


@contextlib.contextmanager
def open_pipeline(settings: Settings, *, embedded: bool, reuse: bool = True) -> Iterator[Pipeline]:
    """The pipeline for one command. With ``embedded``: the running ``ecs-reconciler emulator`` that
    ``settings.aws.emulator`` names, else the only one running (and ``reuse``; ``reconciler.embedded``), else a fresh
    emulator for the command's lifetime. Each says which it uses."""
    if not embedded:
        aws = Aws(settings.aws)
        check_region(aws.region)
        pipeline = Pipeline(aws, settings)
        pipeline.check_target()  # the wrong account or region: exit 1 before anything is read
        yield pipeline
        return
    region = settings.aws.region or EMBEDDED_REGION
    check_region(region)
    found = running_emulator(settings.aws.emulator) if reuse else Discovered(None)
    for stopped in found.stopped:
        print(
            f"Warning: the AWS emulator {stopped} has stopped; this command runs on a fresh, empty emulator of its "
            "own" + (f" (`ecs-reconciler emulator --state {stopped.state}` carries on)." if stopped.state else "."),
            file=sys.stderr,
        )
    if found.running is not None:
        url = found.running.url
        kept = found.running.kept
        print(f"Using the running AWS emulator at {url} ({kept}; no AWS account is used).", file=sys.stderr)
        if settings.daemon.lease.table:
            running = types.SimpleNamespace(endpoint_url=url)
            load_emulator().seed_lease_table(running, settings.daemon.lease.table, region=region)
        settings = replace(settings, aws=replace(settings.aws, endpoint_url=url, embedded=True))
        pipeline = Pipeline(Aws(settings.aws), settings)
        pipeline.check_target()
        yield pipeline
        return
    embedded_aws = load_emulator()
    with embedded_aws.start_emulator() as emulator:
        embedded_aws.seed_demo_network(region=region)
        if settings.daemon.lease.table:
            embedded_aws.seed_lease_table(emulator, settings.daemon.lease.table, region=region)
        print(
            f"Embedded AWS emulator on {emulator.endpoint_url} for this command only (no AWS account is used; "
            "`ecs-reconciler emulator` keeps one running across commands).",
            file=sys.stderr,
        )
        settings = replace(settings, aws=replace(settings.aws, endpoint_url=emulator.endpoint_url, embedded=True))
        pipeline = Pipeline(Aws(settings.aws), settings)
        pipeline.check_target()
        yield pipeline


def example_manifests() -> str:
    """The example manifest set shipped inside the package (``demo`` without a path)."""
    return str(resources.files("reconciler") / "examples" / "manifests")


def require_manifests(path: str, found: Sequence[Resource]) -> None:
    """An empty manifest set is a usage error: a typo'd directory must not look like "nothing to do"."""
    if not found:
        raise UsageError(f"no manifests found in {path} (looked for *.yaml and *.yml files)")


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


def colour_wanted(stream: object = None) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def where_of(pipeline: Pipeline, *, instance: str | None = None) -> Where:
    """The target, account (STS GetCallerIdentity, which needs no permission) and region a pipeline serves, and
    the instance a plan is made as."""
    target = pipeline.target
    return Where(pipeline.aws.account(), pipeline.aws.region, None if target.is_default else target.name, instance)


@dataclass(frozen=True)
class PlannedPart:
    """One target's plan, with where it was made."""

    pipeline: Pipeline
    planned: Planned
    where: Where


def plan_parts(pipeline: Pipeline, path: str, selectors: Sequence[str]) -> list[PlannedPart]:
    """Load every target's manifests (a non-empty set, all checked before any target is read), narrow to
    ``selectors`` (``--target KIND/NAME``) and what they reference, and plan each target."""
    if selectors and pipeline.settings.apply.prune:
        raise UsageError("--target cannot be combined with --prune: every resource not selected would be pruned")
    loaded = [(part, part.load()) for part in pipeline.parts(path)]
    require_manifests(path, [r for _, one in loaded for r in one.resources])
    for selector in selectors:
        if not any(names(selector, r.address) for _, one in loaded for r in one.resources):
            raise UsageError(f"--target {selector}: no such resource in the manifests")
    chosen = []
    for part, one in loaded:
        mine = [s for s in selectors if any(names(s, r.address) for r in one.resources)]
        if not selectors or mine:
            chosen.append((part.pipeline, narrowed(one, mine, pipeline.kinds, region=part.pipeline.aws.region)))

    def plan_one(item: tuple[Pipeline, Loaded]) -> PlannedPart:
        return PlannedPart(item[0], item[0].plan(item[1]), where_of(item[0], instance=item[1].instance.name))

    if len(chosen) <= 1:
        return [plan_one(item) for item in chosen]
    # Targets draw on AWS request buckets of their own (per account and region): read side by side.
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        return list(pool.map(plan_one, chosen))


TARGETED_PLAN = (
    "Warning: resource targeting is in effect. This plan covers only {selected} and what they reference, so it may "
    "be incomplete: it may not show every change the manifests ask for. --target is for exceptional situations "
    "(recovering from a mistake or an error), not for routine use."
)
TARGETED_APPLY = (
    "Warning: applied changes may be incomplete. The plan was made with --target, so changes the manifests ask for "
    "elsewhere were left out. Run `ecs-reconciler plan {path}` without --target to see whether others are pending."
)


def targeting_warning(selectors: Sequence[str]) -> list[str]:
    """Terraform's warning on a targeted plan (none without ``--target``)."""
    return [TARGETED_PLAN.format(selected=", ".join(selectors))] if selectors else []


def shown_parts(planned: Sequence[PlannedPart], selectors: Sequence[str] = ()) -> list[PlanPart]:
    """What `plan`, `apply` and `show` print of each target's plan: the plan, its findings, its cost (partial when
    targeted) and the targeting warning."""
    tables = prices.load_prices()
    return [
        PlanPart(
            one.planned.plan,
            one.planned.loaded.findings,
            cost.estimate(
                one.planned.plan,
                one.planned.loaded.resources,
                one.planned.state.live,
                one.pipeline.kinds,
                prices=tables,
                region=one.pipeline.aws.region,
                partial=bool(selectors),
            ),
            one.where,
            targeting_warning(selectors),
        )
        for one in planned
    ]
