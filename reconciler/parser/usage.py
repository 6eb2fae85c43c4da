"""Usage errors: one line with a did-you-mean and a hint to the command's help, exit 1, and with ``--format json`` a
JSON document on standard output too."""

from __future__ import annotations

import argparse
import difflib
import sys
import typing
from collections.abc import Sequence

from reconciler.commands import EXIT_ERROR
from reconciler.core.error_document import error_json


class Parser(argparse.ArgumentParser):
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
