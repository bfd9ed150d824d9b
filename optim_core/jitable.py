"""`@jitable`: marks a plain NumPy helper that the compiled backend (compiled.py) must compile too.

Rules' `update` functions and surfaces' `grad` functions are compiled directly; the helpers they call
(adam.decay_and_moments, the plateau's sech², ...) are compiled only if they are listed here. The
decorator just records the function, so nothing here imports numba.
"""

from __future__ import annotations

from collections.abc import Callable

JITABLE: list[Callable] = []


def jitable(function: Callable) -> Callable:
    """Record `function` for the compiled backend; returns it unchanged."""
    JITABLE.append(function)
    return function
