"""AppTest page tests of the Training page's data: server folders only inside the data root, and uploads
that would have been tracebacks shown as clear, translated messages.

The page's worker pool is the process's one JobManager: the `runs_dir` fixture is the pattern of
tests/app/test_page_training.py (a temporary run store, shut down when the module ends).
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from optim_core.training.data.roots import DATA_ROOT_ENV
from tests.app.apptest import open_view
from tests.app.training_store import training_run_store


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-runs", unset=(DATA_ROOT_ENV,)) as path:
        yield path


def training(query: dict | None = None):
    return open_view("training", query, timeout=120)


def png(colour: int, size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size), colour, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def noise_png(seed: int, size: int = 32) -> bytes:
    """About 1 KiB that does not compress: uploads of a known size on disk."""
    buffer = io.BytesIO()
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def pets(root) -> None:
    for label, colour in (("cats", 30), ("dogs", 220)):
        (root / label).mkdir(parents=True)
        for i in range(5):
            (root / label / f"{i}.png").write_bytes(png(colour + i))


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(at, name: str, data: bytes):
    at.get("file_uploader")[0].set_value((name, data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---------------------------------------------------------------- server folders


def test_without_a_data_root_no_server_folder_is_offered_and_a_link_falls_back():
    at = training()
    assert at.selectbox(key="data").options == ["Digits (8×8, bundled)", "Upload a zip"]
    at = training({"data": "auto", "path": "/usr/share"})
    assert at.selectbox(key="data").value == "digits"
    warnings = " ".join(w.value for w in at.warning)
    assert "this server reads no folders" in warnings and "/usr/share" not in warnings
    assert "2 classes" not in " ".join(m.value for m in at.markdown)
    assert "data" not in at.query_params


def test_a_path_is_read_inside_the_data_root_and_refused_alike_outside(monkeypatch, tmp_path):
    root = tmp_path / "root"
    pets(root / "pets")
    (tmp_path / "outside").mkdir()
    (root / "escape").symlink_to(tmp_path / "outside")
    monkeypatch.setenv(DATA_ROOT_ENV, str(root))
    at = training({"data": "folder", "path": "pets", "subset": "200"})
    assert not at.error, [e.value for e in at.error]
    assert "2 classes" in " ".join(m.value for m in at.markdown)
    errors = set()
    for path in ("../outside", str(tmp_path / "outside"), "escape", "missing", "~", "/usr/share"):
        at = training({"data": "folder", "path": path})
        assert at.button(key="tr_start").disabled
        (error,) = [e.value for e in at.error]
        errors.add(error)
    assert errors == {"there is no readable dataset folder by that name in the data root."}


# ---------------------------------------------------------------- uploads that were tracebacks


def png_of(width: int, height: int) -> bytes:
    """A 1-bit PNG of width x height (its pixel data only a few rows: the header is what is checked)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = zlib.compress(bytes(1 + (width + 7) // 8) * 8)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_uploads_that_were_tracebacks_are_clear_messages():
    at = training({"data": "upload"})
    deep = zipped({"d/" * 1200 + "x.png": png(0)})  # was a RecursionError
    assert len(deep) < 8 << 10
    upload(at, "deep.zip", deep)
    (error,) = [e.value for e in at.error]
    assert "'deep.zip' cannot be used" in error and "nests folders 1200 deep; the limit is 12" in error
    big = png_of(20_000, 20_000)  # was Pillow's DecompressionBombError
    upload(at, "big.zip", zipped({"pics/a/big.png": big, "pics/b/0.png": png(1), "pics/b/1.png": png(2)}))
    (error,) = [e.value for e in at.error]
    assert "the image big.png has more pixels than the 4096x4096" in error
    # was a MemoryError (one row shared a million times: 3 GB as an array); stored, so the CIFAR check
    # is what refuses it, not the zip's ratio check
    rows = pickle.dumps({b"data": [[0] * 3072] * 1_000_000, b"labels": [0] * 1_000_000}, protocol=2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("cifar/data_batch_1", rows)
    upload(at, "rows.zip", buffer.getvalue())
    (error,) = [e.value for e in at.error]
    assert "'rows.zip' cannot be used" in error and "data\\_batch\\_1" in error and "3072" in error
    assert "upload" not in at.query_params  # nothing was kept


def test_a_refusal_is_translated(monkeypatch, tmp_path):
    # (a widget changed on a Chinese page trips AppTest over translated options: the link carries it all)
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path))
    at = training({"lang": "zh", "data": "folder", "path": "../etc"})
    (error,) = [e.value for e in at.error]
    assert error == "数据根目录中没有这个名字的可读数据集文件夹。"
    monkeypatch.delenv(DATA_ROOT_ENV)
    at = training({"lang": "zh", "data": "auto", "path": "x"})
    assert "本服务器不读取任何文件夹" in " ".join(w.value for w in at.warning)


def test_a_refused_upload_leaves_nothing_and_old_uploads_are_cleaned(monkeypatch, runs_dir):
    uploads = runs_dir / "uploads"
    at = training({"data": "upload"})
    upload(at, "one.zip", zipped({f"pets/cats/{i}.png": png(i) for i in range(3)}))  # one class: refused
    assert at.error and not [p for p in uploads.iterdir() if p.is_dir()]
    monkeypatch.setenv("OPTIM_LAB_UPLOAD_QUOTA_MB", "0.012")  # room for one upload of 8 KiB, not two
    digests = []
    for shade in (40, 90):
        entries = {
            f"pets/{k}/{i}.png": noise_png(shade + i + 10 * c) for c, k in enumerate("ab") for i in range(4)
        }
        upload(at, f"pets{shade}.zip", zipped(entries))
        assert not at.error, [e.value for e in at.error]
        digests.append(at.query_params["upload"])
    assert sorted(p.name for p in uploads.iterdir()) == [digests[1]]  # the older one went
