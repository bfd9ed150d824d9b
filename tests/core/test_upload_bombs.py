"""Uploads built to exhaust the server: each is refused (or read) within bounds, with a DataError.

Every bomb is built small in a temporary folder and loaded the way the page loads an upload
(`load_uploaded_zip`: unpack, then read) in a child process whose address space is capped (1.5 GiB
above what its imports take), so a bomb that still went off ends as a MemoryError there, not here. The
child reports the error, how far its peak resident memory (ru_maxrss) rose and the peak of its traced
allocations (tracemalloc); the test also measures what is left on disk.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from optim_core.training.data.dataset import DataError
from optim_core.training.data.images import decode_images
from optim_core.training.data.upload import extract_zip

MEMORY_BUDGET_MB = 300  # what one upload may add to the server's memory
DISK_BUDGET_MB = 1024  # and to its disk

CHILD = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    from pathlib import Path
    import torch  # what the server has loaded before an upload arrives
    from optim_core.training.data.dataset import DataError
    from optim_core.training.data.upload import load_uploaded_zip

    def vm_bytes():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    cap = vm_bytes() + (int(sys.argv[3]) << 20)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    data = Path(sys.argv[1]).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()  # Python's and NumPy's allocations, touched or not (torch's are not traced)
    out = {"error": None, "reason": None, "message": ""}
    try:
        dataset, _ = load_uploaded_zip(data, Path(sys.argv[2]))
        out["message"] = dataset.describe()
    except DataError as error:
        out.update(error="DataError", reason=getattr(error, "reason", None), message=str(error))
    except BaseException as error:  # what reached the user as a traceback
        out.update(error=type(error).__name__, message=str(error)[:200])
    out["rss_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    out["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(out))
    """
)


