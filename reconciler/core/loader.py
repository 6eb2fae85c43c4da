"""Read a tree of multi-document YAML manifests into plain data, remembering where every value came from.

The loader is the only place that touches manifest files. It lists every ``*.yaml``/``*.yml`` below a root, reads
them all into memory, and has ``reconciler.core.yaml_reader`` parse each safely. It refuses what it cannot load
safely (oversized files and trees, links out of the root, and whatever the reader refuses) by collecting
``ManifestError``s; it never raises for a bad manifest, only ``FileVanished`` when the tree changes while read. It
does not know ECS kinds: validation happens elsewhere. Its public names include the reader's (``Document``,
``Limits``, ``load_text``, ``source_text``, ``with_source_text``).
"""

from __future__ import annotations

import hashlib
import heapq
import os
import stat
import sys

from reconciler.core.errors import FileVanished, ManifestError
from reconciler.core.yaml_nodes import source_text, with_source_text
from reconciler.core.yaml_reader import Document, Limits, load_text, too_large

__all__ = ["Document", "Limits", "load_text", "load_tree", "source_text", "with_source_text"]

MANIFEST_SUFFIXES = (".yaml", ".yml")
TREE = "."
"""The ``file`` of an error about the whole tree rather than one file."""


# ---------------------------------------------------------------------------------------------------------- tree


ParsedFile = tuple[list[Document], list[ManifestError]]
"""What parsing one file gave: its documents and its problems."""
ParseCache = dict[tuple[str, bytes], ParsedFile]
"""(file, hash of its content) -> what parsing it gave: a file read again unchanged is not parsed again."""


def load_tree(
    root: str | os.PathLike[str], *, limits: Limits = Limits(), cache: ParseCache | None = None
) -> tuple[list[Document], list[ManifestError]]:
    """Load every manifest below ``root``: all files are read into memory first, then parsed (one at a time, each
    file's bytes let go once parsed).

    ``cache``: what the previous load parsed (the daemon's passes); only files whose content changed are parsed, and
    the cache is left holding this tree's files only (a file unchanged keeps its very Document objects).
    Raises only ``FileVanished`` (the tree changed under us); every other problem is returned as an error.
    """
    errors: list[ManifestError] = []
    listed = _list_files(os.fspath(root), limits=limits, errors=errors)
    if listed is None:
        return [], _sorted(errors)
    contents: list[tuple[tuple[str, bytes], bytes, ParsedFile | None]] = []  # (cache key, bytes to parse, or the hit)
    total = 0
    for rel, real in listed:
        data = _read_file(real, rel=rel, limits=limits, errors=errors)
        if data is None:
            continue
        total += len(data)
        if total > limits.max_total_bytes:
            message = f"manifest tree is larger than the limit of {limits.max_total_bytes} bytes (reached at this file)"
            errors.append(ManifestError(rel, message))
            return [], _sorted(errors)
        key = (sys.intern(rel), hashlib.sha256(data).digest())  # one string per path, however many passes keep it
        hit = cache.get(key) if cache is not None else None
        contents.append((key, b"" if hit is not None else data, hit))  # an unchanged file's bytes are not kept
    documents: list[Document] = []
    parsed: ParseCache = {}
    contents.reverse()
    while contents:
        key, data, hit = contents.pop()
        found = hit if hit is not None else load_text(data, file=key[0], limits=limits)
        parsed[key] = found
        documents.extend(found[0])
        errors.extend(found[1])
    if cache is not None:  # updated in place: an unchanged file's entry, key included, stays the one already kept
        for stale in cache.keys() - parsed.keys():
            del cache[stale]
        for key, found in parsed.items():
            cache.setdefault(key, found)
    return documents, _sorted(errors)


def load_file(path: str | os.PathLike[str], *, limits: Limits = Limits()) -> tuple[list[Document], list[ManifestError]]:
    """Load one manifest file, as a set of one: read with the same limits as a tree's files, errors named by
    ``path`` as given."""
    errors: list[ManifestError] = []
    name = os.fspath(path)
    data = _read_file(os.path.realpath(name), rel=name, limits=limits, errors=errors)
    if data is None:
        return [], _sorted(errors)
    documents, file_errors = load_text(data, file=name, limits=limits)
    return documents, _sorted(errors + file_errors)


