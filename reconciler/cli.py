"""The command line: parses arguments (``reconciler.parser``), builds the settings tree once, and hands them to one
module per command (``reconciler.commands``). Exit codes follow Terraform's -detailed-exitcode convention."""

from __future__ import annotations

import argparse
import os
import sys
import typing
from collections.abc import Callable, Sequence

import structlog

from reconciler import log
from reconciler.commands import EXIT_ERROR
from reconciler.commands.common import print_errors
from reconciler.core import security
from reconciler.core.error_document import error_json
from reconciler.core.errors import InvalidManifests, ReconcilerError, UsageError
from reconciler.core.instance import NAME_RULE
from reconciler.core.manifests import load_var_file
from reconciler.core.redact import Masker, is_sensitive
from reconciler.core.settings import (
    ApplySettings,
    AwsSettings,
    DaemonSettings,
    HttpSettings,
    LeaseSettings,
    ManifestSettings,
    PaceSettings,
    SecuritySettings,
    Settings,
    WatchSettings,
)
from reconciler.core.tags import INSTANCE_PATTERN
from reconciler.core.variables import VARIABLE, merge_sources
from reconciler.parser import build_parser, wants_json


def _instance(args: argparse.Namespace) -> str | None:
    given = getattr(args, "instance", None)
    if given is not None and not INSTANCE_PATTERN.match(given):
        raise UsageError(f"--instance {given!r}: {NAME_RULE}")
    return None if given is None else str(given)


def _variables(args: argparse.Namespace) -> tuple[dict[str, str], frozenset[str]]:
    """--var over --var-file over ECSR_VAR_<NAME> environment variables (no other variable is ever read), and the
    names of the sensitive ones: declared so in a var file, or named like a credential."""
    given = {}
    for pair in getattr(args, "var", []):
        key, sep, value = pair.partition("=")
        if not sep or not VARIABLE.match(key) or ":" in key:
            raise UsageError(f"--var {pair.partition('=')[0]!r}: expected KEY=VALUE with KEY a variable name")
        given[key] = value
    files = [load_var_file(path) for path in getattr(args, "var_file", [])]
    merged = merge_sources(cli=given, files=[f.values for f in files], environment=os.environ)
    declared = frozenset().union(*(f.sensitive for f in files))
    return merged, declared | {name for name in merged if is_sensitive(name)}


SAVED_PLAN_FIXES = ("target", "prune", "adopt", "allow_replace", "instance", "max_deletions")
"""Options a saved plan records: ``apply PLANFILE`` takes them from the file, never from the command line."""


def _saved_plan(args: argparse.Namespace) -> None:
    """``apply PLANFILE`` and ``show PLANFILE``: the plan's own var files unless others are given; an option the
    plan records, given again, is a usage error (the plan applies as it was made)."""
    from reconciler.commands import planfile

    if args.command not in ("apply", "show"):
        return
    saved = planfile.read(args.path)
    if saved is None:
        return
    defaults = build_parser().parse_args(["apply", args.path])
    given = [n for n in SAVED_PLAN_FIXES if hasattr(args, n) and getattr(args, n) != getattr(defaults, n)]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(f"{option} cannot be given with a saved plan: {args.path} applies with the options it records")
    if not args.var_file:
        args.var_file = list(saved.var_files)


def _pace() -> PaceSettings:
    """``ECS_RECONCILER_API_SHARE`` (0.01 to 1): the fraction of AWS's documented request buckets the tool may use."""
    share = os.environ.get("ECS_RECONCILER_API_SHARE", "")
    try:
        return PaceSettings(share=float(share)) if share else PaceSettings()
    except ValueError as exc:
        raise UsageError(f"ECS_RECONCILER_API_SHARE must be a number between 0.01 and 1, not {share!r}") from exc


ALERT_SINKS = {"sns": "alert_sns_topic", "webhook": "alert_webhook", "slack": "alert_slack_webhook",
               "teams": "alert_teams_webhook"}  # fmt: skip
"""Each sink ``--alert-events`` may name, and the option that configures it."""
FAILURES = frozenset({"invalid", "refused", "rollout_failed", "rollback", "apply_failed", "error"})


