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


LOOPS = """
import json, sys
from optim_core import simulate
from optim_core.simulation import drivers
out = {}
for surface in ("bowl", "rosenbrock"):  # the same rule on two surfaces: two loops, two files
    compiled = simulate(surface, [("adam", {"lr": 0.01})], [(-1.0, 1.5)], 5, backend="compiled")
    numpy = simulate(surface, [("adam", {"lr": 0.01})], [(-1.0, 1.5)], 5, backend="numpy")
    out[surface] = [compiled.xy[0, 0, -1].tolist(), numpy.xy[0, 0, -1].tolist()]
loops = list(drivers._drivers.values())
out["hits"] = sum(sum(loop.stats.cache_hits.values()) for loop in loops)
out["misses"] = sum(sum(loop.stats.cache_misses.values()) for loop in loops)
print(json.dumps(out))
"""


def _loops_run(cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "OPTIM_LAB_WARM_UP": "0"}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", LOOPS],
        cwd=PACKAGE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_each_loop_from_disk_instead_of_compiling_it(tmp_path):
    """The loop over the steps is on disk per (rule, surface) (drivers.py): a server's restart loads it
    (a tenth of a second) where it compiled it (seconds per pair, holding the GIL), and the rule on
    another surface is another loop, not the first one's machine code."""
    first = _loops_run(tmp_path)
    assert (first["hits"], first["misses"]) == (0, 2)
    second = _loops_run(tmp_path)
    assert (second["hits"], second["misses"]) == (2, 0)
    for surface in ("bowl", "rosenbrock"):
        compiled, numpy = second[surface]
        assert compiled == numpy == first[surface][1]
    assert second["bowl"] != second["rosenbrock"]


def test_every_file_compiled_code_reaches_is_in_the_digest():
    """The digest leaves out simulation/'s Python-only modules; what numba compiles must all be in it."""
    import inspect

    from optim_core.optimizers import RULES
    from optim_core.simulation import drivers, numba_cache
    from optim_core.surfaces import get_surface, surface_names

    covered = []
    for part in numba_cache.COMPILED_SOURCES:
        path = PACKAGE / part
        covered += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    reached = {Path(inspect.getfile(f)) for f in numba_backend.JITTED_HELPERS}
    reached |= {Path(inspect.getfile(rule.update)) for rule in RULES.values()}
    reached |= {Path(get_surface(name).grad.__code__.co_filename) for name in surface_names()}
    reached |= {Path(numba_backend.__file__), drivers.TEMPLATE}
    assert reached <= set(covered), sorted(str(p) for p in reached - set(covered))
