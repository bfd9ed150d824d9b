"""Unpack an uploaded zip of a dataset folder, refusing anything that could escape or explode.

Refused outright (DataError, nothing left on disk): entries with `..`, absolute or drive paths,
symlinks, folders nested deeper than the loaders walk, more than `max_files` files, more than
`max_total_bytes` once uncompressed, or a member that expands more than MAX_RATIO times. Sizes are
checked twice: what the archive declares, and the bytes actually written (headers can lie).
Skipped and counted: files that are neither images nor dataset files (IDX, CIFAR batches), hidden
files and macOS `__MACOSX/` metadata.
"""

from __future__ import annotations

import io
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from optim_core.training.data.dataset import DataError
from optim_core.training.data.images import IMAGE_SUFFIXES
from optim_core.training.data.walk import MAX_DEPTH

MAX_UPLOAD_BYTES = 512 << 20
MAX_UPLOAD_FILES = 50_000
# A member may expand this many times (datasets compress 1-10x; a bomb of zeros 1000x), once past 1 MiB.
MAX_RATIO = 100
_SMALL = 1 << 20
_DATA_FILE = re.compile(r"(idx\d[-_.]ubyte(\.gz)?|data_batch_\d+|test_batch|batches\.meta)$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ExtractResult:
    root: Path  # the dataset folder: dest, or the lone folder the zip wraps everything in
    n_files: int  # files written
    n_skipped: int  # files left out (not images or dataset files)
    skipped_examples: tuple[str, ...]  # a few of their names, for the message shown to the user


def _check_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        raise DataError(f"zip entry {info.filename!r} has an absolute path; refusing the archive")
    path = PurePosixPath(name)
    if ".." in path.parts:
        raise DataError(f"zip entry {info.filename!r} climbs out with '..'; refusing the archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DataError(f"zip entry {info.filename!r} is a symbolic link; refusing the archive")
    if len(path.parts) > MAX_DEPTH + 1:
        raise DataError(
            f"zip entry {info.filename[:60]!r}... is nested {len(path.parts) - 1} folders deep; "
            f"the limit is {MAX_DEPTH}; refusing the archive",
            reason="zip_depth",
            depth=len(path.parts) - 1,
            limit=MAX_DEPTH,
        )
    return path


def _member_limit(info: zipfile.ZipInfo) -> int:
    """The most bytes a member may unpack to: MAX_RATIO times its compressed size (1 MiB at least)."""
    return max(_SMALL, MAX_RATIO * info.compress_size)


def _ratio_error(info: zipfile.ZipInfo) -> DataError:
    return DataError(
        f"zip entry {info.filename!r} expands more than {MAX_RATIO} times; refusing the archive",
        reason="zip_ratio",
        name=info.filename,
        ratio=MAX_RATIO,
    )


def _wanted(path: PurePosixPath) -> bool:
    if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
        return False
    return path.suffix.lower() in IMAGE_SUFFIXES or bool(_DATA_FILE.search(path.name))


def extract_zip(
    data: bytes | BinaryIO,
    dest: Path,
    *,
    max_total_bytes: int = MAX_UPLOAD_BYTES,
    max_files: int = MAX_UPLOAD_FILES,
) -> ExtractResult:
    """Unpack the zip `data` (its bytes, or a seekable binary file: read, never copied) into the new or
    empty directory `dest`."""
    dest = Path(dest)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except zipfile.BadZipFile:
        raise DataError("the upload is not a zip archive") from None
    with archive:
        files = [(info, _check_name(info)) for info in archive.infolist() if not info.is_dir()]
        if len(files) > max_files:
            raise DataError(f"the zip holds {len(files)} files; the limit is {max_files}")
        declared = sum(info.file_size for info, _ in files)
        if declared > max_total_bytes:
            raise DataError(
                f"the zip unpacks to {declared / 2**20:.1f} MiB; the limit is "
                f"{max_total_bytes / 2**20:.1f} MiB",
                reason="zip_total",
                mib=f"{declared / 2**20:.1f}",
                limit=f"{max_total_bytes / 2**20:.1f}",
            )
        keep = [(info, path) for info, path in files if _wanted(path)]
        for info, _ in keep:
            if info.file_size > _member_limit(info):
                raise _ratio_error(info)
        skipped = [info.filename for info, path in files if not _wanted(path)]
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise DataError(f"{dest}: the destination must be empty")
        try:
            _write_all(archive, keep, dest, max_total_bytes)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    entries = [p for p in dest.iterdir()]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
    return ExtractResult(
        root=root, n_files=len(keep), n_skipped=len(skipped), skipped_examples=tuple(skipped[:5])
    )


def _write_all(archive: zipfile.ZipFile, keep: list, dest: Path, max_total_bytes: int) -> None:
    written, top = 0, dest.resolve()
    for info, path in keep:
        target = dest.joinpath(*path.parts)
        if not target.resolve().is_relative_to(top):  # belt and braces after _check_name
            raise DataError(f"zip entry {info.filename!r} resolves outside the destination")
        target.parent.mkdir(parents=True, exist_ok=True)
        member, limit = 0, _member_limit(info)
        try:
            with archive.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    member += len(chunk)
                    if member > limit:
                        raise _ratio_error(info)
                    if written > max_total_bytes:
                        raise DataError(
                            f"the zip unpacks to more than {max_total_bytes / 2**20:.1f} MiB "
                            "(its headers understate it); refusing the archive"
                        )
                    out.write(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as error:
            raise DataError(f"zip entry {info.filename!r} cannot be read: {error}") from None


def load_uploaded_zip(data: bytes, dest: Path, **load_kwargs):
    """extract_zip, then load_dataset(source='auto') on the result: (ImageDataset, ExtractResult).

    A dataset the loaders refuse is deleted at once (DataError)."""
    from optim_core.training.data.load import load_dataset

    result = extract_zip(data, dest)
    try:
        dataset = load_dataset("auto", result.root, **load_kwargs)
    except DataError:
        shutil.rmtree(dest, ignore_errors=True)  # a refused dataset leaves nothing on disk
        raise
    return dataset, result
