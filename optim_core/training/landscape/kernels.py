"""Compiled loops of the factored landscape forward (factored.py): a per-channel affine map, 2×2 max-pooling
and ReLU in one pass over NHWC activations, for K grid points at once.

Why compiled: in torch the same work is four or five passes over the largest activations (scale, shift,
pool, ReLU, a layout copy), each writing K copies of a tensor that one pass can read once and write
pooled, a quarter of the size. Everything here is float32 in, float32 out; sums of statistics are float64.
Self-contained (no helper from another file), so numba's own disk cache (cache=True) is safe. Serial and
nogil: the threads work a chunk of points each (factored.chunks_in_threads), not a loop each.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def combine_pool_relu(z, scale, shift, out):  # pragma: no cover - compiled (tests call it through numba)
    """out[n, i, j, k, c] = max(0, max over the 2×2 window q of Σ_d scale[k, d, c]·z[n, d, i, j, q, c]
    + shift[k, c]).

    z (N, D, Hp, Wp, 4, C): D ≥ 2 precomputed maps of the first layer (the origin's and one per
    direction), grouped by pooling window (q: the window's 4 pixels); scale (K, D, Hp·Wp·4·C) and shift
    (K, Hp·Wp·4·C): one affine combination of the maps per grid point k and channel, repeated over the
    pixels (so the loops below run over whole images, not 16 channels at a time); out (N, Hp, Wp, K, C),
    C-contiguous: the pooled activations, NHWC with the K points' channels side by side.
    """
    n, d, hp, wp, _, c = z.shape
    k_points, size = shift.shape
    maps = z.reshape(n, d, size)
    pooled = out.reshape(n, hp * wp, k_points * c)
    value = np.empty(size, dtype=np.float32)
    # Plain indexing of 1-D rows taken outside the loops, long inner loops and a ternary (not max(), which
    # keeps numba's loops scalar): what lets LLVM vectorize these loops. The sum runs over the maps in
    # order (shift first), whichever loop below computes it.
    for img in range(n):
        m0, m1, m2 = maps[img, 0], maps[img, 1], maps[img, min(2, d - 1)]
        for k in range(k_points):
            sh, s0, s1, s2 = shift[k], scale[k, 0], scale[k, 1], scale[k, min(2, d - 1)]
            if d == 2:  # a line: origin and one direction
                for t in range(size):
                    value[t] = sh[t] + s0[t] * m0[t] + s1[t] * m1[t]
            else:  # a plane (D = 3) in one pass; more maps, one pass each
                for t in range(size):
                    value[t] = sh[t] + s0[t] * m0[t] + s1[t] * m1[t] + s2[t] * m2[t]
                for m in range(3, d):
                    sm, mm = scale[k, m], maps[img, m]
                    for t in range(size):
                        value[t] += sm[t] * mm[t]
            for p in range(hp * wp):
                base = 4 * c * p
                row = pooled[img, p]
                for ch in range(c):
                    v0, v1 = value[base + ch], value[base + c + ch]
                    v2, v3 = value[base + 2 * c + ch], value[base + 3 * c + ch]
                    v01 = v0 if v0 >= v1 else v1
                    v23 = v2 if v2 >= v3 else v3
                    best = v01 if v01 >= v23 else v23
                    row[k * c + ch] = best if best > 0.0 else 0.0


@numba.njit(nogil=True, cache=True)
def channel_moments(x):  # pragma: no cover - compiled
    """(mean (C,), biased variance (C,)) of x (R, C) over its R rows, in float64, in one pass.

    Sums of x − x[0] and of its square: shifted by a value of each column (its first row), the difference
    of the two sums loses about (distance of that value from the mean / spread)² ulps of float64, so
    activations, whose first row lies within a few spreads of the mean, keep float64's precision. One
    pass reads the grid's largest activations once, not twice."""
    rows, c = x.shape
    first = np.empty(c)
    for ch in range(c):
        first[ch] = x[0, ch]
    total = np.zeros(c)
    squares = np.zeros(c)
    for r in range(rows):
        for ch in range(c):
            dev = x[r, ch] - first[ch]
            total[ch] += dev
            squares[ch] += dev * dev
    mean = total / rows
    # $\sigma^2 = \frac{1}{R}\sum (x - x_0)^2 - (\bar{x} - x_0)^2$
    return first + mean, squares / rows - mean * mean


@numba.njit(nogil=True, cache=True)
def affine_pool_relu(x, scale, shift, out):  # pragma: no cover - compiled
    """out[n, i, j, c] = max(0, max over the 2×2 window at (2i, 2j) of scale[c]·x[n, ·, ·, c] + shift[c]).

    x (N, H, W, C) NHWC; scale, shift (C,); out (N, H // 2, W // 2, C) (an odd last row or column is
    dropped, as max_pool2d(2) drops it)."""
    n, hp, wp, c = out.shape
    for img in range(n):
        for i in range(hp):
            for j in range(wp):
                # the window's four pixels as 1-D rows of C channels, each read once
                x0, x1 = x[img, 2 * i, 2 * j], x[img, 2 * i, 2 * j + 1]
                x2, x3 = x[img, 2 * i + 1, 2 * j], x[img, 2 * i + 1, 2 * j + 1]
                row = out[img, i, j]
                for ch in range(c):
                    s, t = scale[ch], shift[ch]
                    v0, v1, v2, v3 = s * x0[ch] + t, s * x1[ch] + t, s * x2[ch] + t, s * x3[ch] + t
                    v01 = v0 if v0 >= v1 else v1
                    v23 = v2 if v2 >= v3 else v3
                    best = v01 if v01 >= v23 else v23
                    row[ch] = best if best > 0.0 else 0.0  # the ReLU
