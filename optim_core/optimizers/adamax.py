"""Adamax: Adam with the infinity norm in place of the second moment (torch.optim.Adamax)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .rule import (
    Diagnostics,
    Rule,
    active,
    betas_param,
    eps_param,
    l2_label,
    lr_param,
    torch_constructor,
    weight_decay_param,
)
from .torch_ops import fma, lerp


class AdamaxState(NamedTuple):
    exp_avg: np.ndarray
    exp_inf: np.ndarray


def init(params: np.ndarray) -> AdamaxState:
    zeros = np.zeros_like(params)
    return AdamaxState(exp_avg=zeros, exp_inf=zeros)


def update(grad, state: AdamaxState, params, lr, hp, step):
    r"""Adamax as torch.optim.Adamax computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon,\
            \lambda \text{ (weight decay)} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ u_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \quad \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{u_t} \\

    ε sits inside the max (torch), not added to the denominator as in Adam.
    Bit for bit as torch's single-tensor CPU path: lerp_ and add(alpha=) are fused multiply-adds (torch_ops).
    Diagnostics: momentum = m_t; second_moment = u_t (the infinity norm that replaces √v);
    step_size = γ / u_t, the factor on m̂_t.
    """
    beta1, beta2 = hp["betas"]
    eps, weight_decay = hp["eps"], hp["weight_decay"]
    g = grad
    if active(weight_decay):
        # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (torch: grad.add(param, alpha=λ), fused)
        g = fma(weight_decay, params, g)
    # $m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t$ (torch: exp_avg.lerp_(g, 1 - β₁))
    exp_avg = lerp(state.exp_avg, g, 1 - beta1)
    # $u_t \leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon)$
    exp_inf = np.maximum(state.exp_inf * beta2, np.abs(g) + eps)
    # $\gamma / (1 - \beta_1^t)$
    clr = lr / (1 - beta1**step)
    # $\theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{u_t}$
    # (torch: param.addcdiv_(m, u, value=-clr))
    new_params = params + (-clr * exp_avg) / exp_inf
    return new_params, AdamaxState(exp_avg, exp_inf), Diagnostics(exp_avg, exp_inf, lr / exp_inf)


_NAMES = ("lr", "betas", "eps", "weight_decay")

ADAMAX = Rule(
    name="adamax",
    label="Adamax",
    hyperparams=(lr_param(2e-3), betas_param(), eps_param(1e-8), weight_decay_param()),
    init=init,
    update=update,
    torch_class="torch.optim.Adamax",
    torch_code=lambda hp: torch_constructor("torch.optim.Adamax", hp, _NAMES),
    label_for=l2_label("Adamax"),
)
