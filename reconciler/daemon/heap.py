"""Between passes: the pass's garbage collected, what survives frozen, and the freed memory given back.

CPython frees a pass's objects into glibc's heaps, which keep the pages (resident) for reuse; a daemon that reads
thousands of describe answers a pass holds several MB of such pages between passes, and the next pass's objects
land beside them rather than in them. ``malloc_trim`` returns the free pages of every heap to the system (3 MB at
1,000 services, bench/memory.py). Where the C library has no ``malloc_trim`` (musl, macOS), nothing is trimmed.
"""

from __future__ import annotations

import ctypes
import functools
import gc
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    trim: Callable[[int], int] | None = getattr(ctypes.CDLL(None), "malloc_trim", None)
    return trim


def settle() -> None:
    """Collect the pass's cyclic garbage now and freeze what survives (the parsed manifests, kept revisions,
    modules), so the collector's automatic runs during the next pass scan only that pass's objects instead of
    pausing it for a sweep of everything; unfrozen first each time, so nothing stays frozen beyond one pass. Then
    hand the freed pages back."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
