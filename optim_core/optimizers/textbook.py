"""Textbook variants the course notes teach, where they differ from torch.optim.

* momentum_ema: v ← βv + (1 − β)g, θ ← θ − γv. torch's SGD accumulates v ← μv + g (no 1 − μ) and
  starts from v₁ = g₁; the EMA form is torch's SGD with dampening = β and a γ/(1 − β) larger lr,
  except on the first step.
* rmsprop_eps_inside: ε inside the square root, θ ← θ − γ g/√(s + ε); torch adds ε to √s.
* adam_no_bias_correction: Adam without m̂, v̂. Its step is Adam's times (1 − β₁ᵗ)/√(1 − β₂ᵗ): with
  the default betas about 3.2 × larger at t = 1 and still about 3 × at t = 100 (v warms up slowly).

None has a torch class: torch_code writes a small torch.optim.Optimizer for each.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .rule import Diagnostics, HyperParam, Rule, betas_param, eps_param, fmt, lr_param


class MomentumEMAState(NamedTuple):
    momentum_buffer: np.ndarray


class RMSpropEpsInsideState(NamedTuple):
    square_avg: np.ndarray


class AdamNoBiasCorrectionState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def update_momentum_ema(grad, state: MomentumEMAState, params, lr, hp, step):
    r"""Momentum as an exponential moving average of gradients (not torch's SGD momentum).

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta \\
        \textbf{initialize}: v_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad v_t \leftarrow \beta v_{t-1} + (1 - \beta) g_t \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma v_t \\

    Differs from torch.optim.SGD(momentum=β): torch uses v_t ← β v_{t−1} + g_t and v_1 ← g_1.
    Diagnostics: momentum = v_t; no second moment; step_size = γ, the factor on v_t.
    """
    beta = hp["beta"]
    # $v_t \leftarrow \beta v_{t-1} + (1 - \beta) g_t$ (torch's SGD: $v_t \leftarrow \beta v_{t-1} + g_t$)
    buf = state.momentum_buffer * beta + (1 - beta) * grad
    # $\theta_t \leftarrow \theta_{t-1} - \gamma v_t$
    return params - lr * buf, MomentumEMAState(buf), Diagnostics(buf, None, lr)


def update_rmsprop_eps_inside(grad, state: RMSpropEpsInsideState, params, lr, hp, step):
    r"""RMSprop with ε inside the square root, as in the course notes (torch adds ε outside).

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \alpha \text{ (alpha)},\ \epsilon \\
        \textbf{initialize}: s_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad s_t \leftarrow \alpha s_{t-1} + (1 - \alpha) g_t^2 \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t / \sqrt{s_t + \epsilon} \\

    Differs from torch.optim.RMSprop: torch divides by √s_t + ε. With the same ε the first step is
    γ g/√((1−α)g² + ε) instead of γ g/(√(1−α)|g| + ε): ε inside caps the step at γ|g|/√ε.
    Diagnostics: no momentum; second_moment = s_t; step_size = γ / √(s_t + ε), the factor on g_t.
    """
    alpha, eps = hp["alpha"], hp["eps"]
    # $s_t \leftarrow \alpha s_{t-1} + (1 - \alpha) g_t^2$
    square_avg = state.square_avg * alpha + (1 - alpha) * grad * grad
    # $\gamma / \sqrt{s_t + \epsilon}$ (torch RMSprop: $\gamma / (\sqrt{s_t} + \epsilon)$)
    step_size = lr / np.sqrt(square_avg + eps)
    # $\theta_t \leftarrow \theta_{t-1} - \gamma g_t / \sqrt{s_t + \epsilon}$
    new_params = params - step_size * grad
    return new_params, RMSpropEpsInsideState(square_avg), Diagnostics(None, square_avg, step_size)


def update_adam_no_bias_correction(grad, state: AdamNoBiasCorrectionState, params, lr, hp, step):
    r"""Adam without bias correction: m and v are used as they are (torch always corrects them).

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \beta_1, \beta_2 \text{ (betas)},\ \epsilon \\
        \textbf{initialize}: m_0 \leftarrow 0,\ v_0 \leftarrow 0 \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad g_t \leftarrow \nabla_\theta f(\theta_{t-1}) \\
        \quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        \quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma m_t / (\sqrt{v_t} + \epsilon) \\

    Differs from torch.optim.Adam: no division by 1 − β₁ᵗ and 1 − β₂ᵗ, so (ignoring ε) each step is
    Adam's times (1 − β₁ᵗ)/√(1 − β₂ᵗ), about 3.2 × at t = 1 with the default betas.
    Diagnostics: momentum = m_t; second_moment = v_t; step_size = γ / (√v_t + ε), the factor on m_t.
    """
    beta1, beta2 = hp["betas"]
    # $m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t$
    exp_avg = state.exp_avg * beta1 + (1 - beta1) * grad
    # $v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$
    exp_avg_sq = state.exp_avg_sq * beta2 + (1 - beta2) * grad * grad
    # $\gamma / (\sqrt{v_t} + \epsilon)$ (torch: $\gamma / (1 - \beta_1^t) / (\sqrt{v_t / (1 - \beta_2^t)} + \epsilon)$)
    step_size = lr / (np.sqrt(exp_avg_sq) + hp["eps"])
    # $\theta_t \leftarrow \theta_{t-1} - \gamma m_t / (\sqrt{v_t} + \epsilon)$
    new_params = params - step_size * exp_avg
    new_state = AdamNoBiasCorrectionState(exp_avg, exp_avg_sq)
    return new_params, new_state, Diagnostics(exp_avg, exp_avg_sq, step_size)


# Equivalent torch code: a small torch.optim.Optimizer per variant, doing the same operations in the
# same order as the update functions above.
_TORCH_OPTIMIZER = '''import torch


class {cls}(torch.optim.Optimizer):
    """{doc}"""

    def __init__(self, params, {signature}):
        super().__init__(params, {defaults})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g, state = p.grad, self.state[p]
{body}


optimizer = {cls}(params, {args})
'''

_BODIES = {
    "momentum_ema": """                v = state.setdefault("momentum_buffer", torch.zeros_like(p))
                v.mul_(group["beta"]).add_(g, alpha=1 - group["beta"])  # v <- beta v + (1 - beta) g
                p.add_(v, alpha=-group["lr"])""",
    "rmsprop_eps_inside": """                s = state.setdefault("square_avg", torch.zeros_like(p))
                s.mul_(group["alpha"]).addcmul_(g, g, value=1 - group["alpha"])
                p.sub_(group["lr"] / (s + group["eps"]).sqrt() * g)  # eps inside the sqrt""",
    "adam_no_bias_correction": """                beta1, beta2 = group["betas"]
                m = state.setdefault("exp_avg", torch.zeros_like(p))
                v = state.setdefault("exp_avg_sq", torch.zeros_like(p))
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.sub_(group["lr"] / (v.sqrt() + group["eps"]) * m)  # no bias correction""",
}

