"""The AWS calls the code sends, found by walking reconciler/ with ``ast`` (pure, no emulator): each call of the AWS
boundary (``aws.call``, ``aws.call_unfenced``, ``aws.write_once``, ``aws.pages``: service, then operation) in every
top-level function and method, with the names each function calls. The write boundary and the pacing table are
both checked against this walk.

What an operation is comes from botocore's service models: it is a read when its name begins with a read verb
(``Describe``, ``List``, ``Get``, ``BatchGet``); every other operation of the model mutates.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import botocore.session

ROOT = Path(__file__).resolve().parent.parent / "reconciler"
BOUNDARY_CALLS = frozenset({"call", "call_unfenced", "write_once", "pages"})
READ_VERBS = ("Describe", "List", "Get", "BatchGet")
EMULATOR = "emulator/"
"""The emulator plays AWS: its modules send nothing to AWS."""


@functools.cache
def operations(service: str) -> frozenset[str]:
    """Every operation of ``service``'s botocore model."""
    return frozenset(botocore.session.get_session().get_service_model(service).operation_names)


def mutating(service: str) -> frozenset[str]:
    """The operations of ``service``'s botocore model that are not reads."""
    return frozenset(n for n in operations(service) if not n.startswith(READ_VERBS))


@dataclass
class Function:
    module: str
    name: str
    method: bool
    sends: list[tuple[str | None, str | None, int]] = field(default_factory=list)
    """(service, operation, line) of each boundary call (None: not a literal)."""
    calls: set[str] = field(default_factory=set)
    """Names of the functions and methods it calls (``f(...)``, ``module.f(...)``, ``obj.f(...)``)."""
    own_calls: set[str] = field(default_factory=set)
    """Names of the methods it calls on its own object (``self.f(...)``): never a module's function."""


def constants(tree: ast.Module) -> dict[str, str]:
    """The module's top-level string constants (``AAS = "application-autoscaling"``)."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:  # SERVICE imported from the pure half: resolved below by its value's module
                out.setdefault(alias.asname or alias.name, f"<import {node.module}.{alias.name}>")
    return out


def resolved(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        value = names[node.id]
        if value.startswith("<import "):
            module, _, attr = value.removeprefix("<import ").removesuffix(">").rpartition(".")
            path = ROOT.parent / (module.replace(".", "/") + ".py")
            return constants(ast.parse(path.read_text())).get(attr) if path.exists() else None
        return value
    return None


def on_self(target: ast.expr) -> bool:
    """A call of the caller's own method (``self.f``)."""
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"


def functions(path: Path, root: Path = ROOT) -> Iterator[Function]:
    """The module's top-level functions and methods, with what each sends and calls."""
    tree = ast.parse(path.read_text())
    names = constants(tree)
    module = str(path.relative_to(root))
    tops: list[tuple[ast.FunctionDef, bool]] = [(n, False) for n in tree.body if isinstance(n, ast.FunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        tops += [(n, True) for n in cls.body if isinstance(n, ast.FunctionDef)]
    for node, method in tops:
        found = Function(module, node.name, method)
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            target = call.func
            name = (
                target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
            )
            (found.own_calls if on_self(target) else found.calls).add(name)
            if isinstance(target, ast.Attribute) and name in BOUNDARY_CALLS and len(call.args) >= 2:
                found.sends.append((resolved(call.args[0], names), resolved(call.args[1], names), call.lineno))
        yield found


def every_function(*, skip: tuple[str, ...] = (EMULATOR,)) -> list[Function]:
    """The functions of every module of reconciler/ but those whose path starts with one of ``skip``."""
    paths = [p for p in sorted(ROOT.rglob("*.py")) if not str(p.relative_to(ROOT)).startswith(skip)]
    return [f for p in paths for f in functions(p)]