def alert_events(args: argparse.Namespace) -> tuple[tuple[str, frozenset[str]], ...]:
    """``--alert-events SINK=KIND,...``: each sink named once, configured, and given known kinds (or 'failures')."""
    from reconciler.daemon.alerts import AlertKind

    known = set(typing.get_args(AlertKind))
    chosen: dict[str, frozenset[str]] = {}
    for given in args.alert_events:
        sink, sep, listed = given.partition("=")
        kinds = {k.strip() for k in listed.split(",") if k.strip()}
        if not sep or sink not in ALERT_SINKS or not kinds:
            raise UsageError(
                f"--alert-events {given!r}: expected SINK=KIND,... with SINK one of {', '.join(ALERT_SINKS)}"
            )
        if getattr(args, ALERT_SINKS[sink]) is None:
            raise UsageError(
                f"--alert-events {given!r}: no {sink} sink is configured (--{ALERT_SINKS[sink].replace('_', '-')})"
            )
        unknown = sorted(kinds - known - {"failures"})
        if unknown:
            raise UsageError(
                f"--alert-events {given!r}: unknown alert kind {unknown[0]!r} "
                f"(known: failures, {', '.join(sorted(known))})"
            )
        if sink in chosen:
            raise UsageError(f"--alert-events: {sink} is named twice")
        chosen[sink] = frozenset((kinds - {"failures"}) | (FAILURES if "failures" in kinds else set()))
    return tuple(sorted(chosen.items()))


def settings_from(args: argparse.Namespace) -> Settings:
    """The one settings tree for a command, from its arguments."""
    try:
        severities = security.parse_severities(getattr(args, "severity", []))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    variables, sensitive = _variables(args)
    apply = ApplySettings(
        prune=getattr(args, "prune", False),
        adopt=getattr(args, "adopt", False),
        allow_replace=getattr(args, "allow_replace", False),
        max_deletions=getattr(args, "max_deletions", ApplySettings.max_deletions),
        keep_revisions=getattr(args, "keep_revisions", ApplySettings.keep_revisions),
        wait=getattr(args, "wait", ApplySettings.wait),
        wait_timeout=getattr(args, "wait_timeout", ApplySettings.wait_timeout),
    )
    daemon = DaemonSettings()
    if args.command == "status" and args.lease_table:
        daemon = DaemonSettings(lease=LeaseSettings(table=args.lease_table, name=args.lease_name))
    if args.command == "run":
        for option in ("alert_webhook", "alert_slack_webhook", "alert_teams_webhook", "console_url"):
            if getattr(args, option) is not None:
                from reconciler.daemon.webhook import check_url  # webhook delivery: only when a URL is given

                check_url(getattr(args, option), option="--" + option.replace("_", "-"))
        daemon = DaemonSettings(
            mode=args.mode,
            resync_interval=args.resync_interval,
            watch=WatchSettings(prune_settle=args.prune_settle),
            metrics_port=args.metrics_port,
            metrics_address=args.metrics_address,
            max_vanished=args.max_vanished,
            alert_sns_topic=args.alert_sns_topic,
            alert_webhook=args.alert_webhook,
            alert_slack_webhook=args.alert_slack_webhook,
            alert_teams_webhook=args.alert_teams_webhook,
            alert_events=alert_events(args),
            console_url=args.console_url,
            rollout_timeout=args.rollout_timeout,
            rollback_on_failure=args.rollback_on_failure,
            http=HttpSettings(token_file=args.http_token_file, status_needs_token=args.status_needs_token),
            lease=LeaseSettings(
                table=args.lease_table,
                name=args.lease_name,
                duration=args.lease_duration,
                renew_period=args.lease_renew,
            ),
        )
    return Settings(
        aws=AwsSettings(
            region=getattr(args, "region", None),
            allowed_account_ids=tuple(getattr(args, "allowed_account_id", [])),
            allowed_regions=tuple(getattr(args, "allowed_region", [])),
            pace=_pace(),
            emulator=getattr(args, "emulator", None),
        ),
        manifests=ManifestSettings(
            max_files=getattr(args, "max_files", ManifestSettings.max_files), instance=_instance(args)
        ),
        variables=variables,
        sensitive=sensitive,
        apply=apply,
        security=SecuritySettings(severities),
        daemon=daemon,
    )


