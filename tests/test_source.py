"""The manifest source's fingerprint: hold markers in AWS name a revision by it, so the same manifests always give
the same one, whatever daemon version reads them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reconciler.daemon.source import fingerprint, read_snapshot


def test_the_fingerprint_is_the_hash_of_the_whole_tree_as_one_json_list(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "web.yaml").write_text(
        "kind: Service\nmetadata: {name: wéb}\nspec: {desiredCount: 2, weight: 0.5, enabled: yes, tags: [a, null]}\n"
        "---\nkind: Cluster\nmetadata: {name: main}\n",
        encoding="utf-8",
    )
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    (tmp_path / "z.yaml").write_text("b: 1\na: {d: [1, {c: 2}]}\n")

    snapshot = read_snapshot(str(tmp_path), retries=0)

    assert len(snapshot.documents) == 3 and len(snapshot.errors) == 1
    members = [[d.file, d.index, d.body] for d in snapshot.documents] + [str(e) for e in snapshot.errors]
    text = json.dumps(members, sort_keys=True, default=str)
    assert snapshot.fingerprint == hashlib.sha256(text.encode()).hexdigest()
    assert fingerprint([], []) == hashlib.sha256(b"[]").hexdigest()
    assert fingerprint(snapshot.documents[:1], []) != fingerprint(snapshot.documents[1:2], [])
