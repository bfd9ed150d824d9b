"""Optimizers by name for CNN training: torch.optim's own (fast paths on) and the course-note variants.

The names and hyperparameter names are those of the 2D rules (`optim_core.optimizers.RULES`), which
also validate the values and fill in torch's defaults. Only the default learning rate differs: the 2D
rules' defaults suit toy surfaces, `CNN_DEFAULT_LR` suits the small CNN on digits.

Fast paths: `foreach=True` (one kernel per operation for all tensors) wherever the class takes it;
`fused=True` (one kernel for the whole update) for Adam, AdamW and SGD on CUDA only.

The three variants below are torch's oracle turned around: textbook rules torch does not have,
written as ordinary torch.optim.Optimizer subclasses so the trainer treats them like any other.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping

import torch
from torch.optim import Optimizer

from optim_core.optimizers import RULES, resolve_hyperparams


class MomentumEMA(Optimizer):
    r"""Momentum as an exponential moving average of the gradients (the course notes' form).

    .. math::
        v_0 \leftarrow 0, \quad v_t \leftarrow \beta v_{t-1} + (1 - \beta) g_t, \quad
        \theta_t \leftarrow \theta_{t-1} - \gamma v_t

    Differs from torch.optim.SGD(momentum=β), which accumulates :math:`v_t = \beta v_{t-1} + g_t`
    (no :math:`1-\beta`) and starts from :math:`v_1 = g_1`.
    """

    def __init__(self, params, lr: float = 1e-2, beta: float = 0.9):
        super().__init__(params, {"lr": lr, "beta": beta})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else torch.enable_grad()(closure)()
        for group in self.param_groups:
            lr, beta = group["lr"], group["beta"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                v = state["momentum_buffer"]
                # $v_t \leftarrow \beta v_{t-1} + (1 - \beta) g_t$ (torch SGD: $v_t \leftarrow \beta v_{t-1} + g_t$)
                v.mul_(beta).add_(p.grad, alpha=1 - beta)
                # $\theta_t \leftarrow \theta_{t-1} - \gamma v_t$
                p.add_(v, alpha=-lr)
        return loss


class RMSpropEpsInside(Optimizer):
    r"""RMSprop with ε inside the square root (Andrew Ng's notes).

    .. math::
        s_0 \leftarrow 0, \quad s_t \leftarrow \alpha s_{t-1} + (1 - \alpha) g_t^2, \quad
        \theta_t \leftarrow \theta_{t-1} - \gamma \, g_t / \sqrt{s_t + \epsilon}

    Differs from torch.optim.RMSprop, which divides by :math:`\sqrt{s_t} + \epsilon`.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else torch.enable_grad()(closure)()
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "square_avg" not in state:
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                s, g = state["square_avg"], p.grad
                # $s_t \leftarrow \alpha s_{t-1} + (1 - \alpha) g_t^2$
                s.mul_(alpha).addcmul_(g, g, value=1 - alpha)
                # $\theta_t \leftarrow \theta_{t-1} - \gamma g_t / \sqrt{s_t + \epsilon}$ (torch: $\sqrt{s_t} + \epsilon$)
                p.addcdiv_(g, (s + eps).sqrt_(), value=-lr)
        return loss


class AdamNoBiasCorrection(Optimizer):
    r"""Adam without bias correction: the raw moving averages m and v are used.

    .. math::
        m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \quad
        \theta_t \leftarrow \theta_{t-1} - \gamma \, m_t / (\sqrt{v_t} + \epsilon)

    Differs from torch.optim.Adam, which divides m and v by :math:`1-\beta_1^t` and :math:`1-\beta_2^t`;
    without it the first steps are short, since :math:`m_1 = (1-\beta_1) g_1`.
    """

    def __init__(
        self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else torch.enable_grad()(closure)()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
                # $m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t$
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                # $v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                # $\theta_t \leftarrow \theta_{t-1} - \gamma m_t / (\sqrt{v_t} + \epsilon)$ (torch: bias-corrected m, v)
                p.addcdiv_(m, v.sqrt().add_(eps), value=-lr)
        return loss


TEXTBOOK_VARIANTS: dict[str, type[Optimizer]] = {
    "momentum_ema": MomentumEMA,
    "rmsprop_eps_inside": RMSpropEpsInside,
    "adam_no_bias_correction": AdamNoBiasCorrection,
}

# A learning rate that trains the small CNN on digits within a few epochs (batch 64).
CNN_DEFAULT_LR = {
    "sgd": 0.05,
    "momentum": 0.02,
    "nesterov": 0.02,
    "adagrad": 0.02,
    "rmsprop": 1e-3,
    "adadelta": 1.0,
    "adam": 1e-3,
    "amsgrad": 1e-3,
    "adamw": 1e-3,
    "nadam": 2e-3,
    "radam": 1e-3,
    "adamax": 2e-3,
    "momentum_ema": 0.05,
    "rmsprop_eps_inside": 1e-3,
    "adam_no_bias_correction": 1e-3,
}
_FUSED_ON_CUDA = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def optimizer_names() -> list[str]:
    return list(RULES)


def optimizer_class(name: str) -> type[Optimizer]:
    if name in TEXTBOOK_VARIANTS:
        return TEXTBOOK_VARIANTS[name]
    rule = RULES.get(name)
    if rule is None or rule.torch_class is None:
        raise ValueError(f"unknown optimizer {name!r}; valid choices: {', '.join(RULES)}")
    return getattr(torch.optim, rule.torch_class.rsplit(".", 1)[1])


def has_weight_decay(name: str) -> bool:
    """Whether the optimizer takes weight_decay itself (the variants do not: the trainer adds λθ)."""
    return any(p.name == "weight_decay" for p in RULES[name].hyperparams) if name in RULES else False


def resolve(name: str, hp: Mapping | None = None) -> dict:
    """Checked hyperparameters with defaults filled in (the LR from CNN_DEFAULT_LR when not given)."""
    hp = dict(hp or {})
    hp.setdefault("lr", CNN_DEFAULT_LR.get(name, 1e-3))
    return resolve_hyperparams(name, hp)


def make_optimizer(name: str, params: Iterable[torch.Tensor], hp: Mapping | None = None) -> Optimizer:
    """torch.optim optimizer `name` over params, hyperparameters checked, fast path chosen by device."""
    cls = optimizer_class(name)
    params = list(params)
    kwargs = resolve(name, hp)
    accepted = inspect.signature(cls.__init__).parameters
    on_cuda = bool(params) and params[0].is_cuda
    if on_cuda and cls in _FUSED_ON_CUDA and "fused" in accepted:
        kwargs["fused"] = True
    elif "foreach" in accepted:
        kwargs["foreach"] = True
    return cls(params, **kwargs)
