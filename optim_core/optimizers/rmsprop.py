"""RMSprop: divide by the root of an EMA of squared gradients (torch.optim.RMSprop)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..params import Param
from .rule import (
    L2,
    Diagnostics,
    LabelPart,
    Rule,
    active,
    eps_param,
    lr_param,
    torch_constructor,
    weight_decay_param,
)
from .torch_ops import fma, lerp


class RMSpropState(NamedTuple):
    square_avg: np.ndarray
    grad_avg: np.ndarray  # used when centered
    momentum_buffer: np.ndarray  # used when momentum > 0


def init(params: np.ndarray) -> RMSpropState:
    zeros = np.zeros_like(params)
    return RMSpropState(square_avg=zeros, grad_avg=zeros, momentum_buffer=zeros)


def update(grad, state: RMSpropState, params, lr, hp, step):
    r"""RMSprop as torch.optim.RMSprop computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \alpha \text{ (alpha)},\ \epsilon,\
            \lambda \text{ (weight decay)},\ \mu \text{ (momentum)},\ \textit{centered} \\
        \textbf{initialize}: v_0 \leftarrow 0,\ b_0 \leftarrow 0,\ g^{ave}_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \quad \tilde v_t \leftarrow v_t \\
        \quad \textbf{if}\ \textit{centered}:\
            g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1 - \alpha) g_t,\ \
            \tilde v_t \leftarrow v_t - (g^{ave}_t)^2 \\
        \quad \textbf{if}\ \mu > 0:\ b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),\ \
            \theta_t \leftarrow \theta_{t-1} - \gamma b_t \\
        \quad \textbf{else}:\
            \theta_t \leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon) \\

    ε is added outside the square root (see "rmsprop_eps_inside" for the textbook form).
    Bit for bit as torch's single-tensor CPU path: lerp_, addcmul(value=) and add(alpha=) are fused
    multiply-adds (torch_ops). But torch's CPU sqrt is not correctly rounded (torch_ops), so a path
    can leave torch's by one ulp now and then; it is the one difference left.
    Diagnostics: momentum = b_t (None without momentum); second_moment = v_t;
    step_size = γ / (√ṽ_t + ε), the factor on g_t (with momentum, on what enters the buffer).
    """
    alpha, eps, weight_decay, momentum = hp["alpha"], hp["eps"], hp["weight_decay"], hp["momentum"]
    g = grad
    if active(weight_decay):
        # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (torch: grad.add(param, alpha=λ), fused)
        g = fma(weight_decay, params, g)
    # $v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2$ (torch: mul_(α).addcmul_(g, g, value=1 - α))
    square_avg = fma((1 - alpha) * g, g, state.square_avg * alpha)
    grad_avg = state.grad_avg
    if hp["centered"]:
        # $g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1 - \alpha) g_t$ (torch: grad_avg.lerp_(g, 1 - α))
        grad_avg = lerp(grad_avg, g, 1 - alpha)
        # $\sqrt{v_t - (g^{ave}_t)^2} + \epsilon$ (torch: v.addcmul(g_ave, g_ave, value=-1), fused)
        avg = np.sqrt(fma(-grad_avg, grad_avg, square_avg)) + eps
    else:
        # $\sqrt{v_t} + \epsilon$
        avg = np.sqrt(square_avg) + eps
    step_size = lr / avg
    buf = None  # without momentum there is no buffer
    if active(momentum):
        # $b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon)$
        buf = state.momentum_buffer * momentum + g / avg
        # $\theta_t \leftarrow \theta_{t-1} - \gamma b_t$ (torch: param.add_(b, alpha=-γ), fused)
        new_params = fma(-lr, buf, params)
        new_state = RMSpropState(square_avg, grad_avg, buf)
    else:
        # $\theta_t \leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon)$
        # (torch: param.addcdiv_(g, avg, value=-γ))
        new_params = params + (-lr * g) / avg
        new_state = RMSpropState(square_avg, grad_avg, state.momentum_buffer)
    return new_params, new_state, Diagnostics(buf, square_avg, step_size)


_NAMES = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")


def _label(hp: dict) -> tuple[LabelPart, ...]:
    parts = [LabelPart("RMSprop")]
    if hp["centered"]:
        parts.append(LabelPart(" (centered)", "suffix.centered"))
    if hp["momentum"] != 0:
        parts.append(LabelPart(" + momentum", "suffix.momentum"))
    if hp["weight_decay"] != 0:
        parts.append(L2)
    return tuple(parts)


RMSPROP = Rule(
    name="rmsprop",
    label="RMSprop",
    hyperparams=(
        lr_param(1e-2),
        Param("alpha", 0.99, "float", 0.0, 1.0, high_open=True),
        eps_param(1e-8),
        weight_decay_param(),
        Param("momentum", 0.0, "float", 0.0, 1.0, high_open=True),
        Param("centered", False, "bool"),
    ),
    init=init,
    update=update,
    torch_class="torch.optim.RMSprop",
    torch_code=lambda hp: torch_constructor("torch.optim.RMSprop", hp, _NAMES),
    label_for=_label,
    static=("centered",),
)
