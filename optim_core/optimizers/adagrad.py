"""Adagrad: every coordinate divides by the root of its summed squared gradients (torch.optim.Adagrad)."""

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


class AdagradState(NamedTuple):
    sum: np.ndarray  # torch's state["sum"], without initial_accumulator_value (added at step 1)


def init(params: np.ndarray) -> AdagradState:
    return AdagradState(sum=np.zeros_like(params))


def update(grad, state: AdagradState, params, lr, hp, step):
    r"""Adagrad as torch.optim.Adagrad computes it.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \lambda \text{ (weight decay)},\
            \eta \text{ (lr decay)},\ \tau \text{ (initial accumulator value)},\ \epsilon \\
        \textbf{initialize}: s_0 \leftarrow \tau \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad \textbf{if}\ \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        \quad \tilde\gamma \leftarrow \gamma / (1 + (t - 1) \eta) \\
        \quad s_t \leftarrow s_{t-1} + g_t^2 \\
        \quad \theta_t \leftarrow \theta_{t-1} - \tilde\gamma \, g_t / (\sqrt{s_t} + \epsilon) \\

    init() cannot see hyperparameters, so the state starts at 0 and τ is added on the first step.
    Bit for bit as torch's single-tensor CPU path: addcmul_ and add(alpha=) are fused multiply-adds
    (torch_ops). But torch's CPU sqrt is not correctly rounded (torch_ops), so a path can leave
    torch's by one ulp now and then; it is the one difference left.
    Diagnostics: no momentum; second_moment = s_t; step_size = γ̃ / (√s_t + ε), the factor on g_t.
    """
    weight_decay, eps = hp["weight_decay"], hp["eps"]
    g = grad
    if active(weight_decay):
        # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (torch: grad.add(param, alpha=λ), fused)
        g = fma(weight_decay, params, g)
    # $\tilde\gamma \leftarrow \gamma / (1 + (t - 1) \eta)$
    clr = lr / (1 + (step - 1) * hp["lr_decay"])
    previous = state.sum + hp["initial_accumulator_value"] if step == 1 else state.sum
    # $s_t \leftarrow s_{t-1} + g_t^2$ (torch: state_sum.addcmul_(g, g, value=1), fused)
    square_sum = fma(g, g, previous)
    # $\sqrt{s_t} + \epsilon$
    std = np.sqrt(square_sum) + eps
    # $\theta_t \leftarrow \theta_{t-1} - \tilde\gamma \, g_t / (\sqrt{s_t} + \epsilon)$
    # (torch: param.addcdiv_(g, std, value=-clr))
    new_params = params + (-clr * g) / std
    step_size = clr / std
    return new_params, AdagradState(square_sum), Diagnostics(None, square_sum, step_size)


_NAMES = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

ADAGRAD = Rule(
    name="adagrad",
    label="Adagrad",
    hyperparams=(
        lr_param(1e-2),
        Param("lr_decay", 0.0, "float", 0.0, 1.0),
        weight_decay_param(),
        Param("initial_accumulator_value", 0.0, "float", 0.0, 10.0),
        eps_param(1e-10),
    ),
    init=init,
    update=update,
    torch_class="torch.optim.Adagrad",
    torch_code=lambda hp: torch_constructor("torch.optim.Adagrad", hp, _NAMES),
    label_for=l2_label("Adagrad"),
)
