"""The command line: validate, plan, apply and export. Exit codes follow Terraform's -detailed-exitcode convention."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace

import structlog

from reconciler import engine, export, log, rollout
from reconciler.aws import Aws
from reconciler.core import cost, security
from reconciler.core.errors import InvalidManifests, ReconcilerError, UsageError
from reconciler.core.manifests import SsmReader, load_resources, load_var_file
from reconciler.core.model import Resource
from reconciler.core.plan import Plan
from reconciler.core.render import RENDERERS, finding_text, findings_heading, render_text, summary_line
from reconciler.core.settings import ApplySettings, DaemonSettings, LeaseSettings, SecuritySettings, Settings
from reconciler.core.variables import VARIABLE, merge_sources

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _manifest_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE", help="set ${KEY} (wins over --var-file)")
    p.add_argument(
        "--var-file",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML mapping of variables (wins over the environment; a later file wins over an earlier one)",
    )
    p.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="RULE=LEVEL",
        help=f"set a security rule's severity: {', '.join(security.SEVERITIES)} (repeatable)",
    )


def _aws_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", default=None, help="AWS region (default: the standard chain)")
    p.add_argument(
        "--embedded-aws",
        action="store_true",
        help="run against an in-process AWS emulator on 127.0.0.1 (no AWS account needed)",
    )


def _plan_options(p: argparse.ArgumentParser) -> None:
    _manifest_options(p)
    _aws_options(p)
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


def _keep_revisions(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-revisions",
        type=int,
        default=ApplySettings.keep_revisions,
        help="ACTIVE revisions kept per managed task definition family (default: %(default)s)",
    )


def _run_options(run: argparse.ArgumentParser) -> None:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-reconciler", description="Keep Amazon ECS equal to YAML manifests.")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("ECS_RECONCILER_LOG_LEVEL", "warning"),
        help="debug, info, warning or error (default: warning)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check manifests offline (no AWS calls); exit 0 valid, 1 invalid")
    _manifest_options(validate)
    validate.add_argument("--strict", action="store_true", help="also fail on any unsuppressed security warning")

    plan = commands.add_parser("plan", help="show what apply would change; exit 0 none, 2 changes, 1 error")
    _plan_options(plan)
    plan.add_argument("--format", choices=sorted(RENDERERS), default="text")
    plan.add_argument("--output", metavar="FILE", help="write the plan to FILE instead of standard output")

    apply = commands.add_parser("apply", help="make live ECS match the manifests; exit 0 converged, 1 error")
    _plan_options(apply)
    _keep_revisions(apply)
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

    exporter = commands.add_parser(
        "export", help="write manifests for a live cluster and its services (reads only); exit 0 written, 1 error"
    )
    exporter.add_argument("--cluster", required=True, help="the live cluster to export")
    exporter.add_argument(
        "--service", action="append", default=[], metavar="NAME", help="export only this service (repeatable)"
    )
    exporter.add_argument("--output", required=True, metavar="DIR", help="directory to write (new or empty)")
    _aws_options(exporter)

    run = commands.add_parser(
        "run", help="the operator: keep live ECS equal to PATH (a directory or git-sync's link) until SIGTERM"
    )
    _plan_options(run)
    _keep_revisions(run)
    _run_options(run)

    demo = commands.add_parser(
        "demo",
        help="the daemon on the embedded emulator: apply, a drift made out of band, its alert and heal; then exit",
    )
    demo.add_argument("path", nargs="?", default="manifests", help="manifests to use (default: %(default)s)")
    demo.set_defaults(embedded_aws=True, region=None)
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
        variables=_variables(args),
    )


def _security(args: argparse.Namespace) -> SecuritySettings:
    try:
        return SecuritySettings(security.parse_severities(getattr(args, "severity", [])))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


@contextlib.contextmanager
def _aws(args: argparse.Namespace) -> Iterator[Aws]:
    """The AWS boundary for a command; with --embedded-aws, backed by a fresh emulator for its lifetime."""
    options = ApplySettings(
        prune=getattr(args, "prune", False),
        adopt=getattr(args, "adopt", False),
        allow_replace=getattr(args, "allow_replace", False),
        max_deletions=getattr(args, "max_deletions", ApplySettings.max_deletions),
        keep_revisions=getattr(args, "keep_revisions", ApplySettings.keep_revisions),
        wait=getattr(args, "wait", ApplySettings.wait),
        wait_timeout=getattr(args, "wait_timeout", ApplySettings.wait_timeout),
    )
    settings = Settings(region=args.region, apply=options, security=_security(args), daemon=_daemon_settings(args))
    if not args.embedded_aws:
        yield Aws(settings)
        return
    from reconciler.embedded import seed_demo_network, seed_lease_table, start_emulator

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


def _variables(args: argparse.Namespace) -> dict[str, str]:
    """--var over --var-file over the process environment."""
    given = {}
    for pair in args.var:
        key, sep, value = pair.partition("=")
        if not sep or not VARIABLE.match(key) or ":" in key:
            raise UsageError(f"--var {pair!r}: expected KEY=VALUE with KEY a variable name")
        given[key] = value
    files = [load_var_file(path) for path in args.var_file]
    return merge_sources(cli=given, files=files, environment=os.environ)


def _load(args: argparse.Namespace, *, ssm: SsmReader | None = None) -> tuple[list[Resource], list[security.Finding]]:
    """The checked resources and their security findings; raises InvalidManifests (a malformed suppression too)."""
    resources = load_resources(args.path, variables=_variables(args), ssm=ssm)
    findings, errors = security.find_issues(resources, _security(args))
    if errors:
        raise InvalidManifests(errors)
    return resources, findings


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
    print(f"Plan written to {output}", file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    resources, findings = _load(args)
    print(f"{len(resources)} resources valid in {args.path}")
    if findings:
        print(findings_heading(findings) + ":")
        for finding in findings:
            print(f"  {finding_text(finding)}")
    failing = security.blocking(findings, strict=args.strict)
    if failing:
        print(f"{len(failing)} security finding{'s' if len(failing) != 1 else ''} fail validation", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _plan(args: argparse.Namespace) -> int:
    with _aws(args) as aws:
        resources, findings = _load(args, ssm=lambda names: engine.read_parameters(aws, names))
        the_plan, state = engine.plan(aws, resources, aws.settings.apply)
        costs = cost.estimate(the_plan, resources, state.live, prices=cost.load_prices(), region=aws.region)
    _write(RENDERERS[args.format](the_plan, findings=findings, cost=costs), args.output)
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
    with _aws(args) as aws:
        resources, findings = _load(args, ssm=lambda names: engine.read_parameters(aws, names))
        options = aws.settings.apply
        the_plan, state = engine.plan(aws, resources, options)
        sys.stdout.write(render_text(the_plan, findings=findings))
        failing = security.blocking(findings, strict=False)
        if failing and the_plan.actions:
            print(
                f"{len(failing)} security finding{'s' if len(failing) != 1 else ''} at severity error: "
                "apply refused, nothing was changed (fix them, suppress them with a reason, or lower --severity)",
                file=sys.stderr,
            )
            return EXIT_ERROR
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


def _export(args: argparse.Namespace) -> int:
    with _aws(args) as aws:
        files = export.export_manifests(aws, args.cluster, args.service)
    for path in export.write_files(args.output, files):
        print(f"wrote {path}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from reconciler.daemon.run import run

    with _aws(args) as aws:
        return run(args.path, aws, aws.settings)


def _demo(args: argparse.Namespace) -> int:
    from reconciler.daemon.demo import run_demo

    load_resources(args.path)
    with _aws(args) as aws:
        return run_demo(args.path, aws)


COMMANDS = {"validate": _validate, "plan": _plan, "apply": _apply, "export": _export, "run": _run, "demo": _demo}


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
