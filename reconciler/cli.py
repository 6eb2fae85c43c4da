"""The command line: validate, plan and apply. Exit codes follow Terraform's -detailed-exitcode convention."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace

import structlog

from reconciler import engine, log, rollout
from reconciler.aws import Aws
from reconciler.errors import InvalidManifests, ReconcilerError
from reconciler.manifests import load_resources
from reconciler.plan import Plan
from reconciler.render import RENDERERS, render_text, summary_line
from reconciler.settings import ApplySettings, Settings

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-reconciler", description="Keep Amazon ECS equal to YAML manifests.")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("ECS_RECONCILER_LOG_LEVEL", "warning"),
        help="debug, info, warning or error (default: warning)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check manifests offline (no AWS calls); exit 0 valid, 1 invalid")
    validate.add_argument("path")

    def aws_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("path")
        p.add_argument("--prune", action="store_true", help="delete managed resources no longer in the manifests")
        p.add_argument("--adopt", action="store_true", help="take ownership of same-named unmanaged resources")
        p.add_argument(
            "--allow-replace", action="store_true", help="allow changes that need a service deleted and re-created"
        )
        p.add_argument(
            "--max-deletions",
            type=int,
            default=ApplySettings.max_deletions,
            help="refuse a prune that would delete more than this (default: %(default)s)",
        )
        p.add_argument("--region", default=None, help="AWS region (default: the standard chain)")
        p.add_argument(
            "--embedded-aws",
            action="store_true",
            help="run against an in-process AWS emulator on 127.0.0.1 (no AWS account needed)",
        )

    plan = commands.add_parser("plan", help="show what apply would change; exit 0 none, 2 changes, 1 error")
    aws_options(plan)
    plan.add_argument("--format", choices=sorted(RENDERERS), default="text")

    apply = commands.add_parser("apply", help="make live ECS match the manifests; exit 0 converged, 1 error")
    aws_options(apply)
    apply.add_argument(
        "--keep-revisions",
        type=int,
        default=ApplySettings.keep_revisions,
        help="ACTIVE revisions kept per managed task definition family (default: %(default)s)",
    )
    apply.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=ApplySettings.wait,
        help="wait until every changed service has rolled out (default: wait; --no-wait to skip)",
    )
    apply.add_argument(
        "--wait-timeout",
        type=float,
        default=ApplySettings.wait_timeout,
        metavar="SECONDS",
        help="fail the apply when rollouts take longer (default: %(default)g)",
    )
    return parser


@contextlib.contextmanager
def _aws(args: argparse.Namespace) -> Iterator[Aws]:
    """The AWS boundary for a command; with --embedded-aws, backed by a fresh emulator for its lifetime."""
    options = ApplySettings(
        prune=args.prune,
        adopt=args.adopt,
        allow_replace=args.allow_replace,
        max_deletions=args.max_deletions,
        keep_revisions=getattr(args, "keep_revisions", ApplySettings.keep_revisions),
        wait=getattr(args, "wait", ApplySettings.wait),
        wait_timeout=getattr(args, "wait_timeout", ApplySettings.wait_timeout),
    )
    settings = Settings(region=args.region, apply=options)
    if not args.embedded_aws:
        yield Aws(settings)
        return
    from reconciler.emulator import seed_demo_network, start_emulator

    with start_emulator() as emulator:
        seed_demo_network(region=args.region or "us-east-1")
        print(f"Embedded AWS emulator on {emulator.endpoint_url} (no AWS account is used).", file=sys.stderr)
        yield Aws(replace(settings, endpoint_url=emulator.endpoint_url, embedded=True))


def _print_errors(exc: InvalidManifests) -> None:
    print(f"Invalid manifests ({len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''}):", file=sys.stderr)
    for error in exc.errors:
        print(f"  {error}", file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    resources = load_resources(args.path)
    print(f"{len(resources)} resources valid in {args.path}")
    return EXIT_OK


def _plan(args: argparse.Namespace) -> int:
    resources = load_resources(args.path)
    with _aws(args) as aws:
        the_plan, _ = engine.plan(aws, resources, aws.settings.apply)
    sys.stdout.write(RENDERERS[args.format](the_plan))
    return EXIT_CHANGES if the_plan.pending else EXIT_OK


def _report_outcomes(outcomes: list[engine.Outcome]) -> bool:
    ok = True
    for outcome in outcomes:
        if outcome.status != "done":
            ok = False
            print(
                f"{outcome.status}: {outcome.action.action} {outcome.action.address}"
                + (f": {outcome.error}" if outcome.error else ""),
                file=sys.stderr,
            )
    return ok


def _apply(args: argparse.Namespace) -> int:
    resources = load_resources(args.path)
    with _aws(args) as aws:
        options = aws.settings.apply
        the_plan, state = engine.plan(aws, resources, options)
        sys.stdout.write(render_text(the_plan))
        if not the_plan.actions:
            return EXIT_ERROR if the_plan.pending else EXIT_OK
        outcomes = engine.apply(aws, the_plan, state, options)
        if not _report_outcomes(outcomes):
            return EXIT_ERROR
        print(f"\nApplied: {summary_line(the_plan)}.")
        if options.wait and not _wait_for_rollouts(aws, outcomes, options):
            return EXIT_ERROR
        after: Plan = engine.plan(aws, resources, options)[0]
    print("\nPlan after apply:")
    sys.stdout.write(render_text(after))
    return EXIT_ERROR if after.pending else EXIT_OK


def _wait_for_rollouts(aws: Aws, outcomes: list[engine.Outcome], options: ApplySettings) -> bool:
    """Wait for every service this apply created, updated or replaced; print why a rollout did not finish."""
    services = [
        o.action.address
        for o in outcomes
        if o.status == "done" and o.action.address.kind == "Service" and o.action.action != "delete"
    ]
    if not services:
        return True
    print(f"Waiting for {len(services)} service rollout(s) (up to {options.wait_timeout:g}s)...", file=sys.stderr)
    display = rollout.Display(services)
    results = rollout.wait_for(aws, services, timeout=options.wait_timeout, poll=options.wait_poll, report=display)
    failed = [p for p in results if p.state != "completed"]
    for progress in failed:
        print(f"Rollout {progress.state}: {progress.address}: {progress.detail}", file=sys.stderr)
        if progress.events:
            print("  Recent events:", file=sys.stderr)
            for event in progress.events:
                print(f"    {event}", file=sys.stderr)
    if not failed:
        print(f"Rolled out: {', '.join(str(a) for a in services)}.")
    return not failed


COMMANDS = {"validate": _validate, "plan": _plan, "apply": _apply}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    log.configure(level=args.log_level)
    try:
        return COMMANDS[args.command](args)
    except InvalidManifests as exc:
        _print_errors(exc)
    except ReconcilerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
    structlog.get_logger("reconciler").debug("exit with error")
    return EXIT_ERROR
