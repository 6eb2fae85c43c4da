"""The daemon gives a pass's freed memory back between passes (reconciler/daemon/heap.py)."""

from __future__ import annotations

import gc
import platform

import pytest

from reconciler.daemon import heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_the_c_library_of_the_image_trims() -> None:
    assert heap._malloc_trim() is not None, "the image's glibc has malloc_trim: without it nothing is given back"


def test_settling_leaves_nothing_frozen_from_an_earlier_pass() -> None:
    heap.settle()
    first = gc.get_freeze_count()
    garbage = [[i] for i in range(10_000)]
    heap.settle()
    del garbage
    heap.settle()
    assert gc.get_freeze_count() <= first + 100, "objects of an earlier pass stay frozen"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's M_ARENA_MAX is glibc's")
def test_the_daemons_threads_share_few_malloc_arenas() -> None:
    assert heap.share_arenas(), "glibc refused the arena cap: each thread would keep a heap of its own"
