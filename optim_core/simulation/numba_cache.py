"""Where numba keeps the compiled rules on disk: a folder named by the source the machine code came from.

Why: numba's own cache checks only the file of the function it compiles. The compiled rules also inline
helpers from other files (torch_ops.fma/lerp, adam's moments, the surfaces' gradients, this package's
shims), so after an edit to one of those, numba would load machine code built from the old source and
run a formula that no longer exists. Naming the folder by a digest of every source file compiled code
can reach (and numba's version) makes an edit anywhere start a fresh folder; the old one is never read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

PACKAGE = Path(__file__).resolve().parents[1]  # optim_core/
# Everything compiled code can reach: the rules, the surfaces, the loop, its shims and the gradient step,
# the jitable marker (tests/core/test_numba_cache.py checks that every compiled helper's file is here).
# Not the rest of simulation/ (simulate(), the warm-up): an edit there keeps the machine code.
COMPILED_SOURCES = (
    "optimizers",
    "surfaces",
    "simulation/numba_backend.py",
    "simulation/drive_loop.py",
    "simulation/step.py",
    "jitable.py",
)


def source_digest(root: Path = PACKAGE, parts: tuple[str, ...] = COMPILED_SOURCES) -> str:
    """A digest of the .py files under `parts` of `root` (relative names and contents) and numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for part in parts:
        path = root / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    """NUMBA_CACHE_DIR when the operator set one, else the user's cache folder (XDG_CACHE_HOME)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "optim-lab" / "numba"


def use_source_keyed_cache() -> Path | None:
    """Point numba's cache at cache_root()/<source digest>; None (no disk cache) where it can't be written."""
    folder = cache_root() / source_digest()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        _set_cache_dir("")
        return None
    _set_cache_dir(str(folder))
    return folder


def _set_cache_dir(folder: str) -> None:
    # numba.config is filled in from the environment at import; its stubs don't declare the names
    setattr(numba.config, "CACHE_DIR", folder)  # noqa: B010