def _sorted(errors: list[ManifestError]) -> list[ManifestError]:
    return sorted(errors, key=lambda e: (e.file, e.line or 0))


def _list_files(root: str, *, limits: Limits, errors: list[ManifestError]) -> list[tuple[str, str]] | None:
    """List manifests as (relative path, real path), sorted; None when there are too many to load at all.

    Hidden entries below the root are skipped. The plain tree is walked first; symlinked directories are walked
    afterwards, in path order, only if their target is inside the root and not walked already (so links never loop
    and nothing is read twice). A file reached by several paths is listed once, under its smallest relative path.
    """
    try:
        root_real = os.path.realpath(root, strict=True)
    except FileNotFoundError as exc:
        raise FileVanished(TREE) from exc
    except OSError as exc:
        errors.append(ManifestError(TREE, f"cannot resolve the manifest root {root!r}: {exc.strerror}"))
        return None
    if not os.path.isdir(root_real):
        errors.append(ManifestError(TREE, f"the manifest root {root!r} is not a directory"))
        return None

    found: dict[str, str] = {}  # real path -> smallest relative path
    walked: set[str] = set()
    links: list[tuple[str, str]] = [("", root_real)]  # heap of directories still to walk: (relative path, real path)
    while links:
        rel_top, real_top = heapq.heappop(links)
        if real_top in walked:
            continue
        walked.add(real_top)
        stack = [(rel_top, real_top)]
        while stack:
            rel_dir, path = stack.pop()
            for entry in _scan_dir(path, rel_dir=rel_dir, errors=errors):
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                is_manifest_name = entry.name.endswith(MANIFEST_SUFFIXES)
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir()
                    is_file = entry.is_file()
                    real = os.path.realpath(entry.path)
                except FileNotFoundError as exc:
                    raise FileVanished(rel) from exc
                except OSError as exc:
                    errors.append(ManifestError(rel, f"cannot inspect: {exc.strerror}"))
                    continue
                if is_link and (is_dir or is_manifest_name) and not _is_inside(real, root_real):
                    errors.append(ManifestError(rel, f"symlink points outside the manifest tree (to {real})"))
                elif is_dir and is_link:
                    heapq.heappush(links, (rel, real))  # walked after the plain tree, once
                elif is_dir:
                    walked.add(real)
                    stack.append((rel, entry.path))
                elif not is_manifest_name:
                    continue
                elif is_link and not os.path.exists(real):
                    errors.append(ManifestError(rel, "broken symlink"))
                elif not is_file:
                    errors.append(ManifestError(rel, "not a regular file"))
                elif real not in found or rel < found[real]:
                    found[real] = rel
                    if len(found) > limits.max_files:
                        errors.append(
                            ManifestError(TREE, f"more than {limits.max_files} manifest files under the root")
                        )
                        return None
    return sorted(((rel, real) for real, rel in found.items()), key=lambda item: item[0])


def _scan_dir(path: str, *, rel_dir: str, errors: list[ManifestError]) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted((e for e in entries if not e.name.startswith(".")), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise FileVanished(rel_dir or TREE) from exc
    except OSError as exc:
        errors.append(ManifestError(rel_dir or TREE, f"cannot list directory: {exc.strerror}"))
        return []


def _is_inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _read_file(real: str, *, rel: str, limits: Limits, errors: list[ManifestError]) -> bytes | None:
    """Read one whole file, refusing it if it is too large; None (and an error) if it cannot be read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError as exc:
        raise FileVanished(rel) from exc
    except OSError as exc:
        errors.append(ManifestError(rel, f"cannot read: {exc.strerror}"))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            errors.append(ManifestError(rel, "not a regular file"))
            return None
        if info.st_size > limits.max_file_bytes:
            errors.append(too_large(rel, info.st_size, limits))
            return None
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65_536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.max_file_bytes:  # grew since fstat
                errors.append(too_large(rel, size, limits))
                return None
        return b"".join(chunks)
    except OSError as exc:
        errors.append(ManifestError(rel, f"cannot read: {exc.strerror}"))
        return None
    finally:
        os.close(fd)
