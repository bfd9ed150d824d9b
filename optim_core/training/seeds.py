"""Every random draw of a run derives from (seed, epoch, batch index): a run is a function of its config.

So lanes see the same batches in the same order and share dropout masks, an LR range test sees the
trainer's batch order, and a resumed run draws exactly what the uninterrupted run would have drawn.
"""

from __future__ import annotations

import torch

DROPOUT_STREAM = 7  # keeps the dropout masks' seeds apart from the epoch permutations'


def derive_seed(*numbers: int) -> int:
    """A seed derived from integers (deterministic across processes, unlike hash() of strings)."""
    value = 0x9E3779B9
    for n in numbers:
        value = (value * 1_000_003 + int(n) + 1) % (1 << 62)
    return value


def epoch_permutation(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The order in which every lane sees the training set in `epoch` (0-based)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(derive_seed(seed, epoch)))


def dropout_mask(
    generator: torch.Generator,
    seed: int,
    epoch: int,
    index: int,
    shape: tuple[int, ...],
    p: float,
    device: torch.device,
) -> torch.Tensor:
    """The inverted-dropout mask of micro-batch `index` in `epoch`: 0 with probability p, else 1 / (1 − p).

    One mask per batch, shared by every lane of that batch size (the same units dropped for all).
    """
    keep = 1.0 - p
    generator.manual_seed(derive_seed(seed, epoch, index, DROPOUT_STREAM))
    mask = torch.empty(shape, device=device)
    return mask.bernoulli_(keep, generator=generator).div_(keep)
