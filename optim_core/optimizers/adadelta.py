"""Adadelta: step sizes from the ratio of two RMS estimates, of updates and of gradients.

As torch.optim.Adadelta computes it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..params import Param
from .rule import (
    Diagnostics,
    Rule,
    active,
    eps_param,
    l2_label,
    lr_param,
    torch_constructor,
    weight_decay_param,
)
from .torch_ops import fma


class AdadeltaState(NamedTuple):
    square_avg: np.ndarray
    acc_delta: np.ndarray


def init(params: np.ndarray) -> AdadeltaState:
    zeros = np.zeros_like(params)
    return AdadeltaState(square_avg=zeros, acc_delta=zeros)


def update(grad, state: AdadeltaState, params, lr, hp, step):
    r"""Adadelta as torch.optim.Adadelta computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \rho \text{ (rho)},\ \epsilon,\
            \lambda \text{ (weight decay)} \\
        \textbf{initialize}: v_0 \leftarrow 0 \text{ (square avg)},\
            u_0 \leftarrow 0 \text{ (accumulated update)} \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \quad \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t \\
        \quad u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t \\

    Bit for bit as torch's single-tensor CPU path: addcmul_ and add(alpha=) are fused multiply-adds
    (torch_ops). But torch's CPU sqrt is not correctly rounded (torch_ops), so a path can leave
    torch's by one ulp now and then; it is the one difference left.
    Diagnostics: no momentum; second_moment = v_t; step_size = γ √(u_{t−1}+ε) / √(v_t+ε), the factor on g_t.
    """
    rho, eps, weight_decay = hp["rho"], hp["eps"], hp["weight_decay"]
    g = grad
    if active(weight_decay):
        # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (torch: grad.add(param, alpha=λ), fused)
        g = fma(weight_decay, params, g)
    # $v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2$ (torch: mul_(ρ).addcmul_(g, g, value=1 - ρ))
    square_avg = fma((1 - rho) * g, g, state.square_avg * rho)
    # $\sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon}$
    ratio = np.sqrt(state.acc_delta + eps) / np.sqrt(square_avg + eps)
    # $\Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t$
    delta = ratio * g
    # $u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2$
    acc_delta = fma((1 - rho) * delta, delta, state.acc_delta * rho)
    # $\theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t$ (torch: param.add_(Δx, alpha=-γ), fused)
    new_params = fma(-lr, delta, params)
    return new_params, AdadeltaState(square_avg, acc_delta), Diagnostics(None, square_avg, lr * ratio)


_NAMES = ("lr", "rho", "eps", "weight_decay")

ADADELTA = Rule(
    name="adadelta",
    label="Adadelta",
    hyperparams=(
        lr_param(1.0),
        Param("rho", 0.9, "float", 0.0, 1.0),
        eps_param(1e-6),
        weight_decay_param(),
    ),
    init=init,
    update=update,
    torch_class="torch.optim.Adadelta",
    torch_code=lambda hp: torch_constructor("torch.optim.Adadelta", hp, _NAMES),
    label_for=l2_label("Adadelta"),
)
