"""Argument checks shared by all schedules: each is a Param.check (optim_core/params.py) with ScheduleError.

The ranges here are what the functions accept, often wider than a widget's (ScheduleSpec.params).
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

from optim_core.params import Param
from optim_core.schedules.spec import ScheduleError


def as_int(name: str, value: Any, *, low: int | None = None) -> int:
    """An integer (an integral float such as 10.0 from a widget is accepted)."""
    return Param(name, kind="int", low=low).check(value, error=ScheduleError)


def as_float(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite float in [low, high]; low_open / high_open exclude the bound."""
    param = Param(name, kind="float", low=low, high=high, low_open=low_open, high_open=high_open)
    return param.check(value, error=ScheduleError)


def as_lr(name: str, value: Any) -> float:
    """A learning rate: finite and >= 0."""
    return as_float(name, value, low=0.0)


def as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    return Param(name, kind="choice", choices=choices).check(value, error=ScheduleError)


def as_bool(name: str, value: Any) -> bool:
    """True or False; like torch, which only tests a flag's truth, 0 and 1 are accepted too."""
    if isinstance(value, Integral) and value in (0, 1):
        value = bool(value)
    return Param(name, kind="bool").check(value, error=ScheduleError)


def as_milestones(name: str, value: Any, *, low: int) -> tuple[int, ...]:
    """Strictly increasing integers >= low."""
    return Param(name, kind="int_list", low=low).check(value, error=ScheduleError)
