"""Schedules from the course notes, written as formulas of the step t.

torch has no class for these; torch_code gives a LambdaLR whose lambda is the multiplier
eta_t / eta_0, and the tests run that code and compare.
"""

from __future__ import annotations

import math

from optim_core.params import Param
from optim_core.schedules.checks import as_float, as_int, as_lr
from optim_core.schedules.registry import register
from optim_core.schedules.spec import DEFAULT_LR, Schedule
from optim_core.schedules.torch_code import lambda_lr, py


@register(
    "inverse_time",
    label={"en": "Inverse-time decay", "zh": "反比例(逆时间)衰减"},
    latex=r"\eta_t = \frac{\eta_0}{1 + k\, t}",
    params=(Param("k", 0.01, "float", 1e-4, 1.0, log_scale=True),),
    code=lambda kw: lambda_lr(f"1 / (1 + {py(kw['k'])} * t)"),
)
def inverse_time(*, lr: float = DEFAULT_LR, k: float = 0.01) -> Schedule:
    """Decay as 1/t for large t: the classic Robbins-Monro rate (sum of LRs diverges, sum of squares not)."""
    lr, k = as_lr("lr", lr), as_float("k", k, low=0.0)
    return lambda t: lr / (1 + k * t)


@register(
    "exponential_budget",
    label={"en": "Exponential decay over a budget", "zh": "按预算的指数衰减"},
    latex=r"\eta_t = \eta_0 \, d^{\,t / T}",
    params=(Param("d", 0.01, "float", 1e-4, 1.0, log_scale=True), Param("T", 300, "int", 1, 10000)),
    code=lambda kw: lambda_lr(f"{py(kw['d'])} ** (t / {py(kw['T'])})"),
)
def exponential_budget(*, lr: float = DEFAULT_LR, d: float = 0.01, T: int = 300) -> Schedule:
    """Exponential decay parametrized by the budget: the LR has fallen to d * lr at step T (and goes on)."""
    lr, d = as_lr("lr", lr), as_float("d", d, low=0.0, low_open=True)
    T = as_int("T", T, low=1)
    return lambda t: lr * d ** (t / T)


@register(
    "power",
    label={"en": "Power decay to zero", "zh": "幂次衰减到零"},
    latex=r"\eta_t = \eta_0 \left(1 - \frac{\min(t,\, T)}{T}\right)^{p}",
    params=(Param("T", 300, "int", 1, 10000), Param("p", 2.0, "float", 0.1, 5.0)),
    code=lambda kw: lambda_lr(f"(1 - min(t, {py(kw['T'])}) / {py(kw['T'])}) ** {py(kw['p'])}"),
)
def power(*, lr: float = DEFAULT_LR, T: int = 300, p: float = 2.0) -> Schedule:
    """Reach exactly 0 at step T along (1 - t/T)^p and hold it (p = 1 is linear decay; cf. PolynomialLR)."""
    lr, T, p = as_lr("lr", lr), as_int("T", T, low=1), as_float("p", p, low=0.0, low_open=True)
    return lambda t: lr * (1 - min(t, T) / T) ** p


@register(
    "inverse_sqrt",
    label={"en": "Inverse square root", "zh": "平方根倒数衰减"},
    latex=r"\eta_t = \frac{\eta_0}{\sqrt{t + 1}}",
    params=(),
    code=lambda kw: lambda_lr("1 / math.sqrt(t + 1)"),
)
def inverse_sqrt(*, lr: float = DEFAULT_LR) -> Schedule:
    """The notes' k / sqrt(t), with k = lr and t + 1 in place of t so step 0 is defined and gives lr."""
    lr = as_lr("lr", lr)
    return lambda t: lr / math.sqrt(t + 1)


@register(
    "staircase",
    label={"en": "Staircase exponential decay", "zh": "阶梯式指数衰减"},
    latex=r"\eta_t = \eta_0 \, d^{\lfloor t / s \rfloor}",
    params=(Param("d", 0.5, "float", 0.01, 1.0), Param("s", 50, "int", 1, 1000)),
    code=lambda kw: lambda_lr(f"{py(kw['d'])} ** (t // {py(kw['s'])})"),
)
def staircase(*, lr: float = DEFAULT_LR, d: float = 0.5, s: int = 50) -> Schedule:
    """Exponential decay in steps: multiply by d every s steps (the curve of StepLR(step_size=s, gamma=d))."""
    lr, d, s = as_lr("lr", lr), as_float("d", d, low=0.0, low_open=True), as_int("s", s, low=1)
    return lambda t: lr * d ** (t // s)
