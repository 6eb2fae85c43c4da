"""The manifest source: a plain directory or git-sync's ``--link`` symlink, read whole into memory per pass.

Only the link and the basename of the folder it points to are git-sync's contract. Each read resolves the link
once and reads the whole tree through the resolved path, so one pass never mixes two revisions; a file vanishing
mid-read (the old worktree deleted under us) means: resolve again and retry.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from reconciler.core.errors import FileVanished, ManifestError, SourceMissing
from reconciler.core.instance import Instance, is_instance_document
from reconciler.core.loader import TREE, Document, Limits, ParseCache, load_tree
from reconciler.core.targets import DEFAULT, Target, governing, split

REVISION = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
"""A git commit hash (SHA-1 or SHA-256): the basename of the directory git-sync's link points to."""


@dataclass(frozen=True)
class Snapshot:
    """One revision of the manifests, entirely in memory."""

    folder: str
    """The directory that was read (where git-sync's link pointed)."""
    revision: str | None
    """The git revision (basename of the folder the link points to), or None for a plain directory."""
    documents: list[Document]
    errors: list[ManifestError]
    """What the loader refused (the documents are then incomplete)."""
    fingerprint: str
    """Hash of the content read: equal fingerprints mean equal manifests."""
    instance: Instance | None = None
    """The tree's Instance document (set by ``select``; None: it declares none)."""


def find_link(path: str) -> tuple[str, str] | None:
    """git-sync's link behind ``path`` and the path below it: ``path`` itself when it is a symlink or does not exist
    yet (git-sync has not published), else the nearest ancestor symlink that points at a revision (the manifests
    live in a folder of the repository, ``--link``/manifests). None for a plain directory."""
    path = os.path.abspath(path)
    if os.path.islink(path) or not os.path.exists(path):
        return path, ""
    below: list[str] = []
    while (parent := os.path.dirname(path)) != path:
        below.insert(0, os.path.basename(path))
        path = parent
        if os.path.islink(path) and revision_of(os.path.realpath(path)):
            return path, os.path.join(*below)
    return None


def resolve(path: str) -> str | None:
    """The directory ``path`` stands for now (following the link), or None when there is none."""
    folder = os.path.realpath(path)
    return folder if os.path.isdir(folder) else None


def revision_of(folder: str) -> str | None:
    name = os.path.basename(folder)
    return name if REVISION.fullmatch(name) else None


def fingerprint(documents: list[Document], errors: list[ManifestError]) -> str:
    """The SHA-256 of one JSON list of every document ([file, index, body]) then every error (its text), keys
    sorted: hold markers in AWS name revisions by it, so it never changes for the same manifests. The list is
    hashed one member at a time: a pass never holds the whole tree as text."""
    digest = hashlib.sha256(b"[")
    members = itertools.chain(([d.file, d.index, d.body] for d in documents), (str(e) for e in errors))
    for position, member in enumerate(members):
        if position:
            digest.update(b", ")
        digest.update(json.dumps(member, sort_keys=True, default=str).encode())
    digest.update(b"]")
    return digest.hexdigest()


def read_snapshot(
    path: str, *, retries: int, cache: ParseCache | None = None, limits: Limits | None = None
) -> Snapshot:
    """Resolve ``path`` once and read the whole tree behind it; raises SourceMissing. ``cache``: the parse cache
    kept between reads (``load_tree``): only files whose content changed are parsed."""
    link = find_link(path)
    for _ in range(retries + 1):
        root = os.path.realpath(link[0]) if link else None
        folder = resolve(os.path.join(root, link[1]) if root and link else path)
        if folder is None:
            raise SourceMissing(f"{path}: no such directory (waiting for the first sync?)")
        try:
            documents, errors = load_tree(folder, cache=cache, limits=limits or Limits())
        except FileVanished:
            continue
        revision = revision_of(root) if root else None
        return Snapshot(folder, revision, documents, errors, fingerprint(documents, errors))
    raise SourceMissing(f"{path}: the tree changed under every one of {retries + 1} reads")


def select(
    snapshot: Snapshot, target: Target, variables: Mapping[str, str] | None, *, regions: Collection[str] = ()
) -> Snapshot | None:
    """The part of a snapshot ``target`` serves: its documents (the Target documents taken out) and the problems of
    its own files (a broken manifest under another Target stops that target only) and of the whole tree. A broken
    Target document is every target's problem: which files it governs is unknown, so no target guesses and each
    keeps its live state.
    None when the snapshot no longer declares ``target`` as it was (removed, or its account, role or region
    changed): nothing is planned for it, nothing pruned."""
    parts = split(snapshot.documents, variables, regions=regions)
    if parts.errors:  # a Target document is broken: every target's pass reports it, none plans
        errors = snapshot.errors + parts.errors
        return replace(snapshot, documents=[], errors=errors, fingerprint=fingerprint([], errors))
    if target.is_default:
        if parts.several and DEFAULT not in parts.documents:
            return None
    elif target not in parts.targets:
        return None
    documents = parts.documents.get(target.name, [])
    named = [d for d in snapshot.documents if is_instance_document(d)]  # a new instance name is a new revision
    errors = [e for e in snapshot.errors if e.file == TREE or governing(e.file, parts.targets) == target.name]
    content = fingerprint(documents + named, errors)
    return replace(snapshot, documents=documents, errors=errors, fingerprint=content, instance=parts.instance)


class Settling:
    """When the manifests' content was first read: what they no longer declare is deleted only once the same content
    is read again at least ``interval`` seconds after that first read. A folder whose files are still being written
    (a link swapped before rsync or a hand-made script finished) reads differently each time and never settles
    while it is written; the creates and updates it asks for are applied at once."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self.interval = interval
        self._clock = clock
        self._content: str | None = None
        self._since = 0.0

    def read(self, fingerprint: str) -> float:
        """Note a read of content ``fingerprint``; returns the seconds until it counts as settled (0: now)."""
        now = self._clock()
        if fingerprint != self._content:
            self._content, self._since = fingerprint, now
        return max(0.0, self._since + self.interval - now)
