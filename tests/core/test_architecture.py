"""Dependencies point one way: app -> optim_core. optim_core never imports streamlit or plotly."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = {"streamlit", "plotly", "app"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_optim_core_is_pure():
    offenders = {}
    for path in (ROOT / "optim_core").rglob("*.py"):
        bad = _imports(path) & FORBIDDEN_IN_CORE
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"optim_core must not import UI code: {offenders}"


def test_figures_do_not_import_streamlit():
    for name in ("figures.py", "theme.py", "playground_model.py"):
        path = ROOT / "app" / name
        if path.exists():
            assert "streamlit" not in _imports(path), name
