"""MNIST and Fashion-MNIST in their IDX files (raw or gzipped), read without torchvision."""

from __future__ import annotations

import gzip
import re
import struct
from pathlib import Path

import numpy as np

from optim_core.training.data.dataset import DataError, ImageDataset, make_dataset

MAX_IDX_BYTES = 1 << 30  # a decompressed IDX file larger than this is refused (gzip bombs)
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


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (raw or .gz): magic 0 0 <dtype> <ndim>, then ndim big-endian uint32 sizes, then data."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError) as error:
        raise DataError(f"{path.name}: cannot read IDX file ({error})") from None
    if len(raw) > MAX_IDX_BYTES:
        raise DataError(f"{path.name}: larger than {MAX_IDX_BYTES >> 20} MiB once decompressed")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path.name}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path.name}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    data = np.frombuffer(raw, dtype=_IDX_DTYPES[raw[2]], offset=header)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path.name}: header says {dims} but the file holds {data.size} values")
    return data.reshape(dims)


def _find_idx(root: Path, split: str, kind: str) -> Path | None:
    # train-images-idx3-ubyte, train-images.idx3-ubyte.gz, t10k-labels-idx1-ubyte, test-labels...
    rank = "idx3" if kind == "images" else "idx1"
    pattern = re.compile(rf"^{split}[-_.]{kind}[-_.]{rank}[-_.]ubyte(\.gz)?$", re.IGNORECASE)
    hits = sorted(p for p in root.rglob("*") if p.is_file() and pattern.match(p.name))
    return hits[0] if hits else None


def is_idx_dir(root: Path) -> bool:
    """Whether root holds (at any depth) a train-images IDX file."""
    return _find_idx(Path(root), "train", "images") is not None


def load_idx_dir(root: Path, **kwargs) -> ImageDataset:
    """MNIST-style IDX files under root; the t10k/test pair, when present, is the validation set."""
    root = Path(root)
    images, labels = _find_idx(root, "train", "images"), _find_idx(root, "train", "labels")
    if images is None or labels is None:
        raise DataError(f"{root}: no train-images-idx3-ubyte / train-labels-idx1-ubyte pair (raw or .gz)")
    x, y = read_idx(images), read_idx(labels)
    x_val = y_val = None
    test_images = _find_idx(root, "(t10k|test)", "images")
    test_labels = _find_idx(root, "(t10k|test)", "labels")
    if test_images is not None and test_labels is not None:
        x_val, y_val = read_idx(test_images)[:, None], read_idx(test_labels).astype(np.int64)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{root}: IDX images must be (N, H, W) and labels (N,), got {x.shape} and {y.shape}")
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
