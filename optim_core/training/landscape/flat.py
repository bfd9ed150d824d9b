"""One network's trainable weights as one flat vector, and back.

Every lane of a run starts from the same θ₀ and has the same architecture, so a lane's weights at any
moment are a point in one shared space R^P: the concatenation of `model.named_parameters()` in that
order, each flattened row-major. BatchNorm's running statistics are buffers, not parameters: they are not
part of a point (the landscape evaluates with the batch statistics of its validation subset instead).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def parameter_shapes(model: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of each trainable parameter, in the order of a flat vector."""
    return [(name, tuple(p.shape)) for name, p in model.named_parameters()]


def flatten_parameters(model: nn.Module) -> np.ndarray:
    """The model's weights as one float32 vector of length P."""
    with torch.no_grad():
        return (
            torch.cat([p.detach().reshape(-1) for p in model.parameters()])
            .to("cpu", torch.float32)
            .numpy()
            .copy()
        )


def parameters_from_flat(model: nn.Module, flat: np.ndarray | torch.Tensor) -> dict[str, torch.Tensor]:
    """{name: tensor} of the weights that `flat` holds, shaped like the model's parameters (for
    torch.func.functional_call). Raises ValueError when the length is not P."""
    vector = torch.as_tensor(flat)
    shapes = parameter_shapes(model)
    total = sum(int(np.prod(shape)) for _, shape in shapes)
    if vector.ndim != 1 or vector.numel() != total:
        raise ValueError(
            f"a flat weight vector of this model has {total} values; got shape {tuple(vector.shape)}"
        )
    out: dict[str, torch.Tensor] = {}
    start = 0
    for name, shape in shapes:
        size = int(np.prod(shape))
        out[name] = vector[start : start + size].reshape(shape)
        start += size
    return out
