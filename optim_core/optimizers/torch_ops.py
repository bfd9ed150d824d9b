r"""torch's fused CPU arithmetic, reproduced bit for bit in plain NumPy (and compiled by numba).

torch's CPU kernels for ``add(other, alpha=)``, ``addcmul_`` and ``lerp_`` are compiled with fused
multiply-add (FMA, one rounding for a·b + c) on every x86-64 CPU with AVX2 or AVX-512 and on ARM, so
``p.add_(g, alpha=-lr)`` is ``fma(-lr, g, p)``, not ``p + (-lr * g)`` (two roundings). NumPy has no FMA,
so `fma` computes the exactly rounded a·b + c from ordinary float64 operations: Dekker's exact product,
Knuth's exact sum and one addition rounded to odd (Boldo & Melquiond, "Emulation of FMA and correctly
rounded sums: proved algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008).
``addcdiv_`` is not fused: ``p.addcdiv_(a, b, value=v)`` is ``p + (v * a) / b``; ``float / tensor`` is
``tensor.reciprocal() * float``.

What cannot be reproduced: torch's CPU ``sqrt`` (Intel MKL's vdSqrt in torch's x86 builds) is faithfully
but not correctly rounded; about 1 % of its roots lie one ulp from the exact root that NumPy's sqrt
returns. The rules that take a square root say so; tests/parity/test_bit_identical.py shows that their
paths equal torch's bit for bit once torch's sqrt is correctly rounded, so that is the one difference left.

Both functions take float64 arrays or floats (at least one an array) and return a new array; where an
input is not finite or a step of the emulation overflows (|a|, |b| near 1e300, a run diverging anyway)
they return a·b + c rounded twice.
"""

from __future__ import annotations

import numpy as np

from ..jitable import jitable

# Veltkamp's splitting constant 2^27 + 1: a = hi + lo with hi, lo of 26 bits, so hi·hi' is exact
_SPLIT = 134217729.0


@jitable
def fma(a, b, c):
    r"""$\mathrm{round}(a b + c)$, rounded once, as a hardware fused multiply-add."""
    # $u_h + u_l = a b$ exactly (Dekker)
    u_h = a * b
    t = _SPLIT * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = _SPLIT * b
    b_hi = t - (t - b)
    b_lo = b - b_hi
    u_l = ((a_hi * b_hi - u_h) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    # $t_h + t_l = c + u_h$ exactly (Knuth's two-sum)
    t_h = c + u_h
    s = t_h - c
    t_l = (c - (t_h - s)) + (u_h - s)
    # $v = \circ_{odd}(t_l + u_l)$: rounded to nearest, then moved to the odd neighbour if inexact
    v = t_l + u_l
    s = v - t_l
    err = (t_l - (v - s)) + (u_l - s)
    even = (v.view(np.int64) & 1) == 0
    v = np.where(even & (err != 0), np.nextafter(v, np.copysign(np.inf, err)), v)
    # $\circ(t_h + v)$ is the correctly rounded $a b + c$
    z = t_h + v
    # where a step overflowed (a run diverging anyway) or an input is not finite, IEEE's a·b + c
    return np.where(np.isfinite(z), z, u_h + c)


@jitable
def lerp(start, end, weight):
    r"""torch's ``start.lerp_(end, weight)`` on CPU: $s + w (e - s)$ if $|w| < 0.5$, else $e - (1 - w)(e - s)$

    as its kernel computes it (aten/src/ATen/native/Lerp.h): fma(w, e − s, s), or fma(w − 1, e − s, e).
    """
    small = np.abs(weight) < 0.5
    # one fma on the chosen coefficient and base, as torch's vectorized kernel blends them
    return fma(np.where(small, weight, weight - 1.0), end - start, np.where(small, start, end))
