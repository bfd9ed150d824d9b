"""The architecture, checked from the layout: dependencies point one way (app -> optim_core), the modules
that draw or compute never import Streamlit, optim_core has no import cycle, and modules stay small.

The lists of modules are derived from the folders, not written by hand, and a file the layout promises
(a page's page.py, a page named in app/shared/navigation.py) is required: a missing one fails here.
"""

import ast
from pathlib import Path

import pytest

from app.shared.navigation import PAGES, VIEWS_DIR

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
CORE = ROOT / "optim_core"
FORBIDDEN_IN_CORE = {"streamlit", "plotly", "app"}
# app/ modules shared by the pages that only compute or draw figures: no Streamlit, so they run anywhere
SHARED_WITHOUT_STREAMLIT = ("theme.py", "plotting.py", "contour_image.py", "html_table.py")
# in a page package, beside figures.py and model.py: the modules they are split into, and worker code
STREAMLIT_FREE_IN_PAGES = ("map_*.py", "frames.py", "tables.py", "*_job.py")
MAX_LINES = 400
STRING_TABLES = APP / "shared" / "i18n"  # translation tables grow with the UI, not with the logic


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _top_level_imports(path: Path) -> set[str]:
    """The top-level package of every absolute import in the file, at any depth (functions included)."""
    names = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _page_packages() -> list[Path]:
    return sorted(p for p in VIEWS_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _streamlit_free_modules() -> list[Path]:
    """Every module that must not import Streamlit: all of optim_core, the shared drawing helpers, and in
    each page package the modules named for a role that computes rather than draws: figures.py (or a
    figures/ package) and model.py, and the parts they are split into (map_*.py, frames.py, tables.py),
    and *_job.py (code a worker process runs)."""
    modules = sorted(CORE.rglob("*.py"))
    for package in _page_packages():
        modules += [package / name for name in ("figures.py", "model.py") if (package / name).exists()]
        modules += sorted((package / "figures").rglob("*.py"))
        for pattern in STREAMLIT_FREE_IN_PAGES:
            modules += sorted(package.glob(pattern))
    modules += [APP / "shared" / name for name in SHARED_WITHOUT_STREAMLIT]
    return modules


# ---- the layout ------------------------------------------------------------------------------------------
def test_every_page_package_has_its_page_script():
    packages = _page_packages()
    assert packages, f"no page packages under {_rel(VIEWS_DIR)}"
    missing = [_rel(p / "page.py") for p in packages if not (p / "page.py").is_file()]
    assert not missing, f"page packages without page.py: {missing}"


def test_the_pages_in_navigation_exist():
    missing = [entry.script for entry in PAGES if not (VIEWS_DIR / entry.script).is_file()]
    assert not missing, f"app/shared/navigation.py PAGES names scripts that do not exist: {missing}"


def test_the_streamlit_free_modules_exist():
    missing = [_rel(p) for p in _streamlit_free_modules() if not p.is_file()]
    assert not missing, f"expected modules are missing: {missing}"


# ---- dependencies ----------------------------------------------------------------------------------------
def test_optim_core_is_pure():
    offenders = {}
    for path in CORE.rglob("*.py"):
        bad = _top_level_imports(path) & FORBIDDEN_IN_CORE
        if bad:
            offenders[_rel(path)] = sorted(bad)
    assert not offenders, f"optim_core must not import UI code: {offenders}"


@pytest.mark.parametrize("path", _streamlit_free_modules(), ids=_rel)
def test_figures_models_and_core_do_not_import_streamlit(path):
    assert "streamlit" not in _top_level_imports(path), _rel(path)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, known: set[str]) -> dict[str, int]:
    """The modules of `known` that the file imports, relative or absolute, at any depth (in functions and
    under `if TYPE_CHECKING:` too), each with the line of its first import.

    `from package import name` counts as importing package.name when that is a module, else the package.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in known]
            targets = targets or [source]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found[target] = min(found.get(target, node.lineno), node.lineno)
    return found


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)

    cycles = []
    for component in components:
        start = min(component)
        path, seen = [start], {start}
        while True:  # walk inside the component until the walk closes a loop
            step = min(t for t in graph[path[-1]] if t in component)
            if step in seen:
                cycles.append(path[path.index(step) :] + [step])
                break
            path.append(step)
            seen.add(step)
    return cycles


def test_cycles_finds_a_loop():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_optim_core_has_no_import_cycle():
    paths = sorted(CORE.rglob("*.py"))
    known = {_module_name(p) for p in paths}
    graph = {_module_name(p): _imported_modules(p, known) for p in paths}
    assert any(graph.values()), "the import graph found no imports: the parser is broken"
    cycles = [
        " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False))
        + f" -> {cycle[0]}"
        for cycle in _cycles(graph)
    ]
    assert not cycles, "import cycles in optim_core:\n" + "\n".join(cycles)


# ---- size ------------------------------------------------------------------------------------------------
def test_no_module_is_over_400_lines():
    too_long = {}
    for path in sorted([*APP.rglob("*.py"), *CORE.rglob("*.py")]):
        if path.is_relative_to(STRING_TABLES):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[_rel(path)] = lines
    assert not too_long, f"modules over {MAX_LINES} lines (split them along concepts): {too_long}"
