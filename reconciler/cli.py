"""The command line: validate, plan and apply. Exit codes follow Terraform's -detailed-exitcode convention."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace

import structlog

from reconciler import engine, log
from reconciler.aws import Aws
from reconciler.errors import InvalidManifests, ReconcilerError
from reconciler.manifests import load_resources
from reconciler.plan import Plan
from reconciler.render import RENDERERS, render_text, summary_line
from reconciler.settings import ApplySettings, DaemonSettings, LeaseSettings, Settings

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

    def keep_revisions(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--keep-revisions",
            type=int,
            default=ApplySettings.keep_revisions,
            help="ACTIVE revisions kept per managed task definition family (default: %(default)s)",
        )

    apply = commands.add_parser("apply", help="make live ECS match the manifests; exit 0 converged, 1 error")
    aws_options(apply)
    keep_revisions(apply)

    run = commands.add_parser(
        "run", help="the operator: keep live ECS equal to PATH (a directory or git-sync's link) until SIGTERM"
    )
    aws_options(run)
    keep_revisions(run)
    daemon, lease = DaemonSettings(), LeaseSettings()
    run.add_argument(
        "--mode",
        choices=["enforce", "detect"],
        default=daemon.mode,
        help="enforce applies, detect only plans and alerts (default: %(default)s)",
    )
    run.add_argument(
        "--resync-interval",
        type=float,
        default=daemon.resync_interval,
        metavar="SECONDS",
        help="full pass at least this often, to catch drift (default: %(default)s)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=daemon.metrics_port,
        metavar="PORT",
        help="serve /metrics, /healthz and /readyz on this port (0: any free port; default: off)",
    )
    run.add_argument("--alert-sns-topic", default=None, metavar="ARN", help="publish alerts to this SNS topic")
    run.add_argument("--alert-webhook", default=None, metavar="URL", help="POST alerts as Slack-compatible JSON")
    run.add_argument(
        "--lease-table",
        default=None,
        metavar="NAME",
        help="elect a leader through this DynamoDB table (partition key 'name', a string)",
    )
    run.add_argument("--lease-name", default=lease.name, help="the lease's key in the table (default: %(default)s)")
    run.add_argument(
        "--lease-duration",
        type=float,
        default=lease.duration,
        metavar="SECONDS",
        help="a dead leader is replaced within about this long (default: %(default)s)",
    )
    run.add_argument(
        "--lease-renew",
        type=float,
        default=lease.renew_period,
        metavar="SECONDS",
        help="renewal period of the lease (default: %(default)s)",
    )
    demo = commands.add_parser(
        "demo",
        help="the daemon on the embedded emulator: apply, a drift made out of band, its alert and heal; then exit",
    )
    demo.add_argument("path", nargs="?", default="manifests", help="manifests to use (default: %(default)s)")
    demo.set_defaults(
        embedded_aws=True,
        prune=False,
        adopt=False,
        allow_replace=False,
        region=None,
        max_deletions=ApplySettings.max_deletions,
    )
    return parser


def _daemon_settings(args: argparse.Namespace) -> DaemonSettings:
    if args.command != "run":
        return DaemonSettings()
    return DaemonSettings(
        mode=args.mode,
        resync_interval=args.resync_interval,
        metrics_port=args.metrics_port,
        alert_sns_topic=args.alert_sns_topic,
        alert_webhook=args.alert_webhook,
        lease=LeaseSettings(
            table=args.lease_table, name=args.lease_name, duration=args.lease_duration, renew_period=args.lease_renew
        ),
    )


@contextlib.contextmanager
def _aws(args: argparse.Namespace) -> Iterator[Aws]:
    """The AWS boundary for a command; with --embedded-aws, backed by a fresh emulator for its lifetime."""
    options = ApplySettings(
        prune=args.prune,
        adopt=args.adopt,
        allow_replace=args.allow_replace,
        max_deletions=args.max_deletions,
        keep_revisions=getattr(args, "keep_revisions", ApplySettings.keep_revisions),
    )
    settings = Settings(region=args.region, apply=options, daemon=_daemon_settings(args))
    if not args.embedded_aws:
        yield Aws(settings)
        return
    from reconciler.emulator import seed_demo_network, seed_lease_table, start_emulator

    with start_emulator() as emulator:
        seed_demo_network(region=args.region or "us-east-1")
        if settings.daemon.lease.table:
            seed_lease_table(emulator, settings.daemon.lease.table, region=args.region or "us-east-1")
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
        after: Plan = engine.plan(aws, resources, options)[0]
    print("\nPlan after apply:")
    sys.stdout.write(render_text(after))
    return EXIT_ERROR if after.pending else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from reconciler.daemon.run import run

    with _aws(args) as aws:
        return run(args.path, aws, aws.settings)


def _demo(args: argparse.Namespace) -> int:
    from reconciler.daemon.demo import run_demo

    load_resources(args.path)
    with _aws(args) as aws:
        return run_demo(args.path, aws)


COMMANDS = {"validate": _validate, "plan": _plan, "apply": _apply, "run": _run, "demo": _demo}


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
