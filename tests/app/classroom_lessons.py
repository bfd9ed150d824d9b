"""Two lessons for class-mode tests, copied from the first shipped lesson under two ids (01-first,
02-second), so the tests follow the lesson file format without depending on the shipped catalogue."""

from __future__ import annotations

from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "lessons"


def write_lessons(folder: Path) -> Path:
    source = sorted(SHIPPED.glob("*.toml"))[0].read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    for order, name in enumerate(("01-first", "02-second"), start=1):
        lines = [f"order = {order}" if line.startswith("order =") else line for line in source.splitlines()]
        (folder / f"{name}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
