"""A folder's files, listed once and within bounds: how many, how deep, how long.

Every loader reads the list `list_files` returns instead of walking on its own (Path.rglob recurses and
has no limit: a home folder took 14 s, 1,200 nested folders overflow Python's stack). Symbolic links are
followed only where they stay inside the folder walked.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from optim_core.training.data.dataset import DataError

MAX_FILES = 100_000  # files (and folders) looked at
MAX_DEPTH = 12  # folders below the root
MAX_SECONDS = 5.0


def list_files(
    root: Path, *, max_files: int = MAX_FILES, max_depth: int = MAX_DEPTH, max_seconds: float = MAX_SECONDS
) -> list[Path]:
    """Every file under root (sorted), or DataError when the folder passes one of the bounds."""
    root = Path(root)
    top = root.resolve()
    deadline = time.monotonic() + max_seconds
    files: list[Path] = []
    seen = 0
    pending = [(root, 0)]  # a stack, not recursion
    while pending:
        folder, depth = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # unreadable: skipped like a file that is not an image
        for entry in entries:
            seen += 1
            if seen > max_files or time.monotonic() > deadline:
                what = f"more than {max_files:,} files or {max_seconds:g} s to list"
                raise _too_big(root, what, max_files, max_depth)
            path = Path(entry.path)
            if entry.is_symlink() and not _inside(path, top):
                continue
            if entry.is_dir():
                if depth + 1 > max_depth:
                    raise _too_big(root, f"folders nested deeper than {max_depth}", max_files, max_depth)
                pending.append((path, depth + 1))
            elif entry.is_file():
                files.append(path)
    return sorted(files)


def _inside(path: Path, top: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(top)
    except (OSError, RuntimeError):  # a broken link or a loop
        return False


def _too_big(root: Path, what: str, max_files: int, max_depth: int) -> DataError:
    return DataError(
        f"{root.name or 'the folder'}: {what}; a dataset folder must be smaller",
        reason="walk_limit",
        files=f"{max_files:,}",
        depth=max_depth,
    )
