"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule μ_t (torch.optim.NAdam)."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np

from ..params import Param
from .adam import decay_and_moments
from .rule import (
    Diagnostics,
    Rule,
    betas_param,
    decay_label,
    eps_param,
    lr_param,
    torch_constructor,
    weight_decay_param,
)


class NAdamState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    mu_product: float | np.ndarray  # ∏_{i≤t} μ_i, one per run


def init(params: np.ndarray) -> NAdamState:
    zeros = np.zeros_like(params)
    return NAdamState(exp_avg=zeros, exp_avg_sq=zeros, mu_product=1.0)


def update(grad, state: NAdamState, params, lr, hp, step):
    r"""NAdam as torch.optim.NAdam computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon,\
            \lambda \text{ (weight decay)},\ \psi \text{ (momentum decay)},\ \textit{decoupled} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ \textbf{if}\ \textit{decoupled}:\
            \theta_{t-1} \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1}\ \
            \textbf{else}:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad \mu_t \leftarrow \beta_1 \big(1 - \tfrac{1}{2} \, 0.96^{t \psi}\big),\ \
            \mu_{t+1} \leftarrow \beta_1 \big(1 - \tfrac{1}{2} \, 0.96^{(t+1) \psi}\big) \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma \frac{1 - \mu_t}{1 - \prod_{i=1}^{t} \mu_i}
            \frac{g_t}{\sqrt{\widehat{v_t}} + \epsilon}
            - \gamma \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1} \mu_i}
            \frac{m_t}{\sqrt{\widehat{v_t}} + \epsilon} \\

    torch keeps ∏μ_i (mu_product) and t in the default dtype: compare with torch under
    torch.set_default_dtype(torch.float64), otherwise its float32 product differs from this float64 one
    (by about 1e-8 relative after a few hundred steps).
    Bit for bit as torch's single-tensor CPU path: lerp_, addcmul_ and add(alpha=) are fused multiply-adds
    (torch_ops), each addcdiv_ is θ + (c · g) / denom with torch's scalar c. But torch's CPU sqrt is not
    correctly rounded (torch_ops), so a path can leave torch's by one ulp now and then; it is the one
    difference left.
    Diagnostics: momentum = m_t; second_moment = v_t (not bias-corrected);
    step_size = γ / (√v̂_t + ε), the factor that the two Nesterov coefficients then scale.
    """
    beta1, beta2 = hp["betas"]
    eps, weight_decay, momentum_decay = hp["eps"], hp["weight_decay"], hp["momentum_decay"]
    bias_correction2 = 1 - beta2**step
    # weight decay (L2, or decoupled), then $m_t$ and $v_t$ exactly as Adam
    params, g, exp_avg, exp_avg_sq = decay_and_moments(
        grad, state, params, lr, weight_decay, hp["decoupled_weight_decay"], (beta1, beta2)
    )
    # $\mu_t \leftarrow \beta_1 (1 - \frac{1}{2} 0.96^{t \psi})$
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    # $\mu_{t+1} \leftarrow \beta_1 (1 - \frac{1}{2} 0.96^{(t+1) \psi})$
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    # $\prod_{i=1}^{t} \mu_i$
    mu_product = state.mu_product * mu
    # $\sqrt{\widehat{v_t}} + \epsilon$
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    mu_product_next = mu_product * mu_next
    # $\theta \leftarrow \theta - \gamma \frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i}
    #   \frac{g_t}{\sqrt{\widehat{v_t}} + \epsilon}$
    new_params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
    # $\theta_t \leftarrow \theta - \gamma \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i}
    #   \frac{m_t}{\sqrt{\widehat{v_t}} + \epsilon}$
    new_params = new_params + ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom
    new_state = NAdamState(exp_avg, exp_avg_sq, mu_product)
    return new_params, new_state, Diagnostics(exp_avg, exp_avg_sq, lr / denom)


_NAMES = ("lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay")


NADAM = Rule(
    name="nadam",
    label="NAdam",
    hyperparams=(
        lr_param(2e-3),
        betas_param(),
        eps_param(1e-8),
        weight_decay_param(),
        Param("momentum_decay", 4e-3, "float", 0.0, 1.0),
        Param("decoupled_weight_decay", False, "bool"),
    ),
    init=init,
    update=update,
    torch_class="torch.optim.NAdam",
    torch_code=lambda hp: torch_constructor("torch.optim.NAdam", hp, _NAMES),
    label_for=partial(decay_label, "NAdam"),
    static=("decoupled_weight_decay",),
)
