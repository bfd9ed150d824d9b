"""Argument checks shared by all schedules: each returns the value in a clean type or raises ScheduleError."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

from optim_core.schedules.spec import ScheduleError


def as_int(name: str, value: Any, *, low: int | None = None) -> int:
    """An integer (an integral float such as 10.0 from a widget is accepted)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value).is_integer():
        raise ScheduleError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ScheduleError(f"{name} must be >= {low}, got {value}")
    return value


def as_float(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite float in [low, high]; low_open / high_open exclude the bound."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ScheduleError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ScheduleError(f"{name} must be in {span}, got {value}")
    return value


def as_lr(name: str, value: Any) -> float:
    """A learning rate: finite and >= 0."""
    return as_float(name, value, low=0.0)


def as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ScheduleError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_, Integral)) or value not in (0, 1):
        raise ScheduleError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_milestones(name: str, value: Any, *, low: int) -> tuple[int, ...]:
    """Strictly increasing integers >= low."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ScheduleError(f"{name} must be a list of integers, got {value!r}")
    items = tuple(as_int(f"{name}[{i}]", v, low=low) for i, v in enumerate(value))
    if any(b <= a for a, b in zip(items, items[1:], strict=False)):
        raise ScheduleError(f"{name} must be strictly increasing, got {list(items)}")
    return items
