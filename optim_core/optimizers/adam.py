"""Adam, AMSGrad and AdamW (torch.optim.Adam / torch.optim.AdamW).

Adam's weight_decay is an L2 term added to the gradient, so it is rescaled by 1/√v̂ like the gradient;
AdamW decays the weights directly ("decoupled"), at the same rate in every direction. Run "adam" with
weight_decay > 0 beside "adamw" to see the difference (their labels say which is which).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..jitable import jitable
from .rule import (
    Diagnostics,
    HyperParam,
    Rule,
    active,
    betas_param,
    eps_param,
    lr_param,
    torch_constructor,
    weight_decay_param,
)


class AdamState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray  # used with amsgrad


def init(params: np.ndarray) -> AdamState:
    zeros = np.zeros_like(params)
    return AdamState(exp_avg=zeros, exp_avg_sq=zeros, max_exp_avg_sq=zeros)


def update(grad, state: AdamState, params, lr, hp, step):
    r"""Adam (and AMSGrad) as torch.optim.Adam computes it; weight decay is L2, added to the gradient.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon,\ \lambda \text{ (weight decay)},\ \textit{amsgrad} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v^{max}_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        \quad \textbf{if}\ \textit{amsgrad}:\ v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t),\ \ \widehat{v_t} \leftarrow v^{max}_t / (1 - \beta_2^t) \\
        \quad \textbf{else}:\ \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon) \\

    Diagnostics: momentum = m_t; second_moment = v_t (not bias-corrected);
    step_size = γ / (√v̂_t + ε), the factor on m̂_t.
    """
    return _adam(grad, state, params, lr, hp, step, decoupled=False)


def update_adamw(grad, state: AdamState, params, lr, hp, step):
    r"""AdamW as torch.optim.AdamW computes it: the weights decay directly, not through the gradient.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon,\ \lambda \text{ (weight decay)},\ \textit{amsgrad} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v^{max}_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \theta_{t-1} \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1} \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        \quad \textbf{if}\ \textit{amsgrad}:\ v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t),\ \ \widehat{v_t} \leftarrow v^{max}_t / (1 - \beta_2^t) \\
        \quad \textbf{else}:\ \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon) \\

    Diagnostics as for Adam.
    """
    return _adam(grad, state, params, lr, hp, step, decoupled=True)


@jitable
def decay_and_moments(grad, state, params, lr, weight_decay, decoupled: bool, betas):
    """How every Adam-family step begins (Adam, AdamW, NAdam, RAdam): weight decay, then both moments.

    Returns (params, g, exp_avg, exp_avg_sq): params after a decoupled decay, g after an L2 term.
    """
    beta1, beta2 = betas
    g = grad
    if active(weight_decay):
        if decoupled:
            # $\theta_{t-1} \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1}$ (AdamW: the weights decay directly)
            params = params * (1 - lr * weight_decay)
        else:
            # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (Adam: L2 through the gradient)
            g = g + weight_decay * params
    # $m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t$ (torch: lerp, m + (1 - β₁)(g - m))
    exp_avg = state.exp_avg + (1 - beta1) * (g - state.exp_avg)
    # $v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$
    exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
    return params, g, exp_avg, exp_avg_sq


@jitable
def _adam(grad, state: AdamState, params, lr, hp, step, decoupled: bool):
    beta1, beta2 = hp["betas"]
    eps, weight_decay = hp["eps"], hp["weight_decay"]
    params, g, exp_avg, exp_avg_sq = decay_and_moments(
        grad, state, params, lr, weight_decay, decoupled, (beta1, beta2)
    )
    # $1 - \beta_1^t$ and $1 - \beta_2^t$
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    max_exp_avg_sq = state.max_exp_avg_sq
    if hp["amsgrad"]:
        # $v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t)$
        max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
        v = max_exp_avg_sq
    else:
        v = exp_avg_sq
    # $\sqrt{\widehat{v_t}} + \epsilon = \sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon$
    denom = np.sqrt(v) / bias_correction2**0.5 + eps
    # $\theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon)$, $\widehat{m_t} = m_t / (1 - \beta_1^t)$
    new_params = params - (lr / bias_correction1) * exp_avg / denom
    new_state = AdamState(exp_avg, exp_avg_sq, max_exp_avg_sq)
    return new_params, new_state, Diagnostics(exp_avg, exp_avg_sq, lr / denom)


_NAMES = ("lr", "betas", "eps", "weight_decay", "amsgrad")


def _hyperparams(weight_decay: float, amsgrad: bool) -> tuple[HyperParam, ...]:
    return (
        lr_param(1e-3),
        betas_param(),
        eps_param(1e-8),
        weight_decay_param(weight_decay),
        HyperParam("amsgrad", amsgrad, "bool", help="divide by the running maximum of v (AMSGrad)"),
    )


def _adam_label(hp: dict, lang: str) -> str:
    text = "AMSGrad" if hp["amsgrad"] else "Adam"
    if hp["weight_decay"] != 0:
        text += {"zh": " + L2(梯度)"}.get(lang, " + L2")
    return text


def _adamw_label(hp: dict, lang: str) -> str:
    text = "AdamW"
    if hp["amsgrad"]:
        text += " (AMSGrad)"
    if hp["weight_decay"] != 0:
        text += {"zh": "(解耦权重衰减)"}.get(lang, " (decoupled)")
    return text


def _adam_rule(name: str, label: dict, amsgrad: bool, note: str = "") -> Rule:
    return Rule(
        name=name,
        label=label,
        hyperparams=_hyperparams(0.0, amsgrad),
        init=init,
        update=update,
        torch_class="torch.optim.Adam",
        torch_code=lambda hp: torch_constructor("torch.optim.Adam", hp, _NAMES),
        label_for=_adam_label,
        static=("amsgrad",),
        note=note,
    )


ADAM = _adam_rule("adam", {"en": "Adam", "zh": "Adam"}, amsgrad=False)
# Convenience name from the product's list: torch.optim.Adam(amsgrad=True).
AMSGRAD = _adam_rule(
    "amsgrad", {"en": "AMSGrad", "zh": "AMSGrad"}, amsgrad=True, note="torch.optim.Adam with amsgrad=True"
)
ADAMW = Rule(
    name="adamw",
    label={"en": "AdamW (decoupled)", "zh": "AdamW(解耦权重衰减)"},
    hyperparams=_hyperparams(1e-2, False),
    init=init,
    update=update_adamw,
    torch_class="torch.optim.AdamW",
    torch_code=lambda hp: torch_constructor("torch.optim.AdamW", hp, _NAMES),
    label_for=_adamw_label,
    static=("amsgrad",),
)
