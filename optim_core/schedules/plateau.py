"""ReduceLROnPlateau: cut the LR when a monitored metric stops improving, plus a loss series to show it on.

Unlike the other schedules it reads a metric each epoch, so it is not a function of the step alone and is
not in SCHEDULES; its spec is PLATEAU.
"""

from __future__ import annotations

import math

import numpy as np

from optim_core.params import Param
from optim_core.schedules.checks import as_choice, as_float, as_int, as_lr
from optim_core.schedules.spec import DEFAULT_LR, ScheduleError, ScheduleSpec, attach_formula
from optim_core.schedules.torch_code import script, torch_call

_DEFAULTS = {
    "mode": "min",
    "factor": 0.1,
    "patience": 10,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "cooldown": 0,
    "min_lr": 0.0,
    "eps": 1e-8,
}

# min mode, rel threshold shown; max mode flips the comparison, abs mode uses best -/+ threshold
_LATEX = (
    r"\eta_{e+1} = \begin{cases} \max(\mathrm{factor} \cdot \eta_e,\ \mathrm{min\_lr})"
    r" & b_e > \mathrm{patience}"
    r" \\ \eta_e & \text{otherwise} \end{cases},\quad b_e = \text{epochs since the metric last beat }"
    r"\mathrm{best} \cdot (1 - \mathrm{threshold})"
)


def _is_better(mode: str, threshold_mode: str, threshold: float, value: float, best: float) -> bool:
    """torch's ReduceLROnPlateau._is_better, term for term."""
    if mode == "min" and threshold_mode == "rel":
        return value < best * (1.0 - threshold)
    if mode == "min":
        return value < best - threshold
    if threshold_mode == "rel":
        return value > best * (threshold + 1.0)
    return value > best + threshold


def reduce_lr_on_plateau(
    metrics,
    *,
    lr: float = DEFAULT_LR,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> np.ndarray:
    """The LR in effect during each epoch, as torch's ReduceLROnPlateau sets it.

    Element t is the LR used while epoch t trains, i.e. before scheduler.step(metrics[t]); so element 0
    is lr, and the last metric's verdict falls after the returned window. Same length as metrics.
    mode="min" watches a loss, "max" an accuracy. An epoch improves on the best when it beats
    best * (1 - threshold) (rel) or best - threshold (abs); "max" mirrors both. After a cut, `cooldown`
    epochs pass before bad epochs count again; a cut smaller than eps is skipped. Raises ScheduleError
    (a ValueError) on bad input, for example factor >= 1 (torch's own check).
    """
    values = np.asarray(metrics, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ScheduleError(f"metrics must be a non-empty 1-D sequence, got shape {values.shape}")
    current = as_lr("lr", lr)
    mode = as_choice("mode", mode, ("min", "max"))
    threshold_mode = as_choice("threshold_mode", threshold_mode, ("rel", "abs"))
    factor = as_float("factor", factor, low=0.0, high=1.0, high_open=True)
    patience, cooldown = as_int("patience", patience, low=0), as_int("cooldown", cooldown, low=0)
    threshold, eps = as_float("threshold", threshold, low=0.0), as_float("eps", eps, low=0.0)
    min_lr = as_lr("min_lr", min_lr)

    best = math.inf if mode == "min" else -math.inf
    num_bad_epochs = cooldown_counter = 0
    lrs = np.empty(values.size)
    for epoch, value in enumerate(values.tolist()):
        lrs[epoch] = current
        # 1. compare with the best so far
        if _is_better(mode, threshold_mode, threshold, value, best):
            best, num_bad_epochs = value, 0
        else:
            num_bad_epochs += 1
        # 2. bad epochs during a cooldown do not count
        if cooldown_counter > 0:
            cooldown_counter -= 1
            num_bad_epochs = 0
        # 3. out of patience: cut, unless the cut is below eps (e.g. already at min_lr)
        if num_bad_epochs > patience:
            reduced = max(current * factor, min_lr)
            if current - reduced > eps:
                current = reduced
            cooldown_counter, num_bad_epochs = cooldown, 0
    return lrs


attach_formula(reduce_lr_on_plateau, _LATEX)


def noisy_plateau_series(
    n: int, seed: int = 0, *, start: float = 2.0, floor: float = 0.4, noise: float = 0.03
) -> np.ndarray:
    """A validation-loss-like series of n epochs: a fast fall from `start` that flattens onto `floor`
    (96% of the way down after the first third), with multiplicative log-normal noise of size `noise`.

    The same (n, seed) always gives the same series. All values are > 0.
    """
    n = as_int("n", n, low=1)
    seed = as_int("seed", seed, low=0)
    start = as_float("start", start, low=0.0, low_open=True)
    floor = as_float("floor", floor, low=0.0, low_open=True)
    noise = as_float("noise", noise, low=0.0)
    epochs = np.arange(n, dtype=np.float64)
    # loss_t = floor + (start - floor) exp(-t / tau), tau = n / 10: flat (up to noise) for the last ~half
    trend = floor + (start - floor) * np.exp(-epochs / max(n / 10.0, 1.0))
    return trend * np.exp(noise * np.random.default_rng(seed).standard_normal(n))


def _plateau_code(kwargs=None) -> str:
    kwargs = dict(kwargs or {})
    lr = kwargs.pop("lr", DEFAULT_LR)
    reduce_lr_on_plateau([1.0], lr=lr, **kwargs)  # the same checks, so bad arguments never print code
    return script(
        lr, torch_call("ReduceLROnPlateau", {**_DEFAULTS, **kwargs}, _DEFAULTS), per_epoch_metric=True
    )


PLATEAU = ScheduleSpec(
    name="reduce_lr_on_plateau",
    label={"en": "Reduce on plateau (ReduceLROnPlateau)", "zh": "平台期降低学习率 (ReduceLROnPlateau)"},
    params=(
        Param("mode", "min", "choice", choices=("min", "max")),
        Param("factor", 0.1, "float", 0.01, 0.99),
        Param("patience", 10, "int", 0, 100),
        Param("threshold", 1e-4, "float", 1e-6, 0.1, log_scale=True),
        Param("threshold_mode", "rel", "choice", choices=("rel", "abs")),
        Param("cooldown", 0, "int", 0, 100),
        Param("min_lr", 0.0, "float", 0.0, 0.1),
        Param("eps", 1e-8, "float", 0.0, 1e-3),
    ),
    latex=_LATEX,
    torch_code=_plateau_code,
    torch_class="ReduceLROnPlateau",
    build=None,
)
