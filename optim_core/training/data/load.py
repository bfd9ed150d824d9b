"""load_dataset: the one entry point, by source name or by detecting the format of a folder.

Uploaded zips are unpacked by `upload.extract_zip`; `load_dataset` reads the folder it returns.
"""

from __future__ import annotations

from pathlib import Path

from optim_core.training.data.builtin import load_digits_dataset, load_synthetic
from optim_core.training.data.cifar import is_cifar_dir, load_cifar10_dir
from optim_core.training.data.dataset import DataError, ImageDataset
from optim_core.training.data.idx import is_idx_dir, load_idx_dir
from optim_core.training.data.images import is_food11_dir, is_image_folder, load_food11, load_image_folder
from optim_core.training.data.walk import list_files

DATASET_SOURCES = ("digits", "synthetic", "auto", "idx", "cifar10", "folder", "food11")


def detect_format(root: Path, files: list[Path] | None = None) -> str:
    """'idx', 'cifar10', 'food11' or 'folder', from what the directory holds (files: list_files(root))."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory", reason="no_folder", folder=root.name)
    files = list_files(root) if files is None else files
    if is_idx_dir(root, files):
        return "idx"
    if is_cifar_dir(root, files):
        return "cifar10"
    if is_food11_dir(root):
        return "food11"
    if is_image_folder(root, files):
        return "folder"
    raise DataError(
        f"{root}: found no IDX files, CIFAR-10 batches, HW3 training/validation folders "
        "or class folders of images",
        reason="no_format",
        folder=root.name,
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
    """Load by name: 'digits' and 'synthetic' need no path; 'auto' detects the format of `path`.

    Whatever the files declare, the answer is an ImageDataset or a DataError: the limits of each format
    refuse a bomb before it is allocated, and a stack or memory overflow left is reported, not raised.
    """
    if source not in DATASET_SOURCES:
        raise DataError(f"unknown dataset source {source!r}; valid choices: {', '.join(DATASET_SOURCES)}")
    if source == "digits":
        return load_digits_dataset(val_fraction=val_fraction, max_samples=max_samples)
    if source == "synthetic":
        return load_synthetic(val_fraction=val_fraction)
    if path is None:
        raise DataError(f"dataset source {source!r} needs a path")
    try:
        return _load_folder(source, Path(path).expanduser(), image_size, val_fraction, max_samples)
    except RecursionError:
        raise DataError("the dataset is nested too deeply to read", reason="recursion") from None
    except MemoryError:
        raise DataError("the dataset asks for more memory than there is", reason="memory") from None


def _load_folder(
    source: str, root: Path, image_size: int | None, val_fraction: float, max_samples: int | None
) -> ImageDataset:
    if not root.is_dir():
        raise DataError(f"{root}: no such directory", reason="no_folder", folder=root.name)
    root = _single_child(root)
    files = list_files(root)
    kind = detect_format(root, files) if source == "auto" else source
    common = {"val_fraction": val_fraction, "max_samples": max_samples}
    if kind == "idx":
        return load_idx_dir(root, files, **common)
    if kind == "cifar10":
        return load_cifar10_dir(root, files, **common)
    if kind == "food11":
        return load_food11(root, image_size=image_size, **common)
    return load_image_folder(root, image_size, files, **common)


def dataset_summary(
    source: str,
    path: str | None,
    image_size: int | None = None,
    val_fraction: float = 0.2,
    max_samples: int | None = None,
) -> dict:
    """What a page shows about a dataset before training on it: its name, input shape, classes, split
    sizes and skipped files (DataError as load_dataset raises it). Plain values, so a worker process can
    compute it: a server folder or an upload is read whole (up to the formats' limits, some hundreds of
    MB of float arrays), which belongs in a process that ends, not in the server's."""
    data = load_dataset(
        source, path, image_size=image_size, val_fraction=val_fraction, max_samples=max_samples
    )
    return {
        "name": data.name,
        "shape": tuple(data.input_shape),
        "classes": data.n_classes,
        "n_train": len(data.y_train),
        "n_val": len(data.y_val),
        "skipped": data.skipped,
    }
