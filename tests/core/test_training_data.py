"""Dataset loaders and the zip upload, on tiny files written by the tests themselves."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from optim_core.training.data.builtin import load_digits_dataset
from optim_core.training.data.dataset import DataError, split_indices
from optim_core.training.data.idx import read_idx
from optim_core.training.data.load import detect_format, load_dataset
from optim_core.training.data.upload import extract_zip, load_uploaded_zip

torch.set_num_threads(1)


# ---------------------------------------------------------------- writers for the formats


def write_idx(path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)


def make_idx_dir(root, compress: bool, n_train=30, n_test=10, side=8):
    rng = np.random.default_rng(1)
    root.mkdir(parents=True, exist_ok=True)
    write_idx(root / "train-images-idx3-ubyte", rng.integers(0, 256, (n_train, side, side)), compress)
    write_idx(root / "train-labels-idx1-ubyte", np.arange(n_train) % 3, compress)
    write_idx(root / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, side, side)), compress)
    write_idx(root / "t10k-labels-idx1-ubyte", np.arange(n_test) % 3, compress)
    return root


def save_png(path, size=(10, 12), mode="RGB", value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(path)


def zip_bytes(entries: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # S_IFLNK | rwx: a symbolic link entry
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def png_bytes(value=0, size=(8, 8)) -> bytes:
    out = io.BytesIO()
    arr = np.random.default_rng(value).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(arr).save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------- digits and the split


def test_digits_shapes_normalization_and_fixed_split():
    data = load_digits_dataset()
    assert data.input_shape == (1, 8, 8) and data.n_classes == 10
    assert len(data.y_train) + len(data.y_val) == 1797
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    # normalized with the training split's statistics
    assert abs(float(data.x_train.mean())) < 1e-4 and abs(float(data.x_train.std()) - 1) < 1e-2
    again = load_digits_dataset()
    assert torch.equal(again.y_val, data.y_val) and torch.equal(again.x_val, data.x_val)


def test_digits_are_the_bundled_set():
    from optim_core.training.data.builtin import _digits_arrays

    images, labels = _digits_arrays()
    assert images.shape == (1797, 8, 8) and images.min() == 0 and images.max() == 16
    # scikit-learn's documented class sizes
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_split_is_seeded_disjoint_and_complete():
    train, val = split_indices(100, 0.2, seed=3)
    assert len(val) == 20 and len(train) == 80
    assert sorted(torch.cat([train, val]).tolist()) == list(range(100))
    assert torch.equal(split_indices(100, 0.2, seed=3)[1], val)
    assert not torch.equal(split_indices(100, 0.2, seed=4)[1], val)
    with pytest.raises(DataError, match="between 0 and 1"):
        split_indices(10, 1.5)


def test_max_samples_caps_each_split():
    data = load_digits_dataset(max_samples=100)
    assert len(data.y_train) == 100 and len(data.y_val) == 100


# ---------------------------------------------------------------- IDX


@pytest.mark.parametrize("compress", [False, True])
def test_idx_raw_and_gzip(tmp_path, compress):
    root = make_idx_dir(tmp_path / "mnist", compress)
    assert detect_format(root) == "idx"
    data = load_dataset("auto", root)
    assert data.name == "mnist" and data.input_shape == (1, 8, 8)
    assert len(data.y_train) == 30 and len(data.y_val) == 10  # t10k is the validation set
    assert data.classes == ("0", "1", "2")
    assert data.y_val.tolist() == [i % 3 for i in range(10)]


def test_idx_fashion_names_and_header_checks(tmp_path):
    root = make_idx_dir(tmp_path / "fashion-mnist", compress=True)
    assert load_dataset("idx", root).classes[:3] == ("T-shirt/top", "Trouser", "Pullover")
    bad = tmp_path / "bad-idx"
    bad.write_bytes(bytes([1, 2, 8, 1, 0, 0, 0, 5]))
    with pytest.raises(DataError, match="magic"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + bytes(4))
    with pytest.raises(DataError, match="holds 4 values"):
        read_idx(short)


# ---------------------------------------------------------------- CIFAR-10 python batches


def write_cifar(root, n=12):
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("data_batch_1", "data_batch_2", "test_batch"):
        batch = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": [i % 4 for i in range(n)],
        }
        (root / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [b"plane", b"car", b"bird", b"cat"]
    (root / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}, protocol=2))
    return root


def test_cifar_batches(tmp_path):
    root = write_cifar(tmp_path / "cifar-10-batches-py")
    assert detect_format(tmp_path) == "cifar10"
    data = load_dataset("auto", tmp_path)  # a lone wrapper folder is looked into
    assert data.input_shape == (3, 32, 32)
    assert len(data.y_train) == 24 and len(data.y_val) == 12
    assert data.classes == ("plane", "car", "bird", "cat")
    assert root.exists()


def test_cifar_pickle_that_would_run_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())

    root = tmp_path / "cifar"
    root.mkdir()
    (root / "data_batch_1").write_bytes(pickle.dumps({b"data": Evil(), b"labels": [0]}, protocol=2))
    with pytest.raises(DataError, match="refusing to unpickle"):
        load_dataset("cifar10", root)


# ---------------------------------------------------------------- image folders


def test_image_folder_native_size_resize_and_skips(tmp_path):
    root = tmp_path / "pets"
    for c, cls in enumerate(("cat", "dog", "emu")):
        for i in range(4):
            save_png(root / cls / f"{i}.png", value=10 * c + i)
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "dog" / "broken.png").write_bytes(b"not really a png")
    data = load_dataset("auto", root)
    assert data.classes == ("cat", "dog", "emu")
    assert data.input_shape == (3, 12, 10)  # PIL (width 10, height 12) -> C, H, W
    assert len(data.y_train) + len(data.y_val) == 12
    assert data.skipped == 2  # the text file and the unreadable png
    resized = load_dataset("folder", root, image_size=6)
    assert resized.input_shape == (3, 6, 6)


def test_image_folder_grayscale_and_mixed_sizes(tmp_path):
    root = tmp_path / "gray"
    for c in range(2):
        for i in range(3):
            save_png(root / f"c{c}" / f"{i}.png", size=(8 + i, 8), mode="L", value=i + c)
    data = load_dataset("folder", root)
    assert data.input_shape == (1, 32, 32)  # sizes differ: DEFAULT_IMAGE_SIZE, grayscale kept


def test_food11_labels_from_file_names(tmp_path):
    root = tmp_path / "food11"
    for split, n in (("training", 6), ("validation", 3)):
        for i in range(n):
            save_png(root / split / f"{i % 3}_{i}.jpg", value=i)  # real JPEGs: the draft() path
    (root / "training" / "README.md").write_text("skip me")
    assert detect_format(root) == "food11"
    data = load_dataset("auto", root)
    assert len(data.y_train) == 6 and len(data.y_val) == 3
    assert data.y_val.tolist() == [0, 1, 2] and data.classes == ("0", "1", "2")
    assert data.skipped == 1


def test_bad_paths_and_names_raise_data_errors(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        load_dataset("auto", tmp_path / "missing")
    with pytest.raises(DataError, match="valid choices"):
        load_dataset("imagenet")
    with pytest.raises(DataError, match="needs a path"):
        load_dataset("folder")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="found no IDX files"):
        load_dataset("auto", tmp_path / "empty")
    assert issubclass(DataError, ValueError)


# ---------------------------------------------------------------- zip upload


def test_zip_upload_extracts_loads_and_counts_skipped(tmp_path):
    entries = {f"shapes/{cls}/{i}.png": png_bytes(10 * c + i) for c, cls in enumerate("ab") for i in range(3)}
    entries["shapes/readme.txt"] = b"hello"
    entries["__MACOSX/shapes/._a"] = b"junk"
    data, result = load_uploaded_zip(zip_bytes(entries), tmp_path / "up")
    assert result.root == tmp_path / "up" / "shapes"
    assert result.n_files == 6 and result.n_skipped == 2
    assert data.classes == ("a", "b") and data.input_shape == (3, 8, 8)


@pytest.mark.parametrize("name", ["../evil.png", "ok/../../evil.png", "/tmp/evil.png", "C:/evil.png"])
def test_zip_path_traversal_is_refused(tmp_path, name):
    blob = zip_bytes({"fine/a.png": png_bytes(), name: png_bytes(1)})
    with pytest.raises(DataError, match="refusing the archive"):
        extract_zip(blob, tmp_path / "dest")
    assert not (tmp_path / "evil.png").exists()
    assert not (tmp_path / "dest" / "fine" / "a.png").exists()  # nothing is written at all


def test_zip_symlink_is_refused(tmp_path):
    with pytest.raises(DataError, match="symbolic link"):
        extract_zip(zip_bytes({"a/1.png": png_bytes()}, symlinks=("a/link.png",)), tmp_path / "dest")


def test_zip_bomb_and_file_count_limits(tmp_path):
    bomb = zip_bytes({"a/huge.png": bytes(4 << 20)})  # 4 MiB of zeros, a few KiB compressed
    assert len(bomb) < 64 << 10
    with pytest.raises(DataError, match="limit is 1.0 MiB"):
        extract_zip(bomb, tmp_path / "d1", max_total_bytes=1 << 20)
    many = zip_bytes({f"a/{i}.png": b"x" for i in range(12)})
    with pytest.raises(DataError, match="limit is 10"):
        extract_zip(many, tmp_path / "d2", max_files=10)
    with pytest.raises(DataError, match="not a zip"):
        extract_zip(b"plain bytes", tmp_path / "d3")


# ---------------------------------------------------------------- server folders: data root, bounded walks


def test_server_folders_are_off_without_a_data_root(monkeypatch, tmp_path):
    from optim_core.training.data.roots import DATA_ROOT_ENV, data_root, resolve_data_path

    monkeypatch.delenv(DATA_ROOT_ENV, raising=False)
    assert data_root() is None
    with pytest.raises(DataError) as refused:
        resolve_data_path(str(tmp_path))
    assert refused.value.reason == "folders_off"
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path))
    assert data_root() == tmp_path.resolve()


def test_a_data_path_resolves_inside_the_root_or_is_refused_alike(tmp_path):
    from optim_core.training.data.roots import resolve_data_path

    root, outside = tmp_path / "root", tmp_path / "outside"
    make_idx_dir(root / "mnist", compress=True)
    (outside / "secret").mkdir(parents=True)
    (root / "inner").symlink_to(root / "mnist")
    (root / "escape").symlink_to(outside / "secret")
    (root / "a-file").write_bytes(b"x")
    assert resolve_data_path("mnist", root) == (root / "mnist").resolve()
    assert resolve_data_path(" inner ", root) == (root / "mnist").resolve()  # a link that stays inside
    assert resolve_data_path(str(root / "mnist"), root) == (root / "mnist").resolve()
    messages = set()
    for text in (
        "../outside/secret",
        str(outside / "secret"),
        "escape",
        "missing",
        "a-file",
        "~",
        "/usr/share",
        "mnist/\0",
    ):
        with pytest.raises(DataError) as refused:
            resolve_data_path(text, root)
        assert refused.value.reason == "folder_refused"
        messages.add(str(refused.value))
    assert len(messages) == 1 and "outside" not in messages.pop()  # one text: nothing about the disk


def test_walking_a_folder_is_bounded(tmp_path):
    from optim_core.training.data.walk import list_files

    for i in range(20):
        save_png(tmp_path / "wide" / f"c{i % 2}" / f"{i}.png", size=(4, 4), value=i)
    assert len(list_files(tmp_path / "wide")) == 20
    with pytest.raises(DataError, match="more than 10 files") as refused:
        list_files(tmp_path / "wide", max_files=10)
    assert refused.value.reason == "walk_limit"
    with pytest.raises(DataError, match="s to list"):
        list_files(tmp_path / "wide", max_seconds=0.0)
    deep = tmp_path / "deep"
    (deep / "a" / "b" / "c").mkdir(parents=True)
    with pytest.raises(DataError, match="nested deeper than 2"):
        list_files(deep, max_depth=2)
    # a link out of the folder is not followed
    (tmp_path / "wide" / "c0" / "out").symlink_to(tmp_path / "deep")
    (tmp_path / "wide" / "c1" / "x.png").symlink_to(tmp_path / "wide" / "c0" / "0.png")
    assert len(list_files(tmp_path / "wide")) == 21


def test_a_folder_nested_1200_deep_is_a_data_error_not_a_recursion_error(tmp_path):
    folder = tmp_path / "data"
    chain = [folder]
    for _ in range(1200):  # one at a time: os.makedirs and shutil.rmtree recurse
        chain.append(chain[-1] / "d")
    for path in chain:
        path.mkdir()
    try:
        with pytest.raises(DataError) as refused:
            load_dataset("auto", folder)
        assert refused.value.reason == "walk_limit"
    finally:
        for path in reversed(chain):
            path.rmdir()
