"""ImageDataset: a dataset as normalized tensors with a fixed train/validation split.

Small sets live whole on the training device as tensors, so a batch is one index operation and no
DataLoader (with its per-sample collate) sits in the loop. Every loader of this package ends in
`make_dataset`: images (N, C, H, W) float32 normalized with the training split's per-channel mean/std,
labels (N,) int64, class names, and a train/validation split that does not depend on the run's seed
(the same validation images for every run, so runs can be compared).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import torch

SPLIT_SEED = 0  # fixed: the validation set must not move when the run's seed does


# What the server may hold of one dataset: images as float32 tensors (MNIST with its test set is 55M).
MAX_DATASET_VALUES = 56_000_000
# What one array may declare before it is allocated (an IDX file, a CIFAR batch, decoded images).
MAX_ARRAY_BYTES = 160 << 20


class DataError(ValueError):
    """A dataset path, file or archive that cannot be read; the message says what was expected.

    `reason` names the kind of refusal (the app translates it with `values`); None for the others.
    """

    def __init__(self, message: str, *, reason: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


def check_bytes(name: str, n_bytes: int, limit: int = MAX_ARRAY_BYTES) -> None:
    """Refuse what declares more than `limit` bytes, before anything is allocated for it."""
    if n_bytes > limit:
        raise DataError(
            f"{name}: declares {n_bytes / 2**20:.1f} MiB; the limit is {limit / 2**20:.0f} MiB",
            reason="too_big",
            name=name,
            mib=f"{n_bytes / 2**20:.1f}",
            limit=f"{limit / 2**20:.0f}",
        )


@dataclass(frozen=True)
class ImageDataset:
    """Normalized image tensors with a fixed train/validation split.

    x_*: (N, C, H, W) float32, already (x - mean) / std with the training split's channel statistics.
    y_*: (N,) int64 class indices into `classes`. skipped: files that were not readable images.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    skipped: int = 0

    @property
    def input_shape(self) -> tuple[int, int, int]:
        # x_train is (N, C, H, W): make_dataset checks it
        return cast(tuple[int, int, int], tuple(self.x_train.shape[1:]))

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def device(self) -> torch.device:
        return self.x_train.device

    def to(self, device: torch.device | str) -> ImageDataset:
        move = {k: getattr(self, k).to(device) for k in ("x_train", "y_train", "x_val", "y_val")}
        return replace(self, **move)

    def describe(self) -> str:
        c, h, w = self.input_shape
        return (
            f"{self.name}: {len(self.y_train)} train / {len(self.y_val)} validation images, "
            f"{c}x{h}x{w}, {self.n_classes} classes"
        )


def split_indices(n: int, val_fraction: float, seed: int = SPLIT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split of range(n) into (train, validation) index tensors."""
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    n_val = max(1, round(n * val_fraction))
    if n - n_val < 1:
        raise DataError(
            f"{n} images are too few to split into training and validation", reason="too_few", n=n
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[n_val:], order[:n_val]


def _cap(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if limit is None or len(y) <= limit:
        return x, y
    keep = np.sort(np.random.default_rng(seed).permutation(len(y))[:limit])
    return x[keep], y[keep]


def _check_values(
    name: str, x: np.ndarray, x_val: np.ndarray | None, val_fraction: float, max_samples: int | None
) -> None:
    """Refuse a dataset whose float32 tensors (after the split and max_samples) pass MAX_DATASET_VALUES."""
    if x_val is None:
        n_val = max(1, round(len(x) * val_fraction))
        counts = [len(x) - n_val, n_val]
    else:
        counts = [len(x), len(x_val)]
    if max_samples is not None:
        counts = [min(c, max_samples) for c in counts]
    per_image = int(np.prod(x.shape[1:]))
    if sum(counts) * per_image > MAX_DATASET_VALUES:
        raise DataError(
            f"{name}: {sum(counts):,} images of {per_image:,} values are more than the "
            f"{MAX_DATASET_VALUES:,} values a dataset may hold here; use a subset or a smaller image size",
            reason="too_many_values",
            name=name,
            images=f"{sum(counts):,}",
            limit=f"{MAX_DATASET_VALUES:,}",
        )


def _channel_stats(images: torch.Tensor, chunk: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (unbiased) std in float64, a chunk of images at a time (no float64 copy)."""
    n = images.shape[0] * images.shape[2] * images.shape[3]
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    for start in range(0, len(images), chunk):
        total += images[start : start + chunk].sum(dim=(0, 2, 3), dtype=torch.float64)
    mean = total / n
    squares = torch.zeros_like(total)
    for start in range(0, len(images), chunk):
        centred = images[start : start + chunk].to(torch.float64) - mean.view(1, -1, 1, 1)
        squares += (centred * centred).sum(dim=(0, 2, 3))
    std = (squares / max(n - 1, 1)).sqrt().clamp_min(1e-8)
    return mean, std


def make_dataset(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    classes: tuple[str, ...],
    *,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    val_fraction: float = 0.2,
    max_samples: int | None = None,
    skipped: int = 0,
) -> ImageDataset:
    """Normalize raw images (N, C, H, W) into an ImageDataset.

    A format that ships its own validation/test split (MNIST t10k, CIFAR test_batch, HW3 validation/)
    passes it as x_val/y_val; otherwise a seeded split holds out val_fraction. max_samples caps each
    split (a seeded subset) so that large sets stay quick on a CPU.
    """
    if x.ndim != 4 or len(x) != len(y) or len(y) == 0:
        raise DataError(f"{name}: expected images (N, C, H, W) and N labels, got {x.shape} and {len(y)}")
    _check_values(name, x, x_val, val_fraction, max_samples)  # before the split copies anything
    if x_val is None:
        train, val = split_indices(len(y), val_fraction)
        x, y, x_val, y_val = x[train.numpy()], y[train.numpy()], x[val.numpy()], y[val.numpy()]
    elif y_val is None:
        raise DataError(f"{name}: validation images need their labels (y_val)")
    x, y = _cap(x, y, max_samples, SPLIT_SEED)
    x_val, y_val = _cap(x_val, y_val, max_samples, SPLIT_SEED + 1)
    # np.array converts into new arrays: the raw uint8 arrays are left as they are
    train_images = torch.from_numpy(np.array(x, dtype=np.float32))
    val_images = torch.from_numpy(np.array(x_val, dtype=np.float32))
    # Channel statistics of the training split only: the validation set stays unseen.
    mean, std = _channel_stats(train_images)
    shift, scale = mean.float().view(1, -1, 1, 1), std.float().view(1, -1, 1, 1)
    # normalized in place: no second copy of the images
    return ImageDataset(
        name=name,
        x_train=train_images.sub_(shift).div_(scale),
        y_train=torch.tensor(y, dtype=torch.int64),
        x_val=val_images.sub_(shift).div_(scale),
        y_val=torch.tensor(y_val, dtype=torch.int64),
        classes=tuple(classes),
        mean=tuple(mean.tolist()),
        std=tuple(std.tolist()),
        skipped=skipped,
    )
