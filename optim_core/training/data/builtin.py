"""The datasets that need no file: scikit-learn's bundled digits, and synthetic images for timing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from optim_core.training.data.dataset import ImageDataset, make_dataset


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8), labels) of scikit-learn's bundled digits.

    Read straight from the CSV that scikit-learn ships (what load_digits reads): importing
    sklearn.datasets takes seconds, paid again by every worker process. Falls back to load_digits.
    """
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
            if table.shape == (1797, 65):
                return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target.astype(np.int64)


def load_digits_dataset(val_fraction: float = 0.2, max_samples: int | None = None) -> ImageDataset:
    """scikit-learn's bundled 8x8 digits: 1,797 images, 10 classes, no download."""
    images, labels = _digits_arrays()
    x = images.astype(np.float32)[:, None] / 16.0  # pixel values are 0..16
    return make_dataset(
        "digits",
        x,
        labels,
        tuple(str(c) for c in range(10)),
        val_fraction=val_fraction,
        max_samples=max_samples,
    )


def load_synthetic(
    n: int = 2048,
    shape: tuple[int, int, int] = (3, 32, 32),
    n_classes: int = 10,
    seed: int = 0,
    val_fraction: float = 0.2,
) -> ImageDataset:
    """Random images whose label is a fixed random linear function of the pixels (learnable, for timing)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape), dtype=np.float32)
    teacher = rng.standard_normal((int(np.prod(shape)), n_classes), dtype=np.float32)
    y = (x.reshape(n, -1) @ teacher).argmax(axis=1).astype(np.int64)
    return make_dataset("synthetic", x, y, tuple(str(c) for c in range(n_classes)), val_fraction=val_fraction)
