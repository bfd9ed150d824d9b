"""Image files: torchvision's ImageFolder layout, and the HW3 food-11 layout (label in the file name).

Images are decoded with Pillow into one uint8 array. Grayscale stays one channel only when every
image is grayscale; sizes are unified (see `decode_images`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from optim_core.training.data.dataset import DataError, ImageDataset, check_bytes, make_dataset
from optim_core.training.data.walk import list_files

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# Folder images whose sizes differ, or whose longer side passes MAX_NATIVE_SIDE, are resized to this.
DEFAULT_IMAGE_SIZE = 32
MAX_NATIVE_SIDE = 64
# Pixels one image may declare (its header is read before it is decoded): 4096 x 4096.
MAX_IMAGE_PIXELS = 1 << 24
# The HW3 food-11 class names, for labels 0..10.
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


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def decode_images(paths: list[Path], image_size: int | None) -> tuple[np.ndarray, list[int], int]:
    """Decode images to one (N, C, H, W) uint8 array; returns (array, indices kept, number skipped).

    Grayscale stays 1 channel only if every image is grayscale, else all become RGB. Sizes: image_size
    if given; else the native size when all agree and fit MAX_NATIVE_SIDE; else DEFAULT_IMAGE_SIZE.
    """
    from PIL import Image, UnidentifiedImageError

    headers, kept, skipped = [], [], 0
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as img:  # reads the header only
                _check_pixels(path, img.size)
                headers.append((img.mode, img.size))
                kept.append(i)
        except Image.DecompressionBombError:  # Pillow's own limit, passed twice over
            _check_pixels(path, None)
        except (UnidentifiedImageError, OSError):
            skipped += 1
    if not kept:
        raise DataError("no readable images (png, jpg, bmp, gif, webp, tif)", reason="no_images")
    gray = all(mode in ("1", "L", "I", "I;16", "F") for mode, _ in headers)
    sizes = {size for _, size in headers}
    if image_size is not None:
        size = (int(image_size), int(image_size))
    elif len(sizes) == 1 and max(next(iter(sizes))) <= MAX_NATIVE_SIDE:
        size = next(iter(sizes))
    else:
        size = (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE)
    shape = (len(kept), 1 if gray else 3, size[1], size[0])
    check_bytes(f"{len(kept):,} images of {size[0]}x{size[1]}", int(np.prod(shape)))
    out = np.empty(shape, dtype=np.uint8)
    for row, i in enumerate(kept):
        try:
            with Image.open(paths[i]) as opened:
                opened.draft("L" if gray else "RGB", size)  # JPEG: decode at a reduced scale, far quicker
                image = opened.convert("L" if gray else "RGB")
                if image.size != size:
                    image = image.resize(size, Image.Resampling.BILINEAR)
                pixels = np.asarray(image, dtype=np.uint8)
        except (OSError, ValueError) as error:  # a header that promised more than the file holds
            raise DataError(
                f"{paths[i].name}: cannot be decoded ({error})", reason="image_decode", name=paths[i].name
            ) from None
        out[row] = pixels[None] if gray else pixels.transpose(2, 0, 1)
    return out, kept, skipped


def _check_pixels(path: Path, size: tuple[int, int] | None) -> None:
    """DataError when an image declares more than MAX_IMAGE_PIXELS (size None: Pillow found it so)."""
    if size is None or size[0] * size[1] > MAX_IMAGE_PIXELS:
        side = int(MAX_IMAGE_PIXELS**0.5)
        declared = f"{size[0]}x{size[1]}" if size else "its size"
        raise DataError(
            f"{path.name}: {declared} is more than the {side}x{side} pixels an image may have",
            reason="image_pixels",
            name=path.name,
            limit=f"{side}x{side}",
        )


def _by_class(root: Path, files: list[Path]) -> dict[str, list[Path]]:
    """The files under each top folder of root (hidden and __ folders left out), by folder name."""
    groups: dict[str, list[Path]] = {}
    for p in files:
        parts = p.relative_to(root).parts
        if len(parts) > 1 and not parts[0].startswith((".", "__")):
            groups.setdefault(parts[0], []).append(p)
    return dict(sorted(groups.items()))


def is_image_folder(root: Path, files: list[Path] | None = None) -> bool:
    """Whether some sub-folder of root holds an image (at any depth): the ImageFolder layout."""
    root = Path(root)
    groups = _by_class(root, list_files(root) if files is None else files)
    return any(is_image(p) for group in groups.values() for p in group)


def load_image_folder(
    root: Path, image_size: int | None = None, files: list[Path] | None = None, **kwargs
) -> ImageDataset:
    """torchvision's ImageFolder layout: root/<class name>/**/<image>; classes sorted by name."""
    root = Path(root)
    groups = _by_class(root, list_files(root) if files is None else files)
    files = []
    labels: list[int] = []
    classes: list[str] = []
    for name, group in groups.items():
        images = sorted(p for p in group if is_image(p))
        if images:
            labels += [len(classes)] * len(images)
            classes.append(name)
            files += images
    if len(classes) < 2:
        raise DataError(
            f"{root}: an image folder needs at least two class folders with images, found {len(classes)}",
            reason="classes",
            folder=root.name,
            found=len(classes),
        )
    skipped = sum(1 for group in groups.values() for p in group if not is_image(p))
    x, kept, bad = decode_images(files, image_size)
    y = np.asarray(labels, dtype=np.int64)[kept]
    return make_dataset(root.name or "images", x, y, tuple(classes), skipped=skipped + bad, **kwargs)


_FOOD11_TRAIN, _FOOD11_VAL = ("training", "train"), ("validation", "valid", "val")
_LABEL_PREFIX = re.compile(r"^(\d+)_")


def _food11_split(folder: Path) -> tuple[list[Path], list[int], int]:
    files, labels, skipped = [], [], 0
    for p in sorted(folder.iterdir()):
        match = _LABEL_PREFIX.match(p.name)
        if is_image(p) and match:
            files.append(p)
            labels.append(int(match.group(1)))
        elif p.is_file():
            skipped += 1
    return files, labels, skipped


def _subdir(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_dir()), None)


def is_food11_dir(root: Path) -> bool:
    """Whether root has training/ and validation/ folders, and the first holds <label>_<n> files."""
    root = Path(root)
    train_dir, val_dir = _subdir(root, _FOOD11_TRAIN), _subdir(root, _FOOD11_VAL)
    return bool(train_dir and val_dir and any(_LABEL_PREFIX.match(p.name) for p in train_dir.iterdir()))


def load_food11(root: Path, image_size: int | None = None, **kwargs) -> ImageDataset:
    """The HW3 food-11 layout: training/ and validation/ hold <label>_<n>.jpg (label = the prefix)."""
    root = Path(root)
    train_dir, val_dir = _subdir(root, _FOOD11_TRAIN), _subdir(root, _FOOD11_VAL)
    if train_dir is None or val_dir is None:
        raise DataError(
            f"{root}: the HW3 layout needs training/ (or train/) and validation/ (or valid/)",
            reason="hw3_layout",
            folder=root.name,
        )
    train_files, train_labels, skip_a = _food11_split(train_dir)
    val_files, val_labels, skip_b = _food11_split(val_dir)
    if not train_files or not val_files:
        raise DataError(
            f"{root}: no images named <label>_<n>.jpg in {train_dir.name}/ and {val_dir.name}/",
            reason="hw3_names",
            train=train_dir.name,
            val=val_dir.name,
        )
    x_all, kept, bad = decode_images(train_files + val_files, image_size)
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
