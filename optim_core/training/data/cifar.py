"""CIFAR-10 in its "python" batches (pickles), unpickled so that an uploaded file cannot run code."""

from __future__ import annotations

import io
import pickle
import pickletools
import re
from pathlib import Path

import numpy as np

from optim_core.training.data.dataset import (
    MAX_ARRAY_BYTES,
    DataError,
    ImageDataset,
    check_bytes,
    make_dataset,
)
from optim_core.training.data.walk import list_files

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
        if name == "dtype":
            return _plain_dtype
        return super().find_class(module, name)


def _plain_dtype(*args, **kwargs) -> np.dtype:
    """np.dtype for plain numbers only: no objects, records or sub-arrays (whose size a pickle declares)."""
    dtype = np.dtype(*args, **kwargs)
    if dtype.kind not in "biuf" or dtype.itemsize > 8:
        raise DataError(f"refusing the dtype {dtype}: a CIFAR batch holds plain numbers")
    return dtype


def read_cifar_batch(path: Path, max_bytes: int = MAX_ARRAY_BYTES) -> dict:
    """Unpickle one batch; the file's size is checked first (an array holds no more than its bytes).

    The opcodes are read once before unpickling: pickle allocates the length a bytes opcode declares
    before reading it (245 bytes could ask for gigabytes); pickletools checks each length against the
    bytes that are really there.
    """
    path = Path(path)
    try:
        check_bytes(path.name, path.stat().st_size, max_bytes)
        raw = path.read_bytes()
        for _ in pickletools.genops(io.BytesIO(raw)):
            pass
        batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"{path.name}: asks for more memory than there is", reason="memory") from None
    except Exception as error:  # a corrupt pickle can raise almost anything
        raise DataError(
            f"{Path(path).name}: not a CIFAR-10 python batch ({error})",
            reason="cifar_batch",
            name=Path(path).name,
        ) from None
    if not isinstance(batch, dict):
        raise DataError(
            f"{Path(path).name}: a CIFAR batch is a dict, got {type(batch).__name__}",
            reason="cifar_batch",
            name=Path(path).name,
        )
    return batch


def _cifar_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    batch = read_cifar_batch(path)
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if data is None or labels is None:
        raise DataError(
            f"{path.name}: a CIFAR-10 batch needs b'data' and b'labels'", reason="cifar_keys", name=path.name
        )
    # checked before any conversion: a list of lists (shared rows) can declare far more than it holds
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        shape = data.shape if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(
            f"{path.name}: b'data' must be an (N, 3072) array, got {shape}",
            reason="cifar_shape",
            name=path.name,
        )
    if not isinstance(labels, (list, np.ndarray)) or len(data) != len(labels):
        raise DataError(
            f"{path.name}: b'data' must be (N, 3072) with N labels, got {data.shape}",
            reason="cifar_shape",
            name=path.name,
        )
    if isinstance(labels, list) and not all(type(v) is int for v in labels):
        raise DataError(
            f"{path.name}: b'labels' must be whole numbers", reason="cifar_labels", name=path.name
        )
    return data.astype(np.uint8, copy=False).reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.int64)


def _named(files: list[Path], pattern: str) -> list[Path]:
    return sorted(p for p in files if re.fullmatch(pattern, p.name))


def is_cifar_dir(root: Path, files: list[Path] | None = None) -> bool:
    """Whether root holds (at any depth) a data_batch_<n> file."""
    return bool(_named(list_files(root) if files is None else files, r"data_batch_[0-9].*"))


def load_cifar10_dir(root: Path, files: list[Path] | None = None, **kwargs) -> ImageDataset:
    """data_batch_1..5 (any present) for training, test_batch (if present) for validation."""
    root = Path(root)
    files = list_files(root) if files is None else files
    batches = _named(files, r"data_batch_[0-9].*")
    if not batches:
        raise DataError(f"{root}: no CIFAR-10 data_batch_* files", reason="cifar_none", folder=root.name)
    test = _named(files, "test_batch")
    # all the batches together, before one is read: each may be within the limit, their sum not
    check_bytes(root.name or "cifar10", sum(p.stat().st_size for p in batches + test[:1]))
    parts = [_cifar_arrays(p) for p in batches]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    del parts
    x_val = y_val = None
    if test:
        x_val, y_val = _cifar_arrays(test[0])
    classes: tuple[str, ...] = CIFAR10_CLASSES
    meta = _named(files, "batches.meta")
    if meta:
        names = read_cifar_batch(meta[0]).get(b"label_names")
        if names:
            classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    if int(y.max()) >= len(classes):
        raise DataError(
            f"{root}: labels reach {int(y.max())} but there are {len(classes)} class names",
            reason="cifar_classes",
            folder=root.name,
            top=int(y.max()),
            n=len(classes),
        )
    return make_dataset("cifar10", x, y, classes, x_val=x_val, y_val=y_val, **kwargs)
