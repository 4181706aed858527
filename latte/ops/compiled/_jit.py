"""The kernels' Numba decorators."""
from __future__ import annotations

import numba

__all__ = ["jit", "sum_jit"]

# a kernel releases the GIL, so latte's threads run kernels side by side; compiled once per
# machine and dtype, then cached beside the source
jit = numba.njit(nogil=True, cache=True)
# sums may be reordered into SIMD lanes (their float64 accumulators stay exact enough): the order
# is fixed by the compiled code, so a result does not depend on the thread count
sum_jit = numba.njit(nogil=True, cache=True, fastmath={"reassoc"})
