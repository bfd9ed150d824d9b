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

    z (N, D, Hp, Wp, 4, C): D precomputed maps of the first layer, grouped by pooling window (q: the
    window's 4 pixels); scale (K, D, Hp·Wp·4·C) and shift (K, Hp·Wp·4·C): one affine combination of the
    maps per grid point k and channel, repeated over the pixels (so the loops below run over whole
    images, not 16 channels at a time); out (N, Hp, Wp, K, C): the pooled activations, NHWC with the K
    points' channels side by side.
    """
    n, d, hp, wp, _, c = z.shape
    k_points, size = shift.shape
    maps = z.reshape(n, d, size)
    # Plain indexing, long inner loops and a ternary (not max(), which keeps numba's loops scalar):
    # what lets LLVM vectorize these loops.
    for img in range(n):
        value = np.empty(size, dtype=np.float32)
        for k in range(k_points):
            for t in range(size):
                value[t] = shift[k, t]
            for m in range(d):
                for t in range(size):
                    value[t] += scale[k, m, t] * maps[img, m, t]
            for p in range(hp * wp):
                base = 4 * c * p
                for ch in range(c):
                    v0, v1 = value[base + ch], value[base + c + ch]
                    v2, v3 = value[base + 2 * c + ch], value[base + 3 * c + ch]
                    v01 = v0 if v0 >= v1 else v1
                    v23 = v2 if v2 >= v3 else v3
                    best = v01 if v01 >= v23 else v23
                    out[img, p // wp, p % wp, k, ch] = best if best > 0.0 else 0.0


@numba.njit(nogil=True, cache=True)
def channel_moments(x):  # pragma: no cover - compiled
    """(mean (C,), biased variance (C,)) of x (R, C) over its R rows, in float64 (two passes: the
    variance sums squared deviations from the mean, as torch's batch norm does)."""
    rows, c = x.shape
    mean = np.zeros(c)
    for r in range(rows):
        for ch in range(c):
            mean[ch] += x[r, ch]
    mean /= rows
    variance = np.zeros(c)
    for r in range(rows):
        for ch in range(c):
            dev = x[r, ch] - mean[ch]
            variance[ch] += dev * dev
    return mean, variance / rows


@numba.njit(nogil=True, cache=True)
def affine_pool_relu(x, scale, shift, out):  # pragma: no cover - compiled
    """out[n, i, j, c] = max(0, max over the 2×2 window at (2i, 2j) of scale[c]·x[n, ·, ·, c] + shift[c]).

    x (N, H, W, C) NHWC; scale, shift (C,); out (N, H // 2, W // 2, C) (an odd last row or column is
    dropped, as max_pool2d(2) drops it)."""
    n, hp, wp, c = out.shape
    for img in range(n):
        for i in range(hp):
            for j in range(wp):
                for ch in range(c):
                    out[img, i, j, ch] = 0.0  # the ReLU: the max below starts at 0
                for q in range(4):
                    row, col = 2 * i + q // 2, 2 * j + q % 2
                    for ch in range(c):
                        v, o = scale[ch] * x[img, row, col, ch] + shift[ch], out[img, i, j, ch]
                        out[img, i, j, ch] = o if o >= v else v