_CLASSES = {
    "momentum_ema": ("MomentumEMA", "Momentum as an EMA: v <- beta v + (1 - beta) g; p <- p - lr v."),
    "rmsprop_eps_inside": (
        "RMSpropEpsInside",
        "RMSprop with eps inside the sqrt: p <- p - lr g / sqrt(s + eps).",
    ),
    "adam_no_bias_correction": ("AdamNoBiasCorrection", "Adam without bias correction of m and v."),
}


def _variant_torch_code(name: str, hyperparams: tuple[HyperParam, ...]):
    cls, doc = _CLASSES[name]

    def torch_code(hp: dict) -> str:
        return _TORCH_OPTIMIZER.format(
            cls=cls,
            doc=doc,
            body=_BODIES[name],
            signature=", ".join(f"{p.name}={fmt(p.default)}" for p in hyperparams),
            defaults="{" + ", ".join(f'"{p.name}": {p.name}' for p in hyperparams) + "}",
            args=", ".join(f"{p.name}={fmt(hp[p.name])}" for p in hyperparams),
        )

    return torch_code


def _variant(name, label, hyperparams, init, update, note) -> Rule:
    return Rule(
        name=name,
        label=label,
        hyperparams=hyperparams,
        init=init,
        update=update,
        torch_class=None,
        torch_code=_variant_torch_code(name, hyperparams),
        note=note,
    )


MOMENTUM_EMA = _variant(
    "momentum_ema",
    {"en": "Momentum (EMA)", "zh": "动量(EMA 形式)"},
    (lr_param(1e-2), HyperParam("beta", 0.9, "float", 0.0, 1.0, high_open=True, help="β, EMA factor")),
    lambda params: MomentumEMAState(np.zeros_like(params)),
    update_momentum_ema,
    "textbook EMA momentum; torch.optim.SGD(momentum=β) uses v ← βv + g",
)
RMSPROP_EPS_INSIDE = _variant(
    "rmsprop_eps_inside",
    {"en": "RMSprop (ε inside √)", "zh": "RMSprop(ε 在根号内)"},
    (
        lr_param(1e-2),
        HyperParam("alpha", 0.99, "float", 0.0, 1.0, high_open=True, help="α, EMA factor"),
        eps_param(1e-8),
    ),
    lambda params: RMSpropEpsInsideState(np.zeros_like(params)),
    update_rmsprop_eps_inside,
    "textbook RMSprop; torch.optim.RMSprop divides by √s + ε",
)
ADAM_NO_BIAS_CORRECTION = _variant(
    "adam_no_bias_correction",
    {"en": "Adam (no bias correction)", "zh": "Adam(无偏差修正)"},
    (lr_param(1e-3), betas_param(), eps_param(1e-8)),
    lambda params: AdamNoBiasCorrectionState(np.zeros_like(params), np.zeros_like(params)),
    update_adam_no_bias_correction,
    "Adam without bias correction; torch.optim.Adam always corrects m and v",
)
