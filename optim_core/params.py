"""Param: one named value with a range, for optimizer hyperparameters, schedule arguments and surfaces.

The same record describes the app's control (kind, range, log scale, choices) and checks a value
(`Param.check`); `Param.range_text` is the one place a range is written out, so every error message
words a range the same way:

    >>> Param("eps", 1e-8, "float", 1e-12, 1.0, log_scale=True).range_text()
    'in [1e-12, 1]'
    >>> Param("T_max", 100, "int", low=1).check(50.0)
    50
    >>> Param("curvature", 1.0, low=0.0, low_open=True).check(0.0, where="parameter 'curvature'")
    Traceback (most recent call last):
    ...
    ValueError: parameter 'curvature' must be > 0, got 0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, SupportsInt, cast

import numpy as np

# float, int; bool; choice (one of `choices`); betas (a pair of floats, each in the range, as Adam's
# betas); int_list (strictly increasing integers, each in the range, as MultiStepLR's milestones)
KINDS = ("float", "int", "bool", "choice", "betas", "int_list")


@dataclass(frozen=True)
class Param:
    """One named value: its default, kind and allowed range.

    The range is low..high; low_open / high_open exclude that end (eps > 0, beta < 1), and an infinite
    end is always excluded. None leaves that side unbounded.
    log_scale: its control is logarithmic (then low > 0).
    required: the function has no default for it; `default` is then only where a control starts.
    """

    name: str
    default: Any = None
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    log_scale: bool = False
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] = ()
    required: bool = False

    def __post_init__(self):
        assert self.kind in KINDS, f"{self.name}: kind {self.kind!r} is not one of {KINDS}"

    def range_text(self) -> str:
        """What a valid value is, as it reads after "must be": 'in [0, 1)', '>= 1', 'one of ...'."""
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(map(repr, self.choices))
        low_open = self.low_open or self.low == -math.inf
        high_open = self.high_open or self.high == math.inf
        if self.low is not None and self.high is not None:
            return f"in {'(' if low_open else '['}{self.low:g}, {self.high:g}{')' if high_open else ']'}"
        if self.low is not None:
            return f"{'>' if low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"{'<' if high_open else '<='} {self.high:g}"
        return ""

    def contains(self, value: float) -> bool:
        """Whether the number `value` lies in the range."""
        above = self.low is None or (value > self.low if self.low_open else value >= self.low)
        below = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return bool(above and below)

    def check(self, value: Any, *, where: str | None = None, error: type[ValueError] = ValueError) -> Any:
        """`value` in its clean type (float, int, bool, tuple); raises `error` naming the valid range.

        where: how the message names the value (default: the name), e.g. "adam: lr" or "parameter 'b'".
        error: the ValueError subclass to raise, e.g. the schedules' ScheduleError.
        """
        where = where or self.name
        if self.kind == "bool":
            if not isinstance(value, bool | np.bool_):
                raise error(f"{where} must be True or False, got {value!r}")
            return bool(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise error(f"{where} must be {self.range_text()}, got {value!r}")
            return value
        if self.kind == "betas":
            if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
                raise error(f"{where} must be a pair, each {self.range_text()}, got {value!r}")
            return tuple(self._number(v, f"{where}[{i}]", error, "float") for i, v in enumerate(value))
        if self.kind == "int_list":
            if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
                raise error(f"{where} must be a list of integers, got {value!r}")
            items = tuple(self._number(v, f"{where}[{i}]", error, "int") for i, v in enumerate(value))
            if any(b <= a for a, b in zip(items, items[1:], strict=False)):
                raise error(f"{where} must be strictly increasing, got {list(items)}")
            return items
        return self._number(value, where, error, self.kind)

    def _number(self, value: Any, where: str, error: type[ValueError], kind: str) -> float | int:
        """One finite float, or one integer (an integral float such as 10.0 from a widget is accepted)."""
        wanted = "an integer" if kind == "int" else "a finite number"
        in_range = f" {self.range_text()}" if self.range_text() else ""
        integral = isinstance(value, Integral)  # exact, however large (float() could overflow)
        if isinstance(value, bool) or not isinstance(value, Real) or not (integral or math.isfinite(value)):
            raise error(f"{where} must be {wanted}{in_range}, got {value!r}")
        if kind == "int":
            if not (integral or float(value).is_integer()):
                raise error(f"{where} must be {wanted}{in_range}, got {value!r}")
            # every concrete Real (float, NumPy's, Fraction) has __int__, which numbers.Real does not declare
            value = int(cast(SupportsInt, value))
        else:
            value = float(value)
        if not self.contains(value):
            raise error(f"{where} must be {self.range_text()}, got {value!r}")
        return value
