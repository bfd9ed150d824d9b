"""Cosine annealing, without restarts (CosineAnnealingLR) and with warm restarts (SGDR)."""

from __future__ import annotations

import math

from optim_core.params import Param
from optim_core.schedules.checks import as_int, as_lr
from optim_core.schedules.registry import register
from optim_core.schedules.spec import DEFAULT_LR, Schedule

_ETA_MIN = Param("eta_min", 0.0, "float", 0.0, 0.1)


def cosine_between(base: float, eta_min: float, t_cur: int, period: int) -> float:
    """The cosine from base (t_cur = 0) down to eta_min (t_cur = period), in torch's operation order."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / period)) / 2


@register(
    "cosine_annealing_lr",
    label={"en": "Cosine annealing (CosineAnnealingLR)", "zh": "余弦退火 (CosineAnnealingLR)"},
    latex=r"\eta_t = \eta_{\min} + \tfrac{1}{2}(\eta_0 - \eta_{\min})"
    r"\left(1 + \cos\frac{\pi t}{T_{\max}}\right)",
    # T_max up to 5000 steps: the longest curve the app draws, so a cosine over all of them fits
    params=(Param("T_max", 100, "int", 1, 5000, required=True), _ETA_MIN),
    torch_class="CosineAnnealingLR",
)
def cosine_annealing_lr(*, lr: float = DEFAULT_LR, T_max: int, eta_min: float = 0.0) -> Schedule:
    """Anneal from lr to eta_min over T_max steps.

    Past T_max the LR climbs back (the cosine has period 2 T_max): torch's recursive form does that
    too, and this closed form is what that recursion computes.
    """
    lr, T_max = as_lr("lr", lr), as_int("T_max", T_max, low=1)
    eta_min = as_lr("eta_min", eta_min)
    return lambda t: cosine_between(lr, eta_min, t, T_max)


def restart_position(t: int, T_0: int, T_mult: int) -> tuple[int, int]:
    """(T_cur, T_i): steps since the last restart and the current period length, at step t.

    Periods last T_0, T_0 T_mult, T_0 T_mult^2, ... steps; integer arithmetic, exactly as torch's step().
    """
    if T_mult == 1:
        return t % T_0, T_0
    period = T_0
    while t >= period:
        t -= period
        period *= T_mult
    return t, period


@register(
    "cosine_annealing_warm_restarts",
    label={"en": "Cosine with warm restarts (SGDR)", "zh": "带热重启的余弦退火 (SGDR)"},
    latex=r"\eta_t = \eta_{\min} + \tfrac{1}{2}(\eta_0 - \eta_{\min})"
    r"\left(1 + \cos\frac{\pi T_{cur}}{T_i}\right),"
    r"\quad T_i = T_0\, T_{mult}^{\,i}",
    params=(
        Param("T_0", 50, "int", 1, 1000, required=True),
        Param("T_mult", 1, "int", 1, 4),
        _ETA_MIN,
    ),
    torch_class="CosineAnnealingWarmRestarts",
)
def cosine_annealing_warm_restarts(
    *, lr: float = DEFAULT_LR, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> Schedule:
    """Anneal from lr to eta_min over T_0 steps, jump back to lr, repeat with periods growing by T_mult."""
    lr, eta_min = as_lr("lr", lr), as_lr("eta_min", eta_min)
    T_0, T_mult = as_int("T_0", T_0, low=1), as_int("T_mult", T_mult, low=1)

    def schedule(t: int) -> float:
        t_cur, period = restart_position(t, T_0, T_mult)
        return cosine_between(lr, eta_min, t_cur, period)

    return schedule
