"""`schema [--output DIR]`: the manifest kinds' JSON Schemas for editors (``reconciler.core.json_schema``): with
``--output``, one file per kind and ``manifest.json`` that picks one by a document's ``kind``; without, one bundled
schema of every kind on stdout. Pure: no AWS call."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from reconciler.commands import EXIT_OK
from reconciler.core.errors import UsageError
from reconciler.core.json_schema import MANIFEST, all_schemas, manifest_schema
from reconciler.kinds import KINDS


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: str) -> list[str]:
    """Write every schema into ``directory`` (made if missing, files of the same names replaced); their paths."""
    paths = []
    try:
        os.makedirs(directory, exist_ok=True)
        for name, schema in all_schemas(KINDS).items():
            path = os.path.join(directory, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(_text(schema))
            paths.append(path)
    except OSError as exc:
        raise UsageError(f"--output {directory}: {exc.strerror or exc}") from exc
    return paths


def schema(*, output: str | None) -> int:
    if output is None:
        sys.stdout.write(_text(manifest_schema(KINDS, bundled=True)))
        return EXIT_OK
    paths = write_schemas(output)
    print(f"{len(paths)} schemas written to {output}; editors read {os.path.join(output, MANIFEST)}")
    return EXIT_OK
