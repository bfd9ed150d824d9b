"""Textbook variants the course notes teach, where they differ from torch.optim.

* momentum_ema: v ← βv + (1 − β)g, θ ← θ − γv. torch's SGD accumulates v ← μv + g (no 1 − μ) and
  starts from v₁ = g₁; the EMA form is torch's SGD with dampening = β and a γ/(1 − β) larger lr,
  except on the first step.
* rmsprop_eps_inside: ε inside the square root, θ ← θ − γ g/√(s + ε); torch adds ε to √s.
* adam_no_bias_correction: Adam without m̂, v̂. Its step is Adam's times (1 − β₁ᵗ)/√(1 − β₂ᵗ): with
  the default betas about 3.2 × larger at t = 1 and still about 3 × at t = 100 (v warms up slowly).

None has a torch class: each is a small torch.optim.Optimizer in optim_core/training/textbook_torch.py,
and torch_code shows that class's source (read as text, so this package never imports torch).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..params import Param
from .rule import Diagnostics, Rule, betas_param, eps_param, fmt, lr_param


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
    # $\gamma / (\sqrt{v_t} + \epsilon)$
    # (torch: $\gamma / (1 - \beta_1^t) / (\sqrt{v_t / (1 - \beta_2^t)} + \epsilon)$)
    step_size = lr / (np.sqrt(exp_avg_sq) + hp["eps"])
    # $\theta_t \leftarrow \theta_{t-1} - \gamma m_t / (\sqrt{v_t} + \epsilon)$
    new_params = params - step_size * exp_avg
    new_state = AdamNoBiasCorrectionState(exp_avg, exp_avg_sq)
    return new_params, new_state, Diagnostics(exp_avg, exp_avg_sq, step_size)


# The torch code of each variant is the source of its class in optim_core/training/textbook_torch.py, read
# as text: this package is pure NumPy and never imports torch, and the code the app shows is the code the
# trainer runs.
_TORCH_MODULE = Path(__file__).resolve().parent.parent / "training" / "textbook_torch.py"
_TORCH_REGISTRY = "TEXTBOOK_VARIANTS"  # rule name -> class, a dict literal in that module


class _TorchSource(NamedTuple):
    imports: str  # the module's torch imports, which the class needs
    class_name: str
    class_source: str  # its docstring cut to the summary line (the algorithm is in the NumPy rule's)


@cache
def _torch_source(name: str) -> _TorchSource:
    text = _TORCH_MODULE.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(_TORCH_MODULE))
    imports = "\n".join(
        _segment(text, node)
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom) and _imports_torch(node)
    )
    registry = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and getattr(node.target, "id", None) == _TORCH_REGISTRY
        and isinstance(node.value, ast.Dict)
    )
    class_names = {
        key.value: value.id
        for key, value in zip(registry.keys, registry.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(value, ast.Name)
    }
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_names[name])
    source = _segment(text, node)
    docstring = node.body[0]
    if (
        isinstance(docstring, ast.Expr)
        and isinstance(docstring.value, ast.Constant)
        and isinstance(docstring.value.value, str)
    ):
        summary = inspect.cleandoc(docstring.value.value).splitlines()[0]
        source = source.replace(_segment(text, docstring), f'"""{summary}"""', 1)
    return _TorchSource(imports, node.name, source)


def _segment(text: str, node: ast.AST) -> str:
    """The source of `node` in `text`, which ast.parse read (so every node has its position)."""
    segment = ast.get_source_segment(text, node)
    assert segment is not None, f"{type(node).__name__} has no position in {_TORCH_MODULE.name}"
    return segment


def _imports_torch(node: ast.Import | ast.ImportFrom) -> bool:
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return any(module.split(".")[0] == "torch" for module in modules)


def _variant_torch_code(name: str, hyperparams: tuple[Param, ...]) -> Callable[[dict], str]:
    def torch_code(hp: dict) -> str:
        source = _torch_source(name)
        args = ", ".join(f"{p.name}={fmt(hp[p.name])}" for p in hyperparams)
        return (
            f"{source.imports}\n\n\n{source.class_source}\n\n\n"
            f"optimizer = {source.class_name}(params, {args})\n"
        )

    return torch_code


def _variant(name: str, label: str, hyperparams: tuple[Param, ...], init, update) -> Rule:
    return Rule(
        name=name,
        label=label,
        hyperparams=hyperparams,
        init=init,
        update=update,
        torch_class=None,
        torch_code=_variant_torch_code(name, hyperparams),
    )


MOMENTUM_EMA = _variant(
    "momentum_ema",
    "Momentum (EMA)",
    (lr_param(1e-2), Param("beta", 0.9, "float", 0.0, 1.0, high_open=True)),
    lambda params: MomentumEMAState(np.zeros_like(params)),
    update_momentum_ema,
)
RMSPROP_EPS_INSIDE = _variant(
    "rmsprop_eps_inside",
    "RMSprop (ε inside √)",
    (
        lr_param(1e-2),
        Param("alpha", 0.99, "float", 0.0, 1.0, high_open=True),
        eps_param(1e-8),
    ),
    lambda params: RMSpropEpsInsideState(np.zeros_like(params)),
    update_rmsprop_eps_inside,
)
ADAM_NO_BIAS_CORRECTION = _variant(
    "adam_no_bias_correction",
    "Adam (no bias correction)",
    (lr_param(1e-3), betas_param(), eps_param(1e-8)),
    lambda params: AdamNoBiasCorrectionState(np.zeros_like(params), np.zeros_like(params)),
    update_adam_no_bias_correction,
)
