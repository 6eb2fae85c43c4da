"""The daemon's heap: few malloc arenas for its threads, and between passes the pass's garbage collected, what
survives frozen, and the freed memory given back.

CPython frees a pass's objects into glibc's heaps, which keep the pages (resident) for reuse; a daemon that reads
thousands of describe answers a pass holds several MB of such pages between passes, and the next pass's objects
land beside them rather than in them. ``malloc_trim`` returns the free pages of every heap to the system (3 MB at
1,000 services, bench/memory.py). glibc also gives each thread that allocates at once a heap (an arena) of its
own, up to 8 per core, each keeping free pages of its own; the daemon's threads (passes, the lease keeper, HTTP,
deliveries) mostly wait on sockets, so ``ARENAS`` heaps serve them (2.5 MB of peak at 1,000 services). Where the C
library has neither call (musl, macOS), nothing is changed.
"""

from __future__ import annotations

import ctypes
import functools
import gc
from collections.abc import Callable

ARENAS = 2
"""The malloc arenas the daemon's threads share (glibc's M_ARENA_MAX)."""
_M_ARENA_MAX = -8  # glibc's malloc.h


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def share_arenas() -> bool:
    """Cap the process's malloc arenas at ``ARENAS`` (before its threads start); False where there is no mallopt
    or it refused."""
    mallopt: Callable[[int, int], int] | None = getattr(_libc(), "mallopt", None)
    return mallopt is not None and mallopt(_M_ARENA_MAX, ARENAS) == 1


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    trim: Callable[[int], int] | None = getattr(_libc(), "malloc_trim", None)
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
