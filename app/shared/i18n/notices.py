"""Strings of notices (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    # a typed formula undefined everywhere in its window (optim_core/formula/messages.py, the same keys)
    "formula.undefined_window": (
        "f(x, y) is undefined (NaN or infinite) everywhere in the window x from {x0:g} to {x1:g}, "
        "y from {y0:g} to {y1:g}",
        "f(x, y) 在窗口(x 从 {x0:g} 到 {x1:g},y 从 {y0:g} 到 {y1:g})内处处没有定义(NaN 或无穷大)",
    ),
    "formula.hint.undefined_window": (
        "`log` needs a positive argument, `sqrt` a non-negative one, and `exp` overflows above 709, "
        "e.g. `log(1 + x**2)`",
        "`log` 的参数必须为正,`sqrt` 的参数必须非负,`exp` 的参数超过 709 会溢出,例如 `log(1 + x**2)`",
    ),
    # the EMA page's uploaded CSV (optim_core/series.py: the error codes)
    "ema.csv.cell_too_long": (
        "its first line holds a cell longer than {limit} characters: it is not a table of numbers.",
        "它的第一行有一个超过 {limit} 个字符的单元格:这不是数字表格。",
    ),
    "ema.csv.infinite": (
        "{n} of the {total} values in column {column!r} are infinite (inf or -inf): the averages skip them, "
        "as they skip blank cells, and the chart cannot draw them.",
        "列 {column!r} 的 {total} 个值中有 {n} 个是无穷大(inf 或 -inf):平均值会跳过它们(与空白单元格一样),"
        "图表也无法画出它们。",
    ),
    "ema.csv.no_finite": (
        "Column {column!r} holds no finite value (only inf, -inf or blank cells): there is nothing to "
        "smooth.",
        "列 {column!r} 没有任何有限值(只有 inf、-inf 或空白单元格):没有可以平滑的数据。",
    ),
}
