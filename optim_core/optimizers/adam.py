"""Adam, AMSGrad and AdamW (torch.optim.Adam / torch.optim.AdamW).

Adam's weight_decay is an L2 term added to the gradient, so it is rescaled by 1/√v̂ like the gradient;
AdamW decays the weights directly ("decoupled"), at the same rate in every direction. Run "adam" with
weight_decay > 0 beside "adamw" to see the difference (their labels say which is which).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..jitable import jitable
from ..params import Param
from .rule import (
    DECOUPLED,
    L2_IN_GRADIENT,
    Diagnostics,
    LabelPart,
    Rule,
    active,
    betas_param,
    eps_param,
    lr_param,
    torch_constructor,
    weight_decay_param,
)
from .torch_ops import fma, lerp


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
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon, \\
        \qquad \lambda \text{ (weight decay, L2)},\ \textit{amsgrad} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v^{max}_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        \quad \textbf{if}\ \textit{amsgrad}: \\
        \qquad v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t) \\
        \qquad \widehat{v_t} \leftarrow v^{max}_t / (1 - \beta_2^t) \\
        \quad \textbf{else}:\ \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon) \\

    Bit for bit as torch's single-tensor CPU path: its lerp_, addcmul_ and add(alpha=) are fused
    multiply-adds (torch_ops), its addcdiv_ is θ + (−γ/(1 − β₁ᵗ) · m_t) / denom. But torch's CPU sqrt
    is not correctly rounded (torch_ops), so a path can leave torch's by one ulp now and then; it is the
    one difference left.
    Diagnostics: momentum = m_t; second_moment = v_t (not bias-corrected);
    step_size = γ / (√v̂_t + ε), the factor on m̂_t.
    """
    return _adam(grad, state, params, lr, hp, step, decoupled=False)


def update_adamw(grad, state: AdamState, params, lr, hp, step):
    r"""AdamW as torch.optim.AdamW computes it: decoupled weight decay, the weights shrink before the step.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon, \\
        \qquad \lambda \text{ (weight decay, decoupled)},\ \textit{amsgrad} \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v^{max}_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1} \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
        \quad \textbf{if}\ \textit{amsgrad}: \\
        \qquad v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t) \\
        \qquad \widehat{v_t} \leftarrow v^{max}_t / (1 - \beta_2^t) \\
        \quad \textbf{else}:\ \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
        \quad \theta_t \leftarrow \theta_t - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon) \\

    The decay acts on the weights, not on g_t: Adam's L2 term λθ is added to the gradient and then divided
    by √v̂_t with it, whereas here every weight shrinks by the same factor 1 − γλ whatever its gradient
    history (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019).
    Bit for bit as torch's single-tensor CPU path, as Adam. Diagnostics as for Adam.
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
            # $\theta_{t-1} \leftarrow \theta_{t-1} - \gamma \lambda \theta_{t-1}$
            # (AdamW: the weights decay directly)
            params = params * (1 - lr * weight_decay)
        else:
            # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (Adam: L2 through the gradient;
            # torch: grad.add(param, alpha=λ), fused)
            g = fma(weight_decay, params, g)
    # $m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t$ (torch: exp_avg.lerp_(g, 1 - β₁))
    exp_avg = lerp(state.exp_avg, g, 1 - beta1)
    # $v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$
    # (torch: exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1 - β₂), fused)
    exp_avg_sq = fma((1 - beta2) * g, g, state.exp_avg_sq * beta2)
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
    # $\gamma / (1 - \beta_1^t)$
    step_size = lr / bias_correction1
    max_exp_avg_sq = state.max_exp_avg_sq
    if hp["amsgrad"]:
        # $v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t)$
        max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq)
        v = max_exp_avg_sq
    else:
        v = exp_avg_sq
    # $\sqrt{\widehat{v_t}} + \epsilon = \sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon$
    denom = np.sqrt(v) / bias_correction2**0.5 + eps
    # $\theta_t \leftarrow \theta_{t-1} - \gamma \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon)$,
    # $\widehat{m_t} = m_t / (1 - \beta_1^t)$ (torch: param.addcdiv_(m, denom, value=-step_size))
    new_params = params + (-step_size * exp_avg) / denom
    new_state = AdamState(exp_avg, exp_avg_sq, max_exp_avg_sq)
    return new_params, new_state, Diagnostics(exp_avg, exp_avg_sq, lr / denom)


_NAMES = ("lr", "betas", "eps", "weight_decay", "amsgrad")


def _hyperparams(weight_decay: float, amsgrad: bool) -> tuple[Param, ...]:
    return (
        lr_param(1e-3),
        betas_param(),
        eps_param(1e-8),
        weight_decay_param(weight_decay),
        Param("amsgrad", amsgrad, "bool"),
    )


def _adam_label(hp: dict) -> tuple[LabelPart, ...]:
    base = LabelPart("AMSGrad" if hp["amsgrad"] else "Adam")
    return (base, L2_IN_GRADIENT) if hp["weight_decay"] != 0 else (base,)


def _adamw_label(hp: dict) -> tuple[LabelPart, ...]:
    parts = [LabelPart("AdamW")]
    if hp["amsgrad"]:
        parts.append(LabelPart(" (AMSGrad)"))
    if hp["weight_decay"] != 0:
        parts.append(DECOUPLED)
    return tuple(parts)


def _adam_rule(name: str, label: str, amsgrad: bool) -> Rule:
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
    )


ADAM = _adam_rule("adam", "Adam", amsgrad=False)
# Convenience name from the product's list: torch.optim.Adam(amsgrad=True).
AMSGRAD = _adam_rule("amsgrad", "AMSGrad", amsgrad=True)
ADAMW = Rule(
    name="adamw",
    label="AdamW (decoupled)",
    hyperparams=_hyperparams(1e-2, False),
    init=init,
    update=update_adamw,
    torch_class="torch.optim.AdamW",
    torch_code=lambda hp: torch_constructor("torch.optim.AdamW", hp, _NAMES),
    label_for=_adamw_label,
    static=("amsgrad",),
)
