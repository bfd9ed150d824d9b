"""numba's disk cache follows every source file compiled code reaches, not only the compiled function's own.

numba checks only the file of the function it compiles; adamax's update inlines torch_ops.lerp from another
file, so after an edit to lerp numba loaded the old machine code and ran a formula that no longer existed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba

from optim_core.simulation import numba_backend  # noqa: F401 (sets the cache folder)
from optim_core.simulation.numba_cache import PACKAGE, cache_root, source_digest

RUN = """
import json, sys
from optim_core import simulate
compiled = simulate("rosenbrock", [("adamax", {"lr": 0.01})], [(-1.0, 1.5)], 5, backend="compiled")
numpy = simulate("rosenbrock", [("adamax", {"lr": 0.01})], [(-1.0, 1.5)], 5, backend="numpy")
print(json.dumps([compiled.xy[0, 0, -1].tolist(), numpy.xy[0, 0, -1].tolist()]))
"""


def test_the_cache_folder_is_named_by_the_sources_and_numbas_version():
    assert numba.config.CACHE_DIR == str(cache_root() / source_digest())


def test_an_edit_to_a_helper_in_another_file_changes_the_digest(tmp_path):
    copy = tmp_path / "optim_core"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_digest(copy)
    helpers = copy / "optimizers" / "torch_ops.py"
    helpers.write_text(helpers.read_text() + "\n# an edit\n")
    assert source_digest(copy) != before


def _final_positions(root: Path, cache: Path) -> tuple[list, list]:
    env = {**os.environ, "PYTHONPATH": str(root), "XDG_CACHE_HOME": str(cache), "OPTIM_LAB_WARM_UP": "0"}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    compiled, numpy = json.loads(out.stdout.strip().splitlines()[-1])
    return compiled, numpy


def test_compiled_code_is_rebuilt_after_a_helper_in_another_file_changes(tmp_path):
    """Compile adamax in a copy of the package, edit torch_ops.lerp, run again: the compiled backend
    follows the edit (as the NumPy backend does) instead of loading the old machine code."""
    root, cache = tmp_path / "src", tmp_path / "cache"
    shutil.copytree(PACKAGE, root / "optim_core", ignore=shutil.ignore_patterns("__pycache__"))
    compiled, numpy = _final_positions(root, cache)
    assert compiled == numpy
    helpers = root / "optim_core" / "optimizers" / "torch_ops.py"
    source = helpers.read_text()
    edited = source.replace("return fma(np.where(small, weight", "return 0.5 * fma(np.where(small, weight")
    assert edited != source
    helpers.write_text(edited)
    compiled_after, numpy_after = _final_positions(root, cache)
    assert numpy_after != numpy  # the edit changes the formula...
    assert compiled_after == numpy_after  # ...and the compiled backend runs the new one
