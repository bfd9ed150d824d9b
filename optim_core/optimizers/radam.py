"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is trustworthy
(torch.optim.RAdam)."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import NamedTuple

import numpy as np

from ..jitable import jitable
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


class RAdamState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def init(params: np.ndarray) -> RAdamState:
    zeros = np.zeros_like(params)
    return RAdamState(exp_avg=zeros, exp_avg_sq=zeros)


RECTIFY_ABOVE = 5.0  # torch.optim.RAdam rectifies (adapts the step) at the steps where ρ_t > 5


@jitable
def rho(step, beta2):
    r"""(ρ∞, ρ_t): the length of the approximated SMA at step t ≥ 1, as torch.optim.RAdam computes it.

    $\rho_\infty = 2 / (1 - \beta_2) - 1,\quad \rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)$.
    The one home of ρ: `update` branches on it, the Playground's rule text shows it.
    """
    # $\rho_\infty \leftarrow 2 / (1 - \beta_2) - 1$
    rho_inf = 2 / (1 - beta2) - 1
    # $\rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)$
    rho_t = rho_inf - 2 * step * (beta2**step) / (1 - beta2**step)
    return rho_inf, rho_t


@lru_cache(maxsize=256)
def first_rectified_step(beta2: float, max_steps: int = 1_000_000) -> int | None:
    """The first step t at which RAdam's rectification switches on (ρ_t > 5, so the update adapts to
    v_t); before it each step is γ·m̂_t, SGD with momentum. None if ρ_t never exceeds 5: ρ_t rises
    towards ρ∞, so never when ρ∞ ≤ 5 (β₂ ≤ 2/3), or not within max_steps."""
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"beta2 must be in [0, 1), got {beta2!r}")
    if rho(1, beta2)[0] <= RECTIFY_ABOVE:
        return None
    for step in range(1, max_steps + 1):
        if rho(step, beta2)[1] > RECTIFY_ABOVE:
            return step
    return None


def update(grad, state: RAdamState, params, lr, hp, step):
    r"""RAdam as torch.optim.RAdam computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon,\
            \lambda \text{ (weight decay)},\ \textit{decoupled} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\
            \rho_\infty \leftarrow 2 / (1 - \beta_2) - 1 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ \textbf{if}\ \textit{decoupled}:\
            \theta_{t-1} \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1}\ \
            \textbf{else}:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        \quad \rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        \quad \textbf{if}\ \rho_t > 5: \\
        \qquad l_t \leftarrow \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon) \\
        \qquad r_t \leftarrow
            \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}} \\
        \qquad \theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} r_t l_t \\
        \quad \textbf{else}:\ \theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} \\

    The rectified switch depends only on β₂ and t, so runs share a step only with equal betas.
    Bit for bit as torch's single-tensor CPU path: lerp_ and addcmul_ are fused multiply-adds (torch_ops),
    l_t is computed as torch's ``float / tensor`` does, as a reciprocal times the float, and the step
    multiplies m̂_t · γ · l_t · r_t in torch's order. But torch's CPU sqrt is not correctly rounded
    (torch_ops), so a path can leave torch's by one ulp now and then; it is the one difference left.
    Diagnostics: momentum = m_t; second_moment = v_t; step_size = γ r_t l_t once rectified, else γ
    (the factor on m̂_t).
    """
    beta1, beta2 = hp["betas"]
    eps, weight_decay = hp["eps"], hp["weight_decay"]
    # weight decay (L2, or decoupled), then $m_t$ and $v_t$ exactly as Adam
    params, g, exp_avg, exp_avg_sq = decay_and_moments(
        grad, state, params, lr, weight_decay, hp["decoupled_weight_decay"], (beta1, beta2)
    )
    # $1 - \beta_1^t$ and $1 - \beta_2^t$
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    # $\widehat{m_t} \leftarrow m_t / (1 - \beta_1^t)$
    bias_corrected_exp_avg = exp_avg / bias_correction1
    # $\rho_\infty \leftarrow 2 / (1 - \beta_2) - 1$
    # $\rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)$  (`rho`, also in the rule text)
    rho_inf, rho_t = rho(step, beta2)
    if rho_t > RECTIFY_ABOVE:
        # $r_t \leftarrow \sqrt{(\rho_t - 4)(\rho_t - 2)\rho_\infty
        #   / ((\rho_\infty - 4)(\rho_\infty - 2)\rho_t)}$
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        # $l_t \leftarrow \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon)$
        # (torch: float / tensor is tensor.reciprocal() * float, two roundings)
        adaptive_lr = (1.0 / (np.sqrt(exp_avg_sq) + eps)) * bias_correction2**0.5
        # $\theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} r_t l_t$
        # (torch's order: param.add_(m̂ * γ * l_t * r_t, alpha=-1))
        new_params = params - bias_corrected_exp_avg * lr * adaptive_lr * rect
        # $\gamma r_t l_t$
        step_size = lr * rect * adaptive_lr
    else:
        # plain momentum SGD on $\widehat{m_t}$ while the variance estimate is too young:
        # $\theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t}$
        new_params = params - bias_corrected_exp_avg * lr
        # (broadcast: a diagnostic keeps one shape on every step)
        step_size = np.broadcast_to(lr, exp_avg.shape)
    return new_params, RAdamState(exp_avg, exp_avg_sq), Diagnostics(exp_avg, exp_avg_sq, step_size)


_NAMES = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay")


RADAM = Rule(
    name="radam",
    label="RAdam",
    hyperparams=(
        lr_param(1e-3),
        betas_param(),
        eps_param(1e-8),
        weight_decay_param(),
        Param("decoupled_weight_decay", False, "bool"),
    ),
    init=init,
    update=update,
    torch_class="torch.optim.RAdam",
    torch_code=lambda hp: torch_constructor("torch.optim.RAdam", hp, _NAMES),
    label_for=partial(decay_label, "RAdam"),
    static=("betas", "decoupled_weight_decay"),
)
