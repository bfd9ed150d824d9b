"""SGD, with torch's momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..params import Param
from .rule import L2, Diagnostics, LabelPart, Rule, active, lr_param, torch_constructor, weight_decay_param
from .torch_ops import fma


class SGDState(NamedTuple):
    momentum_buffer: np.ndarray


def init(params: np.ndarray) -> SGDState:
    return SGDState(momentum_buffer=np.zeros_like(params))


def update(grad, state: SGDState, params, lr, hp, step):
    r"""SGD as torch.optim.SGD computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \lambda \text{ (weight decay)},\
            \mu \text{ (momentum)},\ \tau \text{ (dampening)},\ \textit{nesterov} \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad \textbf{if}\ \mu \neq 0: \\
        \qquad b_t \leftarrow \mu b_{t-1} + (1 - \tau) g_t \ \text{ if } t > 1,
            \text{ else } b_1 \leftarrow g_1 \\
        \qquad \textbf{if}\ \textit{nesterov}:\ g_t \leftarrow g_t + \mu b_t \
            \textbf{else}\ g_t \leftarrow b_t \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t \\

    torch's momentum is not the textbook EMA: the buffer accumulates g without a (1 - μ) factor and
    starts as the first gradient itself (see the "momentum_ema" variant for the EMA form).
    Bit for bit as torch's single-tensor CPU path: each ``add(x, alpha=a)`` is a fused multiply-add
    (torch_ops.fma), e.g. θ_t = fma(−γ, g_t, θ_{t−1}).

    Diagnostics: momentum = b_t (None without momentum); no second moment; step_size = γ, the factor
    on the (momentum) direction.
    """
    momentum, dampening, weight_decay = hp["momentum"], hp["dampening"], hp["weight_decay"]
    g = grad
    if active(weight_decay):
        # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (torch: grad.add(param, alpha=λ))
        g = fma(weight_decay, params, g)
    buf = None  # without momentum there is no buffer
    if active(momentum):
        if step == 1:
            # $b_1 \leftarrow g_1$ (torch: the first buffer is the gradient itself, not (1 - τ) g_1)
            buf = g
        else:
            # $b_t \leftarrow \mu b_{t-1} + (1 - \tau) g_t$ (torch: buf.mul_(μ).add_(g, alpha=1 - τ))
            buf = fma(1 - dampening, g, state.momentum_buffer * momentum)
        # $g_t \leftarrow g_t + \mu b_t$ (Nesterov: look ahead along the buffer) or $g_t \leftarrow b_t$
        g = fma(momentum, buf, g) if hp["nesterov"] else buf
        state = SGDState(buf)
    # $\theta_t \leftarrow \theta_{t-1} - \gamma g_t$ (torch: param.add_(g, alpha=-γ))
    return fma(-lr, g, params), state, Diagnostics(buf, None, lr)


_NAMES = ("lr", "momentum", "dampening", "weight_decay", "nesterov")


def _hyperparams(momentum: float, nesterov: bool) -> tuple[Param, ...]:
    return (
        lr_param(1e-3),
        Param("momentum", momentum, "float", 0.0, 1.0, high_open=True),
        Param("dampening", 0.0, "float", 0.0, 1.0),
        weight_decay_param(),
        Param("nesterov", nesterov, "bool"),
    )


# name -> label: torch's SGD and the convenience names, which are SGD with other defaults
_LABELS = {"sgd": "SGD", "momentum": "SGD + momentum", "nesterov": "SGD + Nesterov"}


def _label(hp: dict) -> tuple[LabelPart, ...]:
    name = "nesterov" if hp["nesterov"] else "momentum" if hp["momentum"] != 0 else "sgd"
    return (LabelPart(_LABELS[name], name),) + ((L2,) if hp["weight_decay"] != 0 else ())


def _check(hp: dict) -> None:
    if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
        raise ValueError("nesterov=True requires momentum > 0 and dampening = 0 (as torch.optim.SGD)")


def _torch_code(hp: dict) -> str:
    return torch_constructor("torch.optim.SGD", hp, _NAMES)


def _rule(name: str, momentum: float, nesterov: bool) -> Rule:
    return Rule(
        name=name,
        label=_LABELS[name],
        hyperparams=_hyperparams(momentum, nesterov),
        init=init,
        update=update,
        torch_class="torch.optim.SGD",
        torch_code=_torch_code,
        label_for=_label,
        static=("nesterov",),
        check=_check,
    )


SGD = _rule("sgd", 0.0, False)
# Convenience names from the product's list: the same torch rule with other defaults.
MOMENTUM = _rule("momentum", 0.9, False)  # torch.optim.SGD(momentum=0.9)
NESTEROV = _rule("nesterov", 0.9, True)  # torch.optim.SGD(momentum=0.9, nesterov=True)
