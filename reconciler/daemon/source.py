"""The manifest source: a plain directory or git-sync's ``--link`` symlink, read whole into memory per pass.

Only the link and the basename of its target are git-sync's contract. Each read resolves the link once and reads
the whole tree through the resolved path, so one pass never mixes two revisions; a file vanishing mid-read (the
old worktree deleted under us) means: resolve again and retry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass

from reconciler.errors import ManifestError
from reconciler.loader import Document, FileVanished, load_tree

REVISION = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
"""A git commit hash (SHA-1 or SHA-256): the basename of the directory git-sync's link points to."""


class SourceMissing(Exception):
    """The link or directory does not exist (yet), or kept changing while read: keep the last state."""


@dataclass(frozen=True)
class Snapshot:
    """One revision of the manifests, entirely in memory."""

    target: str
    """The directory that was read (the link's resolved target)."""
    revision: str | None
    """The git revision (basename of the link target), or None for a plain directory."""
    documents: list[Document]
    errors: list[ManifestError]
    """What the loader refused (the documents are then incomplete)."""
    fingerprint: str
    """Hash of the content read: equal fingerprints mean equal manifests."""


def resolve(path: str) -> str | None:
    """The directory ``path`` stands for now (following the link), or None when there is none."""
    target = os.path.realpath(path)
    return target if os.path.isdir(target) else None


def revision_of(target: str) -> str | None:
    name = os.path.basename(target)
    return name if REVISION.fullmatch(name) else None


def fingerprint(documents: list[Document], errors: list[ManifestError]) -> str:
    content = json.dumps(
        [[d.file, d.index, d.body] for d in documents] + [str(e) for e in errors], sort_keys=True, default=str
    )
    return hashlib.sha256(content.encode()).hexdigest()


def read_snapshot(path: str, *, retries: int) -> Snapshot:
    """Resolve ``path`` and read the whole tree behind it; raises SourceMissing."""
    for _ in range(retries + 1):
        target = resolve(path)
        if target is None:
            raise SourceMissing(f"{path}: no such directory (waiting for the first sync?)")
        try:
            documents, errors = load_tree(target)
        except FileVanished:
            continue
        revision = revision_of(target) if os.path.islink(path) else None
        return Snapshot(target, revision, documents, errors, fingerprint(documents, errors))
    raise SourceMissing(f"{path}: the tree changed under every one of {retries + 1} reads")
