"""Image datasets as tensors: digits (bundled), MNIST/Fashion-MNIST IDX, CIFAR-10 batches, image folders.

Small sets live whole on the training device as tensors, so a batch is one index operation and no
DataLoader (with its per-sample collate) sits in the loop. Every loader returns an `ImageDataset`:
images (N, C, H, W) float32 normalized with the training split's per-channel mean/std, labels (N,)
int64, class names, and a train/validation split that does not depend on the run's seed (the same
validation images for every run, so runs can be compared).

Uploaded zips are unpacked by `upload.extract_zip`; `load_dataset` reads the folder it returns.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import pickle
import re
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

DATASET_SOURCES = ("digits", "synthetic", "auto", "idx", "cifar10", "folder", "food11")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# Folder images whose sizes differ, or whose longer side passes MAX_NATIVE_SIDE, are resized to this.
DEFAULT_IMAGE_SIZE = 32
MAX_NATIVE_SIDE = 64
SPLIT_SEED = 0  # fixed: the validation set must not move when the run's seed does
MAX_IDX_BYTES = 1 << 30  # a decompressed IDX file larger than this is refused (gzip bombs)

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
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FOOD11_CLASSES = (
    "Bread",
    "Dairy product",
    "Dessert",
    "Egg",
    "Fried food",
    "Meat",
    "Noodles/Pasta",
    "Rice",
    "Seafood",
    "Soup",
    "Vegetable/Fruit",
)


class DataError(ValueError):
    """A dataset path, file or archive that cannot be read; the message says what was expected."""


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
        return tuple(self.x_train.shape[1:])

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
        raise DataError(f"{n} images are too few to split into training and validation")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[n_val:], order[:n_val]


def _cap(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if limit is None or len(y) <= limit:
        return x, y
    keep = np.sort(np.random.default_rng(seed).permutation(len(y))[:limit])
    return x[keep], y[keep]


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
    if x_val is None:
        train, val = split_indices(len(y), val_fraction)
        x, y, x_val, y_val = x[train.numpy()], y[train.numpy()], x[val.numpy()], y[val.numpy()]
    x, y = _cap(x, y, max_samples, SPLIT_SEED)
    x_val, y_val = _cap(x_val, y_val, max_samples, SPLIT_SEED + 1)
    # np.array copies: IDX arrays are read-only views of the file's bytes
    x = torch.from_numpy(np.array(x, dtype=np.float32))
    x_val = torch.from_numpy(np.array(x_val, dtype=np.float32))
    # Channel statistics of the training split only: the validation set stays unseen.
    mean = x.mean(dim=(0, 2, 3), dtype=torch.float64)
    std = x.to(torch.float64).std(dim=(0, 2, 3)).clamp_min(1e-8)
    shift, scale = mean.float().view(1, -1, 1, 1), std.float().view(1, -1, 1, 1)
    return ImageDataset(
        name=name,
        x_train=(x - shift) / scale,
        y_train=torch.tensor(y, dtype=torch.int64),
        x_val=(x_val - shift) / scale,
        y_val=torch.tensor(y_val, dtype=torch.int64),
        classes=tuple(classes),
        mean=tuple(mean.tolist()),
        std=tuple(std.tolist()),
        skipped=skipped,
    )


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


# ---------------------------------------------------------------- IDX (MNIST, Fashion-MNIST)

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


# ---------------------------------------------------------------- CIFAR-10 "python" batches


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
    classes = CIFAR10_CLASSES
    meta = sorted(root.rglob("batches.meta"))
    if meta:
        names = read_cifar_batch(meta[0]).get(b"label_names")
        if names:
            classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    if int(y.max()) >= len(classes):
        raise DataError(f"{root}: labels reach {int(y.max())} but there are {len(classes)} class names")
    return make_dataset("cifar10", x, y, classes, x_val=x_val, y_val=y_val, **kwargs)


# ---------------------------------------------------------------- image files (ImageFolder, HW3 food-11)


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def _decode_images(paths: list[Path], image_size: int | None) -> tuple[np.ndarray, list[int], int]:
    """Decode images to one (N, C, H, W) uint8 array; returns (array, indices kept, number skipped).

    Grayscale stays 1 channel only if every image is grayscale, else all become RGB. Sizes: image_size
    if given; else the native size when all agree and fit MAX_NATIVE_SIDE; else DEFAULT_IMAGE_SIZE.
    """
    from PIL import Image, UnidentifiedImageError

    headers, kept, skipped = [], [], 0
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as img:  # reads the header only
                headers.append((img.mode, img.size))
                kept.append(i)
        except (UnidentifiedImageError, OSError):
            skipped += 1
    if not kept:
        raise DataError("no readable images (png, jpg, bmp, gif, webp, tif)")
    gray = all(mode in ("1", "L", "I", "I;16", "F") for mode, _ in headers)
    sizes = {size for _, size in headers}
    if image_size is not None:
        size = (int(image_size), int(image_size))
    elif len(sizes) == 1 and max(next(iter(sizes))) <= MAX_NATIVE_SIDE:
        size = next(iter(sizes))
    else:
        size = (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE)
    out = np.empty((len(kept), 1 if gray else 3, size[1], size[0]), dtype=np.uint8)
    for row, i in enumerate(kept):
        with Image.open(paths[i]) as img:
            img.draft("L" if gray else "RGB", size)  # JPEG: decode at a reduced scale, far quicker
            img = img.convert("L" if gray else "RGB")
            if img.size != size:
                img = img.resize(size, Image.Resampling.BILINEAR)
            pixels = np.asarray(img, dtype=np.uint8)
        out[row] = pixels[None] if gray else pixels.transpose(2, 0, 1)
    return out, kept, skipped


def load_image_folder(root: Path, image_size: int | None = None, **kwargs) -> ImageDataset:
    """torchvision's ImageFolder layout: root/<class name>/**/<image>; classes sorted by name."""
    root = Path(root)
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "__")))
    files, labels, classes = [], [], []
    for d in class_dirs:
        images = sorted(p for p in d.rglob("*") if _is_image(p))
        if images:
            labels += [len(classes)] * len(images)
            classes.append(d.name)
            files += images
    if len(classes) < 2:
        raise DataError(
            f"{root}: an image folder needs at least two class folders with images, found {len(classes)}"
        )
    skipped = sum(1 for d in class_dirs for p in d.rglob("*") if p.is_file() and not _is_image(p))
    x, kept, bad = _decode_images(files, image_size)
    y = np.asarray(labels, dtype=np.int64)[kept]
    return make_dataset(root.name or "images", x, y, tuple(classes), skipped=skipped + bad, **kwargs)


