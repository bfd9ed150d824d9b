"""`@jitable`: marks a plain NumPy helper that the compiled backend must compile too.

Rules' `update` functions and surfaces' `grad` functions are compiled directly; the helpers they call
(adam.decay_and_moments, the plateau's sech², ...) are compiled only if they are listed in
optim_core/simulation/numba_backend.py's JITTED_HELPERS. The marker registers nothing (importing a
module has no effect on the backend); it says "keep this numba-compilable" to the reader, and a test
(tests/core/test_numba_backend.py) checks that every function marked here is in that list.

A leaf module, outside optim_core/simulation/: the surfaces and the optimizers import it, and the
simulation imports them.
"""

from __future__ import annotations

from collections.abc import Callable


def jitable(function: Callable) -> Callable:
    """Mark `function` as compiled by the numba backend (sets `function.jitable = True`); returns it."""
    function.jitable = True  # type: ignore[attr-defined]
    return function
