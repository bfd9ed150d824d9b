"""Server folders: a dataset path a user types is read only inside the data root the operator names.

OPTIM_LAB_DATA_ROOT unset: no server folder is read at all (only built-in sets and uploads). Set: a typed
path is relative to it and must resolve (symbolic links followed) to a folder inside it. Every refusal is
one message, the same for a folder that is missing, outside or unreadable: it tells nothing of the disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from optim_core.training.data.dataset import DataError

DATA_ROOT_ENV = "OPTIM_LAB_DATA_ROOT"
REFUSED = "no readable dataset folder by that name in the data root"


def data_root() -> Path | None:
    """The folder OPTIM_LAB_DATA_ROOT names (resolved), or None when it is unset or not a folder."""
    text = os.environ.get(DATA_ROOT_ENV, "").strip()
    if not text:
        return None
    root = Path(text).expanduser().resolve()
    return root if root.is_dir() else None


def resolve_data_path(text: str, root: Path | None = None) -> Path:
    """The folder `text` names inside `root` (default: data_root()), or DataError with one message."""
    root = data_root() if root is None else root.resolve()
    if root is None:
        raise DataError("server folders are off: no data root is set", reason="folders_off")
    try:
        folder = (root / text.strip()).resolve(strict=True)
        readable = folder.is_dir() and os.access(folder, os.R_OK | os.X_OK)
    except (OSError, RuntimeError, ValueError):  # missing, a link loop, a NUL byte
        readable = False
    if not readable or not folder.is_relative_to(root):
        raise DataError(REFUSED, reason="folder_refused")
    return folder
