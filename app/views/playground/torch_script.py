"""PyTorch code that reproduces a whole Playground run: surface, start, noise, clipping, schedule, optimizers.

The lab runs every optimizer as a plain torch.optim loop would (optim_core.simulation.simulate):
p.grad is the surface's exact gradient plus the shared noise, clipped by `clip_grad_norm_`, and the LR
of step t is each optimizer's own LR times the schedule's multiplier (the schedule built with lr = 1).
The script says exactly that, with torch's own optimizers and schedulers; the gradient comes from the
lab's surface (optim_core), as in tests/parity. tests/parity/test_playground_torch_code.py runs it and
compares its paths with the lab's. No streamlit import.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from optim_core.optimizers import RULES
from optim_core.schedules import get_spec

if TYPE_CHECKING:
    from app.views.playground.model import PlaygroundConfig


def torch_script(config: PlaygroundConfig, labels: list[str], hyperparams: list[dict], sigma: float) -> str:
    """The script: `paths[label]` is each optimizer's path, a (steps + 1, 2) float64 tensor.

    hyperparams: each optimizer's resolved hyperparameters (the Trajectory's); sigma: the gradient
    noise's standard deviation (0 for exact gradients).
    """
    parts = [_header(config, sigma), _schedule(config), _loop(config, sigma)]
    for i, (label, slot, hp) in enumerate(zip(labels, config.slots, hyperparams, strict=True), start=1):
        code = RULES[slot.name].torch_code(hp).rstrip()
        parts.append(
            f"# ---- {label}\n"
            f"def make_optimizer_{i}(params):\n{textwrap.indent(code, '    ')}\n    return optimizer\n\n\n"
            f"paths[{label!r}] = run(make_optimizer_{i})"
        )
    parts.append('for label, path in paths.items():\n    print(label, "ends at", path[-1].tolist())')
    return "\n\n".join(parts) + "\n"


def _header(config: PlaygroundConfig, sigma: float) -> str:
    if config.formula is not None:
        surface = (
            f"from optim_core.formula import parse_formula\n\nsurface = parse_formula({config.formula!r})"
        )
    else:
        args = "".join(f", {k}={float(v)!r}" for k, v in config.surface_params)
        surface = (
            f"from optim_core.surfaces import get_surface\n\nsurface = get_surface({config.surface!r}{args})"
        )
    lines = [
        *(["import numpy as np"] if sigma > 0 else []),
        "import torch",
        "",
        surface,
        "",
        f"start = {tuple(float(v) for v in config.start)!r}",
        f"steps = {config.steps}",
    ]
    if sigma > 0:
        lines += [
            "# mini-batch gradients: the same Gaussian noise for every optimizer",
            f"noise = {sigma!r} * np.random.default_rng({config.seed}).standard_normal((steps, 2))",
        ]
    return "\n".join(lines)


def _schedule(config: PlaygroundConfig) -> str:
    """The multiplier of every LR at each step: torch's scheduler on an optimizer with lr = 1."""
    if config.schedule is None:
        return "multipliers = [1.0] * steps  # no LR schedule"
    name, pairs = config.schedule
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in pairs}
    code = get_spec(name).torch_code({**kwargs, "lr": 1.0})
    code = code.replace("model.parameters()", "[torch.zeros(1, requires_grad=True)]")
    kept = [
        line for line in code.splitlines() if line and line != "import torch" and not line.startswith("#")
    ]
    return "\n".join(
        [
            "# the LR schedule, built with lr = 1: its LR at step t multiplies every optimizer's LR",
            *kept,
            "multipliers = []",
            "for _ in range(steps):",
            '    multipliers.append(optimizer.param_groups[0]["lr"])',
            "    optimizer.step()",
            "    scheduler.step()",
        ]
    )


def _loop(config: PlaygroundConfig, sigma: float) -> str:
    """run(make_optimizer): one optimizer's path, as the lab computes it."""
    grad = "torch.tensor(surface.grad(x, y), dtype=torch.float64)"
    if sigma > 0:
        grad += " + torch.from_numpy(noise[t])"
    body = [
        "def run(make_optimizer):",
        "    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)",
        "    optimizer = make_optimizer([p])",
        '    base_lr = optimizer.param_groups[0]["lr"]',
        "    path = [p.detach().clone()]",
        "    for t in range(steps):",
        '        optimizer.param_groups[0]["lr"] = base_lr * multipliers[t]',
        "        x, y = p.detach().tolist()",
        f"        p.grad = {grad}",
    ]
    if config.clip_norm is not None:
        body.append(f"        torch.nn.utils.clip_grad_norm_([p], max_norm={float(config.clip_norm)!r})")
    body += [
        "        optimizer.step()",
        "        path.append(p.detach().clone())",
        "        if not torch.isfinite(p).all():  # diverged: the lab stops such a path too",
        "            break",
        "    return torch.stack(path)",
        "",
        "",
        "paths = {}",
    ]
    return "\n".join(body)
