"""CIFAR-10 in its "python" batches (pickles), unpickled so that an uploaded file cannot run code."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from optim_core.training.data.dataset import DataError, ImageDataset, make_dataset

# The class names when the batches come without batches.meta.
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists and NumPy arrays only: a pickle from an upload must not run code."""

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise DataError(
                f"refusing to unpickle {module}.{name}: a CIFAR batch holds only arrays and lists"
            )
        return super().find_class(module, name)


def read_cifar_batch(path: Path) -> dict:
    try:
        batch = _ArrayUnpickler(io.BytesIO(Path(path).read_bytes()), encoding="bytes").load()
    except DataError:
        raise
    except Exception as error:  # a corrupt pickle can raise almost anything
        raise DataError(f"{Path(path).name}: not a CIFAR-10 python batch ({error})") from None
    if not isinstance(batch, dict):
        raise DataError(f"{Path(path).name}: a CIFAR batch is a dict, got {type(batch).__name__}")
    return batch


def _cifar_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    batch = read_cifar_batch(path)
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if data is None or labels is None:
        raise DataError(f"{path.name}: a CIFAR-10 batch needs b'data' and b'labels'")
    data = np.asarray(data, dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DataError(f"{path.name}: b'data' must be (N, 3072) with N labels, got {data.shape}")
    return data.reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def is_cifar_dir(root: Path) -> bool:
    """Whether root holds (at any depth) a data_batch_<n> file."""
    return any(Path(root).rglob("data_batch_[0-9]*"))


def load_cifar10_dir(root: Path, **kwargs) -> ImageDataset:
    """data_batch_1..5 (any present) for training, test_batch (if present) for validation."""
    root = Path(root)
    batches = sorted(root.rglob("data_batch_[0-9]*"))
    if not batches:
        raise DataError(f"{root}: no CIFAR-10 data_batch_* files")
    parts = [_cifar_arrays(p) for p in batches]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    x_val = y_val = None
    test = sorted(root.rglob("test_batch"))
    if test:
        x_val, y_val = _cifar_arrays(test[0])
    classes: tuple[str, ...] = CIFAR10_CLASSES
    meta = sorted(root.rglob("batches.meta"))
    if meta:
        names = read_cifar_batch(meta[0]).get(b"label_names")
        if names:
            classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    if int(y.max()) >= len(classes):
        raise DataError(f"{root}: labels reach {int(y.max())} but there are {len(classes)} class names")
    return make_dataset("cifar10", x, y, classes, x_val=x_val, y_val=y_val, **kwargs)
