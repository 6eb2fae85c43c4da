"""The option groups several commands share (manifests, AWS, ownership, planning), and the few shapes of option the
commands declare alike (repeatable, a duration, an output format)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from reconciler.core import security
from reconciler.core.instance import DEFAULT as DEFAULT_INSTANCE
from reconciler.core.settings import ApplySettings, ManifestSettings

LOG_LEVELS = ("debug", "info", "warning", "error")
PATH_HELP = "a directory of manifests (*.yaml, *.yml, searched recursively) or one manifest file"


def repeatable(p: argparse.ArgumentParser, flag: str, *, metavar: str, help: str) -> None:
    """An option that may be given again: its values in the order given (none: an empty list)."""
    p.add_argument(flag, action="append", default=[], metavar=metavar, help=help)


def seconds(p: argparse.ArgumentParser, flag: str, *, default: float, help: str) -> None:
    """A duration in seconds."""
    p.add_argument(flag, type=float, default=default, metavar="SECONDS", help=help)


def output_format(p: argparse.ArgumentParser, choices: Iterable[str], *, help: str) -> None:
    """``--format``, text unless told otherwise."""
    p.add_argument("--format", choices=choices, default="text", help=help)


def log_level(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument(
        "--log-level",
        default=default,
        type=str.lower,
        choices=LOG_LEVELS,
        help="debug, info, warning or error (default: info for run, warning for the other commands; also "
        "ECS_RECONCILER_LOG_LEVEL)",
    )


def variables(p: argparse.ArgumentParser, *, var_help: str, file_help: str) -> None:
    """``--var KEY=VALUE`` and ``--var-file FILE``."""
    repeatable(p, "--var", metavar="KEY=VALUE", help=var_help)
    repeatable(p, "--var-file", metavar="FILE", help=file_help)


def manifest_options(p: argparse.ArgumentParser, *, path_help: str = PATH_HELP) -> None:
    p.add_argument("path", help=path_help)
    log_level(p, argparse.SUPPRESS)  # also accepted after the command; the top-level value is the default
    variables(
        p,
        var_help="set ${KEY} (wins over --var-file)",
        file_help="YAML mapping of variables (wins over ECSR_VAR_* variables; a later file wins over an earlier one)",
    )
    repeatable(
        p,
        "--severity",
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


def aws_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", help="AWS region (default: the standard chain)")
    guard_options(p)
    p.add_argument(
        "--embedded-aws",
        action="store_true",
        help="run against an in-process AWS emulator on 127.0.0.1 (no AWS account needed): the running "
        "`ecs-reconciler emulator` if there is one, else one for this command only",
    )
    p.add_argument(
        "--emulator",
        metavar="PORT|URL|STATE-FILE",
        help="with several emulators running, the one to use (implies --embedded-aws; also ECS_RECONCILER_EMULATOR)",
    )


def guard_options(p: argparse.ArgumentParser) -> None:
    """The account and region guard."""
    repeatable(
        p,
        "--allowed-account-id",
        metavar="ID",
        help="refuse (exit 1, before reading anything) credentials for any other AWS account (repeatable)",
    )
    repeatable(
        p,
        "--allowed-region",
        metavar="REGION",
        help="refuse (exit 1, before reading anything) any other region (repeatable)",
    )


def ownership_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--instance",
        metavar="NAME",
        help="this instance's name in the managed-by tag, when the manifests declare none in an Instance document: "
        f"only resources carrying it are changed or pruned (default: {DEFAULT_INSTANCE})",
    )


def plan_options(p: argparse.ArgumentParser, *, path_help: str = PATH_HELP) -> None:
    manifest_options(p, path_help=path_help)
    aws_options(p)
    ownership_options(p)
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


def keep_revisions(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-revisions",
        type=int,
        default=ApplySettings.keep_revisions,
        help="ACTIVE revisions kept per managed task definition family (default: %(default)s)",
    )


def target_option(p: argparse.ArgumentParser) -> None:
    repeatable(
        p,
        "--target",
        metavar="KIND/NAME",
        help="limit to this resource and what it references, e.g. Service/api (repeatable)",
    )
