"""Cyclical LRs: CyclicLR (Smith 2015) and OneCycleLR (super-convergence).

Both set absolute LRs: torch overwrites the optimizer's LR with base_lr (CyclicLR) or max_lr/div_factor
(OneCycleLR), so `lr` is accepted for a uniform call and has no effect. Give max_lr=1.0 for a
multiplier curve. Momentum cycling (cycle_momentum, base_momentum, max_momentum) never touches the LR;
those arguments are accepted so the PyTorch code can carry them.
"""

from __future__ import annotations

import math

from optim_core.params import Param
from optim_core.schedules.checks import as_bool, as_choice, as_float, as_int, as_lr
from optim_core.schedules.registry import register
from optim_core.schedules.spec import DEFAULT_LR, Schedule, ScheduleError

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def _check_momentum(cycle_momentum, base_momentum, max_momentum) -> None:
    as_bool("cycle_momentum", cycle_momentum)
    as_float("base_momentum", base_momentum, low=0.0)
    as_float("max_momentum", max_momentum, low=0.0)


@register(
    "cyclic_lr",
    label={"en": "Cyclical LR (CyclicLR)", "zh": "循环学习率 (CyclicLR)"},
    latex=r"\eta_t = \eta_{base} + (\eta_{max} - \eta_{base})\, h_t\, \sigma_t,\quad "
    r"c = \left\lfloor 1 + \tfrac{t}{u + d} \right\rfloor,\ x = 1 + \tfrac{t}{u + d} - c,\ "
    r"h_t = \begin{cases} x / r & x \le r \\ (x - 1)/(r - 1) & x > r \end{cases},\ r = \tfrac{u}{u + d},\ "
    r"\sigma_t = 1 \text{ (triangular)},\ 2^{1 - c} \text{ (triangular2)},\ \gamma^{t} \text{ (exp\_range)}",
    params=(
        Param("base_lr", 0.001, "float", 1e-5, 1.0, log_scale=True, required=True),
        Param("max_lr", 0.1, "float", 1e-4, 10.0, log_scale=True, required=True),
        Param("step_size_up", 2000, "int", 1, 5000),
        Param("step_size_down", None, "int", 1, 5000),
        Param("mode", "triangular", "choice", choices=CYCLIC_MODES),
        Param("gamma", 1.0, "float", 0.9, 1.0),
    ),
    torch_class="CyclicLR",
    uses_lr=False,
)
def cyclic_lr(
    *,
    lr: float = DEFAULT_LR,
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> Schedule:
    """Cycle between base_lr and max_lr: u = step_size_up steps up, d = step_size_down steps down.

    scale_mode only matters for a custom scale_fn (not offered here): for the three built-in modes torch
    replaces it (triangular, triangular2 -> 'cycle'; exp_range -> 'iterations'), so it has no effect.
    """
    as_lr("lr", lr)
    base_lr, max_lr = as_lr("base_lr", base_lr), as_lr("max_lr", max_lr)
    up = float(as_int("step_size_up", step_size_up, low=1))
    down = up if step_size_down is None else float(as_int("step_size_down", step_size_down, low=1))
    mode = as_choice("mode", mode, CYCLIC_MODES)
    gamma = as_float("gamma", gamma, low=0.0, low_open=True)
    as_choice("scale_mode", scale_mode, ("cycle", "iterations"))
    _check_momentum(cycle_momentum, base_momentum, max_momentum)
    total = up + down
    up_ratio = up / total

    def schedule(t: int) -> float:
        # position in the cycle, in torch's operation order: cycle c counts from 1, x runs 0 -> 1
        cycle = math.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        height = x / up_ratio if x <= up_ratio else (x - 1) / (up_ratio - 1)
        amplitude = (max_lr - base_lr) * height
        if mode == "triangular":
            return base_lr + amplitude * 1.0
        if mode == "triangular2":
            return base_lr + amplitude * (1 / (2.0 ** (cycle - 1)))
        return base_lr + amplitude * gamma**t

    return schedule


def _anneal(anneal_strategy: str, start: float, end: float, pct: float) -> float:
    if anneal_strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


@register(
    "one_cycle_lr",
    label={"en": "One cycle (OneCycleLR)", "zh": "单周期 (OneCycleLR)"},
    latex=r"\eta_{init} = \frac{\eta_{max}}{\mathrm{div\_factor}},\ "
    r"\eta_{final} = \frac{\eta_{init}}{\mathrm{final\_div\_factor}};\quad "
    r"\eta_{init} \nearrow \eta_{max}\ (t \le p N - 1) \searrow \eta_{final}\ (t = N - 1);\ "
    r"\text{three\_phase: } \eta_{max} \searrow \eta_{init}\ (t \le 2 p N - 2) \searrow \eta_{final},\quad "
    r"\mathrm{anneal}(a, b, \rho) = b + \tfrac{a - b}{2}(1 + \cos \pi \rho) \text{ or } a + (b - a)\rho",
    params=(
        Param("max_lr", 0.1, "float", 1e-4, 10.0, log_scale=True, required=True),
        Param("total_steps", 300, "int", 2, 10000, required=True),
        Param("pct_start", 0.3, "float", 0.01, 0.99),
        Param("anneal_strategy", "cos", "choice", choices=("cos", "linear")),
        Param("div_factor", 25.0, "float", 1.0, 1000.0, log_scale=True),
        Param("final_div_factor", 1e4, "float", 1.0, 1e6, log_scale=True),
        Param("three_phase", False, "bool"),
    ),
    torch_class="OneCycleLR",
    uses_lr=False,
)
def one_cycle_lr(
    *,
    lr: float = DEFAULT_LR,
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """Warm up to max_lr for a fraction pct_start of N = total_steps, then anneal far below the start.

    N is total_steps, or else epochs * steps_per_epoch. Steps 0 .. N are defined; torch raises past N.
    Stricter than torch: every phase must span more than zero steps (torch divides by zero or runs a
    phase backwards otherwise).
    """
    as_lr("lr", lr)
    max_lr = as_lr("max_lr", max_lr)
    if total_steps is not None:
        total = as_int("total_steps", total_steps, low=1)
    elif epochs is not None and steps_per_epoch is not None:
        total = as_int("epochs", epochs, low=1) * as_int("steps_per_epoch", steps_per_epoch, low=1)
    else:
        raise ScheduleError("give total_steps, or both epochs and steps_per_epoch")
    pct = as_float("pct_start", pct_start, low=0.0, high=1.0)
    anneal_strategy = as_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = as_float("div_factor", div_factor, low=0.0, low_open=True)
    final_div_factor = as_float("final_div_factor", final_div_factor, low=0.0, low_open=True)
    three_phase = as_bool("three_phase", three_phase)
    _check_momentum(cycle_momentum, base_momentum, max_momentum)
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    # (end_step, start_lr, end_lr) per phase, exactly torch's _schedule_phases
    if three_phase:
        phases = [
            (float(pct * total) - 1, initial_lr, max_lr),
            (float(2 * pct * total) - 2, max_lr, initial_lr),
            (total - 1, initial_lr, min_lr),
        ]
    else:
        phases = [(float(pct * total) - 1, initial_lr, max_lr), (total - 1, max_lr, min_lr)]
    starts = [0.0] + [end for end, _, _ in phases[:-1]]
    if any(end <= start for start, (end, _, _) in zip(starts, phases, strict=True)):
        raise ScheduleError(
            f"pct_start={pct} with {total} total steps leaves a phase with no steps; "
            f"pct_start * total_steps must exceed 1 and leave room for the later phase(s)"
        )

    def schedule(t: int) -> float:
        if t > total:
            raise ScheduleError(f"one_cycle_lr is defined for steps 0..{total} (total_steps); got step {t}")
        for i, ((end, start_lr, end_lr), start) in enumerate(zip(phases, starts, strict=True)):
            if t <= end or i == len(phases) - 1:
                return _anneal(anneal_strategy, start_lr, end_lr, (t - start) / (end - start))
        raise AssertionError("unreachable: the last phase takes every remaining step")

    return schedule