def upload_in_child(zip_path: Path, dest: Path, cap_mb: int = 1536) -> dict:
    """Load the upload in a child process whose address space may grow cap_mb past its imports: the
    outcome, its peak resident memory's rise and its traced allocations' peak (MB), the disk left (MB)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(zip_path), str(dest), str(cap_mb)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    du = subprocess.run(["du", "-sb", str(dest)], capture_output=True, text=True)
    result["disk_mb"] = int(du.stdout.split()[0]) / 2**20 if du.returncode == 0 else 0.0
    return result


def write_zip(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def assert_refused_within_budget(result: dict, reason: str | None = None) -> None:
    assert result["error"] == "DataError", result
    if reason is not None:
        assert result["reason"] == reason, result
    assert result["rss_mb"] < MEMORY_BUDGET_MB and result["traced_mb"] < MEMORY_BUDGET_MB, result
    assert result["disk_mb"] < 1, result  # a refused upload leaves nothing


# ---------------------------------------------------------------- CIFAR pickles


def test_a_pickle_declaring_gigabytes_is_refused_before_it_is_allocated(tmp_path):
    # PROTO 4, EMPTY_DICT, MARK, b"data", BINBYTES8 of 3 GiB ... and 16 bytes: pickle allocates 3 GiB first
    batch = b"\x80\x04}(C\x04data\x8e" + struct.pack("<Q", 3 << 30) + b"x" * 16
    bomb = write_zip(tmp_path / "bomb.zip", {"cifar/data_batch_1": batch})
    assert bomb.stat().st_size < 400
    # room for the 3 GiB: malloc'ed but never written, it shows in the traced peak, not in the RSS
    assert_refused_within_budget(upload_in_child(bomb, tmp_path / "up", cap_mb=4096))


def test_a_batch_of_shared_rows_is_refused_before_it_is_converted(tmp_path):
    # one row of 3,072 pixels referenced a million times: 2 MB of pickle, 3 GB as an array
    row = [0] * 3072
    batch = pickle.dumps({b"data": [row] * 1_000_000, b"labels": [0] * 1_000_000}, protocol=2)
    # stored, not deflated: the zip's own ratio check would catch it before the CIFAR reader does
    bomb = write_zip(tmp_path / "rows.zip", {"cifar/data_batch_1": batch}, zipfile.ZIP_STORED)
    assert bomb.stat().st_size < 5 << 20
    result = upload_in_child(bomb, tmp_path / "up")
    assert_refused_within_budget(result)
    assert "(N, 3072) array" in result["message"]


# ---------------------------------------------------------------- IDX headers and gzip streams


def gzip_of_zeros(header: bytes, mib: int) -> bytes:
    """A gzip stream of `header` then `mib` MiB of zeros, built from one compressed MiB repeated."""
    zeros = gzip.compress(bytes(1 << 20), compresslevel=9)
    return gzip.compress(header) + zeros * mib


def idx_header(*dims: int) -> bytes:
    return bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_an_idx_header_declaring_too_much_is_refused_before_reading(tmp_path):
    images = gzip_of_zeros(idx_header(400_000, 28, 28), 300)  # 300 MiB behind a 300 KB gzip
    labels = gzip.compress(idx_header(400_000) + bytes(400_000))
    entries = {"mnist/train-images-idx3-ubyte.gz": images, "mnist/train-labels-idx1-ubyte.gz": labels}
    bomb = write_zip(tmp_path / "idx.zip", entries)
    assert bomb.stat().st_size < 1 << 20
    result = upload_in_child(bomb, tmp_path / "up")
    assert_refused_within_budget(result, "too_big")
    assert "train-images-idx3-ubyte.gz" in result["message"]


def test_an_idx_file_within_the_limit_still_stays_within_the_memory_budget(tmp_path):
    # 150 MiB declared and present: read (under the per-file limit), then refused as too many values
    images = gzip_of_zeros(idx_header(200_000, 28, 28), 0) + gzip.compress(bytes(200_000 * 784), 1)
    labels = gzip.compress(idx_header(200_000) + bytes(200_000))
    entries = {"mnist/train-images-idx3-ubyte.gz": images, "mnist/train-labels-idx1-ubyte.gz": labels}
    result = upload_in_child(write_zip(tmp_path / "idx.zip", entries), tmp_path / "up")
    assert_refused_within_budget(result, "too_many_values")


# ---------------------------------------------------------------- zips


def test_a_zip_bomb_member_is_refused_before_it_is_written(tmp_path):
    bomb = tmp_path / "ratio.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("pics/a/big.png", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(bytes(1 << 20))  # 300 MiB of zeros: not an image, so the dataset is refused
        archive.writestr("pics/b/small.png", b"not a png either")
    assert bomb.stat().st_size < 1 << 20
    assert_refused_within_budget(upload_in_child(bomb, tmp_path / "up"), "zip_ratio")


def test_a_refused_dataset_is_deleted_at_once(tmp_path):
    png = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(png, format="PNG")
    one_class = write_zip(tmp_path / "one.zip", {f"pets/cats/{i}.png": png.getvalue() for i in range(3)})
    result = upload_in_child(one_class, tmp_path / "up")
    assert_refused_within_budget(result)
    assert "class folders of images" in result["message"]
    assert not (tmp_path / "up").exists()


def test_a_zip_of_deeply_nested_folders_is_refused_not_a_recursion_error(tmp_path):
    bomb = write_zip(tmp_path / "deep.zip", {"d/" * 1200 + "x.png": b"x"})
    assert bomb.stat().st_size < 8 << 10
    result = upload_in_child(bomb, tmp_path / "up")
    assert_refused_within_budget(result, "zip_depth")
    with pytest.raises(DataError, match="nested 1200 folders deep"):
        extract_zip(bomb.read_bytes(), tmp_path / "direct")


# ---------------------------------------------------------------- images


def png_header_only(width: int, height: int) -> bytes:
    """A 1-bit PNG of width x height whose pixel data is a few bytes of one zlib stream (all black)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    data = b"".join(rows.compress(row) for _ in range(min(height, 64))) + rows.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_a_20000_pixel_square_png_is_refused_before_it_is_decoded(tmp_path):
    big = png_header_only(20_000, 20_000)
    bomb = write_zip(tmp_path / "png.zip", {"pics/a/big.png": big, "pics/b/big.png": big})
    result = upload_in_child(bomb, tmp_path / "up")
    assert_refused_within_budget(result, "image_pixels")
    assert "big.png" in result["message"]
    # below Pillow's own bomb limit too: the header is enough
    (tmp_path / "mid.png").write_bytes(png_header_only(6_000, 6_000))
    with pytest.raises(DataError, match="6000x6000 is more than the 4096x4096 pixels"):
        decode_images([tmp_path / "mid.png"], None)


def test_an_image_whose_header_promises_more_than_its_file_holds_is_a_data_error(tmp_path):
    whole = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 300), dtype=np.uint8)).save(whole, "PNG")
    (tmp_path / "short.png").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])  # cut in half
    with pytest.raises(DataError) as refused:
        decode_images([tmp_path / "short.png"], None)
    assert refused.value.reason == "image_decode"
