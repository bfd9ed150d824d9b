"""torch's monotone decays: StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR.

torch steps these recursively (the "chainable" form: each step rescales the current group["lr"]).
Started from the base LR, that product equals the closed form computed here (torch's own
`_get_closed_form_lr`); the parity tests hold the two equal to 1e-9 over hundreds of steps.
"""

from __future__ import annotations

from bisect import bisect_right

from optim_core.params import Param
from optim_core.schedules.checks import as_float, as_int, as_lr, as_milestones
from optim_core.schedules.registry import register
from optim_core.schedules.spec import DEFAULT_LR, Schedule

_GAMMA = Param("gamma", 0.1, "float", 0.01, 1.0, log_scale=True)


@register(
    "step_lr",
    label={"en": "Step decay (StepLR)", "zh": "等间隔阶梯衰减 (StepLR)"},
    latex=r"\eta_t = \eta_0 \, \gamma^{\lfloor t / \mathrm{step\_size} \rfloor}",
    params=(Param("step_size", 30, "int", 1, 1000, required=True), _GAMMA),
    torch_class="StepLR",
)
def step_lr(*, lr: float = DEFAULT_LR, step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the LR by gamma every step_size steps."""
    lr, step_size = as_lr("lr", lr), as_int("step_size", step_size, low=1)
    gamma = as_float("gamma", gamma, low=0.0, low_open=True)
    return lambda t: lr * gamma ** (t // step_size)


@register(
    "multi_step_lr",
    label={"en": "Milestone decay (MultiStepLR)", "zh": "里程碑衰减 (MultiStepLR)"},
    latex=r"\eta_t = \eta_0 \, \gamma^{\,\#\{m \in \mathrm{milestones} \,:\, m \le t\}}",
    params=(Param("milestones", (30, 80), "int_list", 0, 1000, required=True), _GAMMA),
    torch_class="MultiStepLR",
)
def multi_step_lr(*, lr: float = DEFAULT_LR, milestones: list[int], gamma: float = 0.1) -> Schedule:
    """Multiply the LR by gamma at each milestone.

    Stricter than torch: milestones must be strictly increasing (torch counts a repeated one twice).
    """
    lr, milestone_steps = as_lr("lr", lr), as_milestones("milestones", milestones, low=0)
    gamma = as_float("gamma", gamma, low=0.0, low_open=True)
    return lambda t: lr * gamma ** bisect_right(milestone_steps, t)


@register(
    "constant_lr",
    label={"en": "Constant factor (ConstantLR)", "zh": "常数因子 (ConstantLR)"},
    latex=r"\eta_t = \eta_0 \cdot \begin{cases} \mathrm{factor} & t < \mathrm{total\_iters} \\"
    r" 1 & t \ge \mathrm{total\_iters} \end{cases}",
    params=(Param("factor", 1.0 / 3, "float", 0.01, 1.0), Param("total_iters", 5, "int", 1, 1000)),
    torch_class="ConstantLR",
)
def constant_lr(*, lr: float = DEFAULT_LR, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """Scale the LR by a constant factor for the first total_iters steps.

    Stricter than torch: factor = 0 (torch then divides by zero at total_iters) and total_iters = 0
    (torch's recursive and closed forms disagree there) are refused.
    """
    lr = as_lr("lr", lr)
    factor = as_float("factor", factor, low=0.0, high=1.0, low_open=True)
    total_iters = as_int("total_iters", total_iters, low=1)
    return lambda t: lr * (factor + (t >= total_iters) * (1 - factor))


@register(
    "linear_lr",
    label={"en": "Linear ramp (LinearLR)", "zh": "线性变化 (LinearLR)"},
    latex=r"\eta_t = \eta_0 \left(s + (e - s)\,\frac{\min(t,\, T)}{T}\right),\quad "
    r"s = \mathrm{start\_factor},\ e = \mathrm{end\_factor},\ T = \mathrm{total\_iters}",
    params=(
        Param("start_factor", 1.0 / 3, "float", 0.01, 1.0),
        Param("end_factor", 1.0, "float", 0.0, 1.0),
        Param("total_iters", 5, "int", 1, 1000),
    ),
    torch_class="LinearLR",
)
def linear_lr(
    *, lr: float = DEFAULT_LR, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Schedule:
    """Move the LR factor linearly from start_factor to end_factor over total_iters steps, then hold.

    Stricter than torch: total_iters = 0 is refused (the closed form would divide by zero).
    """
    lr = as_lr("lr", lr)
    start = as_float("start_factor", start_factor, low=0.0, high=1.0, low_open=True)
    end = as_float("end_factor", end_factor, low=0.0, high=1.0)
    total_iters = as_int("total_iters", total_iters, low=1)
    return lambda t: lr * (start + (end - start) * min(total_iters, t) / total_iters)


@register(
    "exponential_lr",
    label={"en": "Exponential decay (ExponentialLR)", "zh": "指数衰减 (ExponentialLR)"},
    latex=r"\eta_t = \eta_0 \, \gamma^{t}",
    params=(Param("gamma", 0.98, "float", 0.8, 1.0, required=True),),
    torch_class="ExponentialLR",
)
def exponential_lr(*, lr: float = DEFAULT_LR, gamma: float) -> Schedule:
    """Multiply the LR by gamma every step."""
    lr, gamma = as_lr("lr", lr), as_float("gamma", gamma, low=0.0, low_open=True)
    return lambda t: lr * gamma**t


@register(
    "polynomial_lr",
    label={"en": "Polynomial decay (PolynomialLR)", "zh": "多项式衰减 (PolynomialLR)"},
    latex=r"\eta_t = \eta_0 \left(1 - \frac{\min(t,\, T)}{T}\right)^{p},\quad "
    r"T = \mathrm{total\_iters},\ p = \mathrm{power}",
    params=(Param("total_iters", 5, "int", 1, 1000), Param("power", 1.0, "float", 0.1, 5.0)),
    torch_class="PolynomialLR",
)
def polynomial_lr(*, lr: float = DEFAULT_LR, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """Decay the LR to 0 over total_iters steps along a power curve, then hold 0."""
    lr, total_iters = as_lr("lr", lr), as_int("total_iters", total_iters, low=1)
    power = as_float("power", power, low=0.0)
    return lambda t: lr * (1.0 - min(total_iters, t) / total_iters) ** power
