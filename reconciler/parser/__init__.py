"""The command line's grammar: one argparse parser for every command and option, each option's default read from the
settings tree it fills (``reconciler.cli`` turns the parsed arguments into that tree). ``options`` holds the option
groups several commands share, ``daemon`` the ``run`` command's own, ``usage`` how a usage error is told."""

from __future__ import annotations

import argparse
import os

from reconciler import __version__
from reconciler.core.render import RENDERERS
from reconciler.core.settings import ApplySettings, LeaseSettings
from reconciler.parser.daemon import run_options
from reconciler.parser.options import (
    PATH_HELP,
    aws_options,
    keep_revisions,
    log_level,
    manifest_options,
    output_format,
    ownership_options,
    plan_options,
    repeatable,
    seconds,
    target_option,
    variables,
)
from reconciler.parser.usage import Parser, wants_json

__all__ = ["build_parser", "wants_json"]


def build_parser(*, json_errors: bool = False) -> argparse.ArgumentParser:
    """The parser of every command and option; ``json_errors``: a usage error is also a JSON document on stdout."""
    parser = Parser(prog="ecs-reconciler", description="Keep Amazon ECS equal to YAML manifests.")
    parser.json_errors = json_errors
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    log_level(parser, (os.environ.get("ECS_RECONCILER_LOG_LEVEL") or "").lower() or None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check manifests offline (no AWS calls); exit 0 valid, 1 invalid")
    manifest_options(validate)
    validate.add_argument(
        "--strict",
        action="store_true",
        help="also fail on any unsuppressed security warning and on a reference to an undeclared name close to a "
        "declared one",
    )

    plan = commands.add_parser("plan", help="show what apply would change; exit 0 none, 2 changes, 1 error")
    plan_options(plan)
    output_format(
        plan,
        sorted(RENDERERS),
        help="text (for a terminal), markdown (a pull-request comment) or json (for scripts); default: %(default)s",
    )
    plan.add_argument("--output", metavar="FILE", help="write the rendered plan to FILE instead of standard output")
    plan.add_argument(
        "--out",
        metavar="PLANFILE",
        help="also save the plan for `apply PLANFILE`, which applies exactly it (no secret values are saved)",
    )
    target_option(plan)

    apply = commands.add_parser("apply", help="make live ECS match the manifests; exit 0 converged, 1 error")
    plan_options(apply, path_help=PATH_HELP + ", or a plan saved by `plan --out`")
    keep_revisions(apply)
    target_option(apply)
    apply.add_argument(
        "--auto-approve", action="store_true", help="do not ask for confirmation on a terminal (CI never asks)"
    )
    apply.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=ApplySettings.wait,
        help="wait until every changed service has rolled out (default: wait; --no-wait to skip)",
    )
    seconds(
        apply,
        "--wait-timeout",
        default=ApplySettings.wait_timeout,
        help="fail the apply when rollouts take longer (default: %(default)g)",
    )

    show = commands.add_parser(
        "show",
        help="plan again (reads only) with what a saved plan records and print it; exit 0 it still matches, 1 not",
    )
    show.add_argument("path", metavar="PLANFILE", help="a plan saved by `plan --out`")
    log_level(show, argparse.SUPPRESS)
    variables(show, var_help="set ${KEY}, as for the plan", file_help="var files (default: the plan's own)")
    aws_options(show)
    output_format(show, sorted(RENDERERS), help="as for plan (default: %(default)s)")
    show.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")

    state = commands.add_parser(
        "status",
        help="where each declared resource stands live (reads only): drift, rollout, task definition, git revision; "
        "exit 0 settled, 2 not, 1 error",
    )
    manifest_options(state)
    aws_options(state)
    output_format(state, ("text", "json"), help="a table, or JSON per resource (default: text)")
    state.add_argument("--lease-table", metavar="NAME", help="also say which replica of `run` holds each target")
    state.add_argument("--lease-name", default=LeaseSettings.name, help="the leases' key prefix (default: %(default)s)")

    back = commands.add_parser(
        "rollback", help="return each service declared in PATH to the task definition it ran before; exit 0 done"
    )
    manifest_options(back)
    aws_options(back)
    ownership_options(back)
    back.add_argument("--dry-run", action="store_true", help="only print the rollback's plan")

    resume = commands.add_parser(
        "continue",
        help="answer the PAUSE hook a service's deployment waits at: continue it (or --rollback); exit 0 answered, "
        "1 nothing paused",
    )
    manifest_options(resume)
    resume.add_argument("service", metavar="SERVICE", help="the service, as for --target: Service/web")
    resume.add_argument(
        "--rollback", action="store_true", help="roll the deployment back to the previous service revision instead"
    )
    aws_options(resume)

    past = commands.add_parser(
        "history",
        help="each declared service's deployments as ECS lists them (reads only): time, git revision, task "
        "definition, strategy, outcome; exit 0",
    )
    manifest_options(past)
    past.add_argument(
        "service", nargs="?", default=None, metavar="SERVICE", help="only this service, as for --target: Service/web"
    )
    aws_options(past)
    output_format(past, ("text", "json"), help="a table per service, or JSON (default: text)")

    exporter = commands.add_parser(
        "export", help="write manifests for a live cluster and its services (reads only); exit 0 written, 1 error"
    )
    exporter.add_argument("--cluster", required=True, help="the live cluster to export")
    repeatable(exporter, "--service", metavar="NAME", help="export only this service (repeatable)")
    exporter.add_argument("--output", required=True, metavar="DIR", help="directory to write (new or empty)")
    aws_options(exporter)
    log_level(exporter, argparse.SUPPRESS)

    run = commands.add_parser(
        "run", help="the operator: keep live ECS equal to PATH (a directory or git-sync's link) until SIGTERM"
    )
    plan_options(run)
    keep_revisions(run)
    run_options(run)

    demo = commands.add_parser(
        "demo",
        help="the daemon on the embedded emulator: apply, a drift made out of band, its alert and heal; then exit",
    )
    demo.add_argument(
        "path", nargs="?", default=None, help="manifests to use (default: the example shipped with the tool)"
    )
    log_level(demo, argparse.SUPPRESS)
    demo.set_defaults(embedded_aws=True, region=None)

    emulator = commands.add_parser(
        "emulator",
        help="serve the embedded AWS emulator until stopped; other commands reach it with --embedded-aws",
    )
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    emulator.add_argument(
        "--state", metavar="FILE", help="load the emulator's state from FILE at start and save it there on exit"
    )
    emulator.add_argument("--region", help="region the example network is made in (default: us-east-1)")
    log_level(emulator, argparse.SUPPRESS)

    schema = commands.add_parser(
        "schema", help="write the manifests' JSON Schemas for editors (yaml-language-server); no AWS calls"
    )
    schema.add_argument(
        "--output",
        metavar="DIR",
        help="write one file per kind and manifest.json here (default: one bundled schema on stdout)",
    )
    log_level(schema, argparse.SUPPRESS)

    completion = commands.add_parser("completion", help="print a shell completion script: eval it in your shell")
    completion.add_argument("shell", choices=["bash", "zsh"], help="the shell to complete in")
    for sub in commands.choices.values():
        sub.json_errors = json_errors
    return parser
