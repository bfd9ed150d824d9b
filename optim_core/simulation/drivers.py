"""One compiled loop per (rule, surface), each in its own generated module, so numba can keep it on disk.

    drive = driver(update, surface)   # the numba dispatcher of drive_loop.drive for that pair

drive_loop.py explains why. The module for a pair is drive_loop.py's text, unchanged, written once to
<numba cache folder>/drivers/<name>.py and imported under <name>; the name is a digest of what the pair
is (the rule's update function, the surface's name, parameters and gradient function), so the same pair
finds the same file, and so the same machine code, in every process. The cache folder is named by the
digest of every source file compiled code can reach (numba_cache.py), drive_loop.py included: an edit
anywhere starts a fresh folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from ..surfaces import Surface

TEMPLATE = Path(__file__).with_name("drive_loop.py")
_bindings: dict[str, tuple[Callable, Callable]] = {}  # module name -> (compiled update, compiled gradient)
_drivers: dict[str, Callable] = {}
_lock = threading.Lock()


def bound(module_name: str) -> tuple[Callable, Callable]:
    """What a generated module's `update` and `grad_fn` are (called by the module as it is imported)."""
    try:
        return _bindings[module_name]
    except KeyError:
        raise ImportError(f"{module_name} is a template: drivers.driver() makes the modules") from None


def module_name(update: Callable, surface: Surface) -> str:
    """The generated module's name for a pair: the same in every process."""
    grad = surface.grad.__code__
    what = (
        f"{update.__module__}.{update.__qualname__}|{surface.name}|{sorted(surface.params.items())!r}|"
        f"{grad.co_filename}:{grad.co_name}"
    )
    return "optim_lab_drive_" + hashlib.sha256(what.encode()).hexdigest()[:20]


def driver(update: Callable, compiled_update: Callable, surface: Surface, compiled_grad: Callable, folder):
    """The loop's dispatcher for `update` (a rule's plain function) on `surface`, given their compiled
    dispatchers, its module written under `folder` (numba's cache folder; a temporary one when None)."""
    name = module_name(update, surface)
    with _lock:
        if name not in _drivers:
            _bindings[name] = (compiled_update, compiled_grad)
            _drivers[name] = _import(name, _module_file(name, folder)).drive
        return _drivers[name]


def _module_file(name: str, folder) -> Path:
    root = Path(folder) if folder is not None else Path(tempfile.gettempdir()) / "optim-lab-drivers"
    path = root / "drivers" / f"{name}.py"
    text = TEMPLATE.read_text()
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{threading.get_native_id()}.tmp")
        partial.write_text(text)
        partial.replace(path)  # atomic: a process reading the folder meanwhile sees all or nothing
    return path


def _import(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
