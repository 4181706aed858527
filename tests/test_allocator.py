"""``latte._allocator``: freed large arrays are reused by malloc instead of page-faulted again."""
from __future__ import annotations

import resource
import sys

import numpy as np
import pytest

from latte import _allocator


def _faults_of(fn) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt only")
def test_a_freed_large_array_is_reused_without_page_faults():
    if not _allocator.keep_freed_memory():
        pytest.skip("the C library is not glibc")

    def touch() -> None:
        a = np.empty(16 << 20, np.float32)  # 64 MiB: past glibc's default mmap threshold
        a.fill(1.0)
    touch()
    # a fresh mmap of 64 MiB faults at least once per 2 MiB huge page (16,384 times for 4 KiB
    # pages); reused heap memory not at all
    assert _faults_of(touch) < 32


def test_the_environment_switch_leaves_malloc_alone(monkeypatch):
    monkeypatch.setenv("LATTE_KEEP_FREED_MEMORY", "0")
    assert _allocator.keep_freed_memory() is False