_FOOD11_TRAIN, _FOOD11_VAL = ("training", "train"), ("validation", "valid", "val")
_LABEL_PREFIX = re.compile(r"^(\d+)_")


def _food11_split(folder: Path) -> tuple[list[Path], list[int], int]:
    files, labels, skipped = [], [], 0
    for p in sorted(folder.iterdir()):
        match = _LABEL_PREFIX.match(p.name)
        if _is_image(p) and match:
            files.append(p)
            labels.append(int(match.group(1)))
        elif p.is_file():
            skipped += 1
    return files, labels, skipped


def _subdir(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_dir()), None)


def load_food11(root: Path, image_size: int | None = None, **kwargs) -> ImageDataset:
    """The HW3 food-11 layout: training/ and validation/ hold <label>_<n>.jpg (label = the prefix)."""
    root = Path(root)
    train_dir, val_dir = _subdir(root, _FOOD11_TRAIN), _subdir(root, _FOOD11_VAL)
    if train_dir is None or val_dir is None:
        raise DataError(f"{root}: the HW3 layout needs training/ (or train/) and validation/ (or valid/)")
    train_files, train_labels, skip_a = _food11_split(train_dir)
    val_files, val_labels, skip_b = _food11_split(val_dir)
    if not train_files or not val_files:
        raise DataError(f"{root}: no images named <label>_<n>.jpg in {train_dir.name}/ and {val_dir.name}/")
    x_all, kept, bad = _decode_images(train_files + val_files, image_size)
    y_all = np.asarray(train_labels + val_labels, dtype=np.int64)[kept]
    is_train = np.asarray(kept) < len(train_files)
    n_classes = int(y_all.max()) + 1
    classes = FOOD11_CLASSES if n_classes == len(FOOD11_CLASSES) else tuple(str(c) for c in range(n_classes))
    return make_dataset(
        "food11",
        x_all[is_train],
        y_all[is_train],
        classes,
        x_val=x_all[~is_train],
        y_val=y_all[~is_train],
        skipped=skip_a + skip_b + bad,
        **kwargs,
    )


# ---------------------------------------------------------------- one entry point


def detect_format(root: Path) -> str:
    """'idx', 'cifar10', 'food11' or 'folder', from what the directory holds."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory")
    if _find_idx(root, "train", "images") is not None:
        return "idx"
    if any(root.rglob("data_batch_[0-9]*")):
        return "cifar10"
    train_dir, val_dir = _subdir(root, _FOOD11_TRAIN), _subdir(root, _FOOD11_VAL)
    if train_dir and val_dir and any(_LABEL_PREFIX.match(p.name) for p in train_dir.iterdir()):
        return "food11"
    if any(d.is_dir() and any(_is_image(p) for p in d.rglob("*")) for d in root.iterdir()):
        return "folder"
    raise DataError(
        f"{root}: found no IDX files, CIFAR-10 batches, HW3 training/validation folders "
        "or class folders of images"
    )


def _single_child(root: Path) -> Path:
    # A zip of "mnist/" unpacks to root/mnist/...: look inside a lone wrapper folder.
    entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def load_dataset(
    source: str = "digits",
    path: str | Path | None = None,
    *,
    image_size: int | None = None,
    val_fraction: float = 0.2,
    max_samples: int | None = None,
) -> ImageDataset:
    """Load by name: 'digits' and 'synthetic' need no path; 'auto' detects the format of `path`."""
    if source not in DATASET_SOURCES:
        raise DataError(f"unknown dataset source {source!r}; valid choices: {', '.join(DATASET_SOURCES)}")
    if source == "digits":
        return load_digits_dataset(val_fraction=val_fraction, max_samples=max_samples)
    if source == "synthetic":
        return load_synthetic(val_fraction=val_fraction)
    if path is None:
        raise DataError(f"dataset source {source!r} needs a path")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such directory")
    root = _single_child(root)
    kind = detect_format(root) if source == "auto" else source
    common = {"val_fraction": val_fraction, "max_samples": max_samples}
    if kind == "idx":
        return load_idx_dir(root, **common)
    if kind == "cifar10":
        return load_cifar10_dir(root, **common)
    if kind == "food11":
        return load_food11(root, image_size=image_size, **common)
    return load_image_folder(root, image_size=image_size, **common)
