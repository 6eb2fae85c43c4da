"""Generic, pure comparison helpers: normalised documents in, field-level changes out (deepdiff underneath, imported
only when two documents differ: a no-op pass never loads it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

T = TypeVar("T")


class _Absent:
    """Marks a field that one side does not have."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its path, the live value (before) and the desired value (after)."""

    path: str
    before: Any
    after: Any


def drop_empty(value: T) -> T:
    """Recursively remove None, empty lists and empty mappings: AWS returns ``[]`` where a manifest says nothing."""
    if isinstance(value, Mapping):
        out = {k: drop_empty(v) for k, v in value.items()}
        return cast(T, {k: v for k, v in out.items() if v is not None and v != [] and v != {}})
    if isinstance(value, list):
        return cast(T, [drop_empty(v) for v in value if v is not None])
    return value


def keyed(items: Iterable[Mapping[str, Any]] | None, key: str) -> dict[str, Any]:
    """A name-keyed list as a mapping (order does not matter for these), the key removed from each item."""
    return {str(item[key]): {k: v for k, v in item.items() if k != key} for item in items or [] if key in item}


def key_values(items: Iterable[Mapping[str, Any]] | None, key: str, value: str) -> dict[str, Any]:
    """A list of {name, value} pairs as a plain mapping."""
    return {str(item[key]): item.get(value) for item in items or [] if key in item}


def tag_map(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> dict[str, str]:
    """Tags as a mapping, from ECS's ``[{key, value}]`` list or the ``{key: value}`` map other APIs use."""
    if isinstance(tags, Mapping):
        return dict(tags)
    return key_values(tags, "key", "value")


def user_tags(tags: Iterable[Mapping[str, Any]] | Mapping[str, str] | None) -> dict[str, str]:
    """Tags as a mapping, without the tool's own ``ecs-reconciler/`` tags and AWS-reserved ``aws:`` tags."""
    return {k: v for k, v in tag_map(tags).items() if not k.startswith(("ecs-reconciler/", "aws:"))}


def short_name(arn_or_name: str) -> str:
    """The last path segment of an ARN (``arn:...:role/path/name`` -> ``name``), or the name itself."""
    return arn_or_name.rsplit("/", 1)[-1] if arn_or_name.startswith("arn:") else arn_or_name


def project(live: Any, desired: Any) -> Any:
    """Live state cut down to the fields the desired document sets, recursively through mappings."""
    if isinstance(live, Mapping) and isinstance(desired, Mapping):
        return {k: project(live[k], desired[k]) for k in desired if k in live}
    if isinstance(live, list) and isinstance(desired, list) and len(live) == len(desired):
        return [project(lv, dv) for lv, dv in zip(live, desired, strict=True)]
    return live


def _path(parts: list[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lookup(doc: Any, parts: list[Any]) -> Any:
    for part in parts:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return ABSENT
    return doc


def identical(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``==`` alone takes 1 for True and 1.0 for 1; DeepDiff does not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def compare(live: Any, desired: Any) -> list[FieldChange]:
    """Field-level changes that turn ``live`` into ``desired``; a change inside a list reports the whole list."""
    if identical(live, desired):  # the common case of a no-op plan, without DeepDiff's import and cost
        return []
    from deepdiff import DeepDiff  # about 9 MB and a second to import: only when something differs

    found = DeepDiff(live, desired, view="tree", ignore_order=False, verbose_level=2)
    paths: set[tuple[Any, ...]] = set()
    for level in (lvl for group in found.values() for lvl in group):
        parts = level.path(output_format="list")
        first_index = next((i for i, p in enumerate(parts) if isinstance(p, int)), None)
        if first_index is not None:
            parts = parts[:first_index]
        paths.add(tuple(parts))
    changes = [FieldChange(_path(list(p)), _lookup(live, list(p)), _lookup(desired, list(p))) for p in paths]
    return sorted(changes, key=lambda c: c.path)