def _validate(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.validate import validate

    return validate(args.path, settings, strict=args.strict)


def _plan(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.plan import plan

    return plan(
        args.path,
        settings,
        embedded=embedded,
        output_format=args.format,
        output=args.output,
        selectors=args.target,
        save=args.out,
        var_files=args.var_file,
    )


def _show(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.show import show

    return show(args.path, settings, embedded=embedded, output_format=args.format, output=args.output)


def _apply(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.apply import apply

    return apply(args.path, settings, embedded=embedded, selectors=args.target, auto_approve=args.auto_approve)


def _emulator(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.emulator import serve

    return serve(port=args.port, state=args.state, region=args.region or "us-east-1")


def _completion(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.completion import script

    sys.stdout.write(script(build_parser(), args.shell))
    return 0


def _schema(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.schema import schema

    return schema(output=args.output)


def _status(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.status import status

    return status(args.path, settings, embedded=embedded, output_format=args.format)


def _rollback(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.rollback import rollback

    return rollback(args.path, settings, embedded=embedded, dry_run=args.dry_run)


def _continue(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.continue_deployment import continue_deployment

    return continue_deployment(args.path, args.service, settings, embedded=embedded, rollback=args.rollback)


def _history(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.history import history

    return history(args.path, settings, embedded=embedded, service=args.service, output_format=args.format)


def _export(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.export import export

    return export(settings, embedded=embedded, cluster=args.cluster, services=args.service, output=args.output)


def _run(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.common import open_pipeline
    from reconciler.daemon.run import run

    with open_pipeline(settings, embedded=embedded) as pipeline:
        return run(args.path, pipeline)


def _demo(args: argparse.Namespace, settings: Settings, embedded: bool) -> int:
    from reconciler.commands.common import example_manifests, open_pipeline
    from reconciler.core.manifests import load_resources
    from reconciler.daemon.demo import run_demo
    from reconciler.kinds import KINDS

    path = args.path or example_manifests()
    load_resources(path, KINDS, variables=settings.variables)
    with open_pipeline(settings, embedded=True, reuse=False) as pipeline:
        return run_demo(path, pipeline)


Command = Callable[[argparse.Namespace, Settings, bool], int]
"""One command: its parsed arguments, the settings tree, and whether it runs against the embedded emulator."""
COMMANDS: dict[str, Command] = {
    "validate": _validate,
    "plan": _plan,
    "apply": _apply,
    "show": _show,
    "status": _status,
    "rollback": _rollback,
    "continue": _continue,
    "history": _history,
    "export": _export,
    "run": _run,
    "demo": _demo,
    "emulator": _emulator,
    "schema": _schema,
    "completion": _completion,
}
"""Each command's name (as the parser knows it) and what runs it; each imports its module only when it runs."""


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    embedded = bool(getattr(args, "embedded_aws", False)) or getattr(args, "emulator", None) is not None
    return COMMANDS[args.command](args, settings, embedded)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an error is reported on stderr (and, with ``--format json``, as a JSON document on
    stdout) and exits 1. With sensitive variables, everything written to stdout and stderr is masked."""
    given = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(json_errors=wants_json(given)).parse_args(given)
    level = args.log_level or ("info" if args.command == "run" else "warning")
    log.configure(level=level)
    try:
        _saved_plan(args)
        settings = settings_from(args)
    except (ReconcilerError, KeyboardInterrupt) as exc:
        return _failed(exc, args)
    masker = Masker.of(settings.variables, settings.sensitive)
    with log.masked_streams(masker.text if masker else None):
        log.configure(level=level)  # the logger writes to the stream it finds now
        try:
            return _dispatch(args, settings)
        except (ReconcilerError, KeyboardInterrupt) as exc:
            return _failed(exc, args)


def _failed(exc: BaseException, args: argparse.Namespace) -> int:
    if isinstance(exc, InvalidManifests):
        print_errors(exc)
    elif isinstance(exc, ReconcilerError):
        print(f"Error: {exc}", file=sys.stderr)
    if isinstance(exc, ReconcilerError) and getattr(args, "format", None) == "json":
        sys.stdout.write(error_json(exc))
    if isinstance(exc, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
    structlog.get_logger("reconciler").debug("exit with error")
    return EXIT_ERROR
