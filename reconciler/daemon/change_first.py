"""Change-first: which documents of a publish the daemon plans and applies before its full pass.

When a publish changed a few documents, the loop plans and applies those first (reading only what they declare and
reference), so a publish reaches AWS in the time of a handful of reads instead of a full observe. The full,
level-triggered pass follows at once, whatever happens there, and stays the one that decides, alerts and reports:
this step only ever brings its changes forward. It is skipped on the first pass, in detect mode, for a revision the
loader refused, without the lease, and with more than ``change_first_limit`` documents changed; anything it cannot
do (a reference declared only in an unchanged document that is not live yet, a refusal, an AWS error) is left to the
full pass.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.core.loader import Document
from reconciler.daemon.source import Snapshot

Documents = dict[tuple[str, int], Document]
"""A snapshot's documents by (file, index)."""


def same_document(before: Document | None, after: Document) -> bool:
    """The document did not change: the very object (its file was not parsed again) or an equal body."""
    return before is after or (before is not None and before.body == after.body)


def documents_of(snapshot: Snapshot) -> Documents:
    return {(d.file, d.index): d for d in snapshot.documents}


def changed_documents(
    previous: Mapping[tuple[str, int], Document] | None, snapshot: Snapshot, *, limit: int
) -> list[Document]:
    """The documents ``snapshot`` changed since ``previous`` (the last snapshot's documents), when they are worth
    applying first: none on the first pass (no ``previous``), for a revision with load errors, or past ``limit``."""
    if previous is None or snapshot.errors:
        return []
    changed = [d for d in snapshot.documents if not same_document(previous.get((d.file, d.index)), d)]
    return changed if len(changed) <= limit else []
