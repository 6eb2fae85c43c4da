"""The command line's grammar: one argparse parser for every command and option, each option's default read from the
settings tree it fills (``reconciler.cli`` turns the parsed arguments into that tree)."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import typing
from collections.abc import Sequence

from reconciler import __version__
from reconciler.commands import EXIT_ERROR
from reconciler.core import security
from reconciler.core.error_document import error_json
from reconciler.core.instance import DEFAULT as DEFAULT_INSTANCE
from reconciler.core.render import RENDERERS
from reconciler.core.settings import ApplySettings, DaemonSettings, LeaseSettings, ManifestSettings

LOG_LEVELS = ("debug", "info", "warning", "error")
PATH_HELP = "a directory of manifests (*.yaml, *.yml, searched recursively) or one manifest file"


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line (with a did-you-mean for an unknown option or command) and a
    hint to the command's help, and exits 1: exit 2 means "changes pending" to a CI job reading the code. With
    ``json_errors`` the error is also a JSON document on standard output (``reconciler.core.error_document``)."""

    json_errors = False

    def error(self, message: str) -> typing.NoReturn:
        hint = _suggestion(self, message)
        if self.json_errors:
            sys.stdout.write(error_json(f"{message}{hint}"))
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}{hint} (see `{self.prog} --help`)\n")


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for ``--format json`` (read before parsing, for the errors parsing meets)."""
    pairs = zip(argv, [*argv[1:], ""], strict=True)
    return any(a == "--format=json" or (a == "--format" and b == "json") for a, b in pairs)


def _suggestion(parser: argparse.ArgumentParser, message: str) -> str:
    """`` (did you mean --format?)`` for an unrecognised option or command close to one that exists."""
    unknown = message.partition("unrecognized arguments: ")[2].split()
    choice = message.partition("invalid choice: ")[2].split("'")
    known: list[str] = []
    for action in parser._actions:  # noqa: SLF001 - argparse lists options only here
        known += action.option_strings
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            known += list(action.choices)
            for sub in action.choices.values():
                known += [o for a in sub._actions for o in a.option_strings]  # noqa: SLF001
    for word in unknown[:1] + choice[1:2]:
        close = difflib.get_close_matches(word.partition("=")[0], sorted(set(known)), n=1)
        if close:
            return f" (did you mean {close[0]}?)"
    return ""


def _log_level(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument(
        "--log-level",
        default=default,
        type=str.lower,
        choices=LOG_LEVELS,
        help="debug, info, warning or error (default: info for run, warning for the other commands; also "
        "ECS_RECONCILER_LOG_LEVEL)",
    )


def _manifest_options(p: argparse.ArgumentParser, *, path_help: str = PATH_HELP) -> None:
    p.add_argument("path", help=path_help)
    _log_level(p, argparse.SUPPRESS)  # also accepted after the command; the top-level value is the default
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE", help="set ${KEY} (wins over --var-file)")
    p.add_argument(
        "--var-file",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML mapping of variables (wins over ECSR_VAR_* variables; a later file wins over an earlier one)",
    )
    p.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="RULE=LEVEL",
        help=f"set a security rule's severity: {', '.join(security.SEVERITIES)} (repeatable)",
    )
    p.add_argument(
        "--max-files",
        type=int,
        default=ManifestSettings.max_files,
        metavar="N",
        help="refuse a manifest tree of more files than this (default: %(default)s)",
    )


def _aws_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", default=None, help="AWS region (default: the standard chain)")
    _guard_options(p)
    p.add_argument(
        "--embedded-aws",
        action="store_true",
        help="run against an in-process AWS emulator on 127.0.0.1 (no AWS account needed): the running "
        "`ecs-reconciler emulator` if there is one, else one for this command only",
    )
    p.add_argument(
        "--emulator",
        default=None,
        metavar="PORT|URL|STATE-FILE",
        help="with several emulators running, the one to use (implies --embedded-aws; also ECS_RECONCILER_EMULATOR)",
    )


def _guard_options(p: argparse.ArgumentParser) -> None:
    """The account and region guard."""
    p.add_argument(
        "--allowed-account-id",
        action="append",
        default=[],
        metavar="ID",
        help="refuse (exit 1, before reading anything) credentials for any other AWS account (repeatable)",
    )
    p.add_argument(
        "--allowed-region",
        action="append",
        default=[],
        metavar="REGION",
        help="refuse (exit 1, before reading anything) any other region (repeatable)",
    )


def _ownership_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--instance",
        default=None,
        metavar="NAME",
        help="this instance's name in the managed-by tag, when the manifests declare none in an Instance document: "
        f"only resources carrying it are changed or pruned (default: {DEFAULT_INSTANCE})",
    )


def _plan_options(p: argparse.ArgumentParser, *, path_help: str = PATH_HELP) -> None:
    _manifest_options(p, path_help=path_help)
    _aws_options(p)
    _ownership_options(p)
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
        "--prune-settle",
        type=float,
        default=daemon.watch.prune_settle,
        metavar="SECONDS",
        help="with --prune, delete only what manifests read unchanged this long apart no longer declare; creates and "
        "updates do not wait (default: %(default)s)",
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
        help="serve /metrics, /healthz, /readyz, /status and the web console (/) on this port (0: any free port; "
        "default: off)",
    )
    run.add_argument(
        "--metrics-address",
        default=daemon.metrics_address,
        metavar="ADDRESS",
        help="address the metrics server binds (default: %(default)s, all interfaces; 127.0.0.1 keeps it local)",
    )
    run.add_argument(
        "--max-vanished",
        type=int,
        default=daemon.max_vanished,
        metavar="N",
        help="when every resource the daemon brought up is gone and a pass would re-create more than N, alert and "
        "wait for a new revision instead (-1: never; default: %(default)s)",
    )
    run.add_argument(
        "--http-token-file",
        default=None,
        metavar="FILE",
        help="bearer token that POST /reconcile must carry ('Authorization: Bearer <token>'); without it such "
        "requests answer 403",
    )
    run.add_argument(
        "--status-needs-token",
        action="store_true",
        help="put /status and the console behind the token too (/metrics, /healthz, /readyz stay open)",
    )
    run.add_argument("--alert-sns-topic", default=None, metavar="ARN", help="publish alerts to this SNS topic")
    run.add_argument("--alert-webhook", default=None, metavar="URL", help="POST alerts as Slack-compatible JSON")
    run.add_argument("--alert-slack-webhook", default=None, metavar="URL", help="post alerts to Slack in Block Kit")
    run.add_argument(
        "--alert-teams-webhook",
        default=None,
        metavar="URL",
        help="post alerts to a Microsoft Teams Workflows webhook as Adaptive Cards",
    )
    run.add_argument(
        "--alert-events",
        action="append",
        default=[],
        metavar="SINK=KIND,...",
        help="send SINK (sns, webhook, slack, teams) only these alert kinds ('failures': invalid, refused, "
        "rollout_failed, rollback); repeatable; default: every alert to every sink",
    )
    run.add_argument(
        "--console-url",
        default=None,
        metavar="URL",
        help="the console's public address: chat messages link to it",
    )
    run.add_argument(
        "--lease-table",
        default=None,
        metavar="NAME",
        help="share the targets with the other replicas using this DynamoDB table (partition key 'name', a string)",
    )
    run.add_argument(
        "--rollback-on-failure",
        action="store_true",
        help="when a service of a git revision fails its rollout, return every service that revision changed to the "
        "last revision that rolled out completely (default: off; the failed revision is held either way)",
    )
    run.add_argument(
        "--rollout-timeout",
        type=float,
        default=daemon.rollout_timeout,
        metavar="SECONDS",
        help="a rollout still unfinished this long after its pass counts as failed (default: %(default)g)",
    )
    run.add_argument(
        "--lease-name", default=lease.name, help="the leases' key prefix in the table (default: %(default)s)"
    )
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


def _target_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="KIND/NAME",
        help="limit to this resource and what it references, e.g. Service/api (repeatable)",
    )


def build_parser(*, json_errors: bool = False) -> argparse.ArgumentParser:
    """The parser of every command and option; ``json_errors``: a usage error is also a JSON document on stdout."""
    parser = _Parser(prog="ecs-reconciler", description="Keep Amazon ECS equal to YAML manifests.")
    parser.json_errors = json_errors
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _log_level(parser, (os.environ.get("ECS_RECONCILER_LOG_LEVEL") or "").lower() or None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check manifests offline (no AWS calls); exit 0 valid, 1 invalid")
    _manifest_options(validate)
    validate.add_argument(
        "--strict",
        action="store_true",
        help="also fail on any unsuppressed security warning and on a reference to an undeclared name close to a "
        "declared one",
    )

    plan = commands.add_parser("plan", help="show what apply would change; exit 0 none, 2 changes, 1 error")
    _plan_options(plan)
    plan.add_argument(
        "--format",
        choices=sorted(RENDERERS),
        default="text",
        help="text (for a terminal), markdown (a pull-request comment) or json (for scripts); default: %(default)s",
    )
    plan.add_argument("--output", metavar="FILE", help="write the rendered plan to FILE instead of standard output")
    plan.add_argument(
        "--out",
        metavar="PLANFILE",
        help="also save the plan for `apply PLANFILE`, which applies exactly it (no secret values are saved)",
    )
    _target_option(plan)

    apply = commands.add_parser("apply", help="make live ECS match the manifests; exit 0 converged, 1 error")
    _plan_options(apply, path_help=PATH_HELP + ", or a plan saved by `plan --out`")
    _keep_revisions(apply)
    _target_option(apply)
    apply.add_argument(
        "--auto-approve", action="store_true", help="do not ask for confirmation on a terminal (CI never asks)"
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

    show = commands.add_parser(
        "show",
        help="plan again (reads only) with what a saved plan records and print it; exit 0 it still matches, 1 not",
    )
    show.add_argument("path", metavar="PLANFILE", help="a plan saved by `plan --out`")
    _log_level(show, argparse.SUPPRESS)
    show.add_argument("--var", action="append", default=[], metavar="KEY=VALUE", help="set ${KEY}, as for the plan")
    show.add_argument(
        "--var-file", action="append", default=[], metavar="FILE", help="var files (default: the plan's own)"
    )
    _aws_options(show)
    show.add_argument("--format", choices=sorted(RENDERERS), default="text", help="as for plan (default: %(default)s)")
    show.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")

    state = commands.add_parser(
        "status",
        help="where each declared resource stands live (reads only): drift, rollout, task definition, git revision; "
        "exit 0 settled, 2 not, 1 error",
    )
    _manifest_options(state)
    _aws_options(state)
    state.add_argument(
        "--format", choices=("text", "json"), default="text", help="a table, or JSON per resource (default: text)"
    )
    state.add_argument(
        "--lease-table", default=None, metavar="NAME", help="also say which replica of `run` holds each target"
    )
    state.add_argument("--lease-name", default=LeaseSettings.name, help="the leases' key prefix (default: %(default)s)")

    back = commands.add_parser(
        "rollback", help="return each service declared in PATH to the task definition it ran before; exit 0 done"
    )
    _manifest_options(back)
    _aws_options(back)
    _ownership_options(back)
    back.add_argument("--dry-run", action="store_true", help="only print the rollback's plan")

    resume = commands.add_parser(
        "continue",
        help="answer the PAUSE hook a service's deployment waits at: continue it (or --rollback); exit 0 answered, "
        "1 nothing paused",
    )
    _manifest_options(resume)
    resume.add_argument("service", metavar="SERVICE", help="the service, as for --target: Service/web")
    resume.add_argument(
        "--rollback", action="store_true", help="roll the deployment back to the previous service revision instead"
    )
    _aws_options(resume)

    past = commands.add_parser(
        "history",
        help="each declared service's deployments as ECS lists them (reads only): time, git revision, task "
        "definition, strategy, outcome; exit 0",
    )
    _manifest_options(past)
    past.add_argument(
        "service", nargs="?", default=None, metavar="SERVICE", help="only this service, as for --target: Service/web"
    )
    _aws_options(past)
    past.add_argument(
        "--format", choices=("text", "json"), default="text", help="a table per service, or JSON (default: text)"
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
    _log_level(exporter, argparse.SUPPRESS)

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
    demo.add_argument(
        "path", nargs="?", default=None, help="manifests to use (default: the example shipped with the tool)"
    )
    _log_level(demo, argparse.SUPPRESS)
    demo.set_defaults(embedded_aws=True, region=None)

    emulator = commands.add_parser(
        "emulator",
        help="serve the embedded AWS emulator until stopped; other commands reach it with --embedded-aws",
    )
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    emulator.add_argument(
        "--state", metavar="FILE", help="load the emulator's state from FILE at start and save it there on exit"
    )
    emulator.add_argument("--region", default=None, help="region the example network is made in (default: us-east-1)")
    _log_level(emulator, argparse.SUPPRESS)

    schema = commands.add_parser(
        "schema", help="write the manifests' JSON Schemas for editors (yaml-language-server); no AWS calls"
    )
    schema.add_argument(
        "--output",
        default=None,
        metavar="DIR",
        help="write one file per kind and manifest.json here (default: one bundled schema on stdout)",
    )
    _log_level(schema, argparse.SUPPRESS)

    completion = commands.add_parser("completion", help="print a shell completion script: eval it in your shell")
    completion.add_argument("shell", choices=["bash", "zsh"], help="the shell to complete in")
    for sub in commands.choices.values():
        sub.json_errors = json_errors
    return parser
