"""The nouns every module shares: a resource's address, a desired resource from a manifest, a live one from AWS."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.errors import ManifestError


@dataclass(frozen=True, order=True, slots=True)
class Address:
    """A resource's identity: kind, name and, for kinds whose names are unique only inside a container, that
    container (``scope``: a service's cluster, a schedule's group, a scaling policy's cluster)."""

    kind: str
    name: str
    scope: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.scope}/{self.name}" if self.scope else f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Resource:
    """A desired resource, as a manifest declares it. ``spec`` is API input (camelCase), already checked."""

    address: Address
    spec: Mapping[str, Any] = field(repr=False)
    """Kept out of repr: it may hold plaintext environment values."""
    file: str = ""
    line: int = 0
    annotations: Mapping[str, str] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Field path (``spec.x.y``) to line, for error messages."""

    def error(self, path: str, message: str) -> ManifestError:
        """A problem with one field of this resource, located by file, line and field path."""
        return ManifestError(self.file, message, line=self.line_of(path), field=path)

    def spec_errors(self, problems: Iterable[tuple[str, str]]) -> list[ManifestError]:
        """``(path under spec, message)`` pairs (``reconciler.core.aws_rules``) as located errors."""
        return [self.error(f"spec.{path}" if path and path[0] != "[" else f"spec{path}", m) for path, m in problems]

    def line_of(self, path: str) -> int:
        """Line of a field path, else of its nearest ancestor, else of the document."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.line


@dataclass(frozen=True, slots=True)
class Live:
    """A resource as AWS describes it. ``body`` is the describe output, tags included."""

    address: Address
    body: Mapping[str, Any] = field(repr=False)
    managed: bool = False
    """It carries the managed-by tag."""
    owner: str | None = None
    """The managed-by tag's value: the instance that manages it (None when unmanaged, or not read)."""


Observed = Mapping[Address, Live]
"""Live state: what exists, keyed by address. Absent addresses do not exist (or are INACTIVE)."""
