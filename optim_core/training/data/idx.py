"""MNIST and Fashion-MNIST in their IDX files (raw or gzipped), read without torchvision."""

from __future__ import annotations

import gzip
import math
import re
import struct
import zlib
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

# Class names used when the path or the file names say "fashion" (IDX files hold only label numbers).
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path, max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """One IDX file (raw or .gz): magic 0 0 <dtype> <ndim>, then ndim big-endian uint32 sizes, then data.

    The header's sizes are checked against max_bytes before the data is read, and only that many bytes
    are read (a gzip stream is never decompressed further than the header declares).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            magic = f.read(4)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
                raise DataError(
                    f"{path.name}: not an IDX file (bad magic number)", reason="idx_magic", name=path.name
                )
            ndim = magic[3]
            sizes = f.read(4 * ndim)
            if ndim == 0 or len(sizes) < 4 * ndim:
                raise DataError(f"{path.name}: truncated IDX header", reason="idx_truncated", name=path.name)
            dims = struct.unpack(f">{ndim}I", sizes)
            dtype = np.dtype(_IDX_DTYPES[magic[2]])
            n_bytes = math.prod(dims) * dtype.itemsize
            check_bytes(path.name, n_bytes, max_bytes)
            raw = bytearray(n_bytes)  # read into, in chunks: never held twice
            view, got = memoryview(raw), 0
            while got < n_bytes and (n := f.readinto(view[got : got + (16 << 20)])):
                got += n
            longer = bool(f.read(1))
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"{path.name}: cannot read IDX file ({error})", reason="idx_unreadable", name=path.name
        ) from None
    if got != n_bytes or longer:
        held = f"{got // dtype.itemsize}" if not longer else "more"
        raise DataError(
            f"{path.name}: header says {dims} but the file holds {held} values",
            reason="idx_size",
            name=path.name,
        )
    return np.frombuffer(raw, dtype=dtype).reshape(dims)


def _find_idx(files: list[Path], split: str, kind: str) -> Path | None:
    # train-images-idx3-ubyte, train-images.idx3-ubyte.gz, t10k-labels-idx1-ubyte, test-labels...
    rank = "idx3" if kind == "images" else "idx1"
    pattern = re.compile(rf"^{split}[-_.]{kind}[-_.]{rank}[-_.]ubyte(\.gz)?$", re.IGNORECASE)
    hits = sorted(p for p in files if pattern.match(p.name))
    return hits[0] if hits else None


def is_idx_dir(root: Path, files: list[Path] | None = None) -> bool:
    """Whether root holds (at any depth) a train-images IDX file."""
    return _find_idx(list_files(root) if files is None else files, "train", "images") is not None


def load_idx_dir(root: Path, files: list[Path] | None = None, **kwargs) -> ImageDataset:
    """MNIST-style IDX files under root; the t10k/test pair, when present, is the validation set."""
    root = Path(root)
    files = list_files(root) if files is None else files
    images, labels = _find_idx(files, "train", "images"), _find_idx(files, "train", "labels")
    if images is None or labels is None:
        raise DataError(
            f"{root}: no train-images-idx3-ubyte / train-labels-idx1-ubyte pair (raw or .gz)",
            reason="idx_pair",
            folder=root.name,
        )
    x, y = read_idx(images), read_idx(labels)
    x_val = y_val = None
    test_images = _find_idx(files, "(t10k|test)", "images")
    test_labels = _find_idx(files, "(t10k|test)", "labels")
    if test_images is not None and test_labels is not None:
        x_val, y_val = read_idx(test_images)[:, None], read_idx(test_labels).astype(np.int64)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(
            f"{root}: IDX images must be (N, H, W) and labels (N,), got {x.shape} and {y.shape}",
            reason="idx_shape",
            folder=root.name,
            images=str(x.shape),
            labels=str(y.shape),
        )
    fashion = "fashion" in str(root).lower() or "fashion" in str(images).lower()
    n_classes = int(max(y.max(), -1 if y_val is None else y_val.max())) + 1
    classes = FASHION_CLASSES if fashion and n_classes <= 10 else tuple(str(c) for c in range(n_classes))
    return make_dataset(
        "fashion-mnist" if fashion else "mnist",
        x[:, None],
        y.astype(np.int64),
        classes,
        x_val=x_val,
        y_val=y_val,
        **kwargs,
    )
