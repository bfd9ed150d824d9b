"""The textbook variants as torch.optim.Optimizer subclasses: the only torch code of each variant.

The trainer uses these classes like any torch optimizer, and the app shows their source as the variant's
"equivalent PyTorch code" (optim_core.optimizers.textbook reads this file's text without importing torch).
So each class is written to be read on its own: the torch imports below, then the class, nothing else.
The algorithm of each, in LaTeX, is written once, in the docstring of its NumPy rule in
optim_core/optimizers/textbook.py; each line here carries the formula it computes.
"""

from __future__ import annotations

import torch
from torch.optim import Optimizer


class MomentumEMA(Optimizer):
    """Momentum as an exponential moving average of the gradients: v <- beta v + (1 - beta) g.

    Algorithm: optim_core.optimizers.textbook.update_momentum_ema.
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
                # $v_t \leftarrow \beta v_{t-1} + (1 - \beta) g_t$ (torch SGD: no $1 - \beta$)
                v.mul_(beta).add_(p.grad, alpha=1 - beta)
                # $\theta_t \leftarrow \theta_{t-1} - \gamma v_t$
                p.add_(v, alpha=-lr)
        return loss


class RMSpropEpsInside(Optimizer):
    """RMSprop with eps inside the square root: p <- p - lr g / sqrt(s + eps).

    Algorithm: optim_core.optimizers.textbook.update_rmsprop_eps_inside.
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
                # $\theta_t \leftarrow \theta_{t-1} - \gamma g_t / \sqrt{s_t + \epsilon}$ (torch: ε outside)
                p.addcdiv_(g, (s + eps).sqrt_(), value=-lr)
        return loss


class AdamNoBiasCorrection(Optimizer):
    """Adam without bias correction: the raw moving averages m and v are used.

    Algorithm: optim_core.optimizers.textbook.update_adam_no_bias_correction.
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
                # $\theta_t \leftarrow \theta_{t-1} - \gamma m_t / (\sqrt{v_t} + \epsilon)$ (torch: m̂, v̂)
                p.addcdiv_(m, v.sqrt().add_(eps), value=-lr)
        return loss


# rule name -> its class (textbook.py reads this literal too: keep it a dict of names)
TEXTBOOK_VARIANTS: dict[str, type[Optimizer]] = {
    "momentum_ema": MomentumEMA,
    "rmsprop_eps_inside": RMSpropEpsInside,
    "adam_no_bias_correction": AdamNoBiasCorrection,
}
