"""A small table as one HTML element (the playground's readouts).

st.table draws through Arrow and a styled component per cell. For the readout's 4 × 9 cells, on every
slider change, replacing it with this one HTML element took Chromium's long tasks per change from about
350 ms to about 260 ms (the page's "settled" time in tests/benchmarks/bench_page_latency.py).
Every value is escaped, so a label can never become markup. The look lives in theme.BASE_CSS.
"""

from __future__ import annotations

import html

import pandas as pd

CLASS = "lab-table"


def html_table(frame: pd.DataFrame) -> str:
    """The frame as <table class="lab-table">, header row first, no index."""
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    table = f'<table class="{CLASS}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    return f'<div class="{CLASS}-wrap">{table}</div>'
