"""Opening a page in Streamlit's AppTest the way a link does: one home for the sequence."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")
GLOBAL_KEYS = ("lang", "present")


def open_view(
    view: str,
    query: dict | None = None,
    *,
    state: dict | None = None,
    timeout: float = 60,
    check: bool = True,
) -> AppTest:
    """The page app/views/<view>/page.py opened from a link carrying `query`.

    The entry point runs first (it sets up navigation and the URL state); a page switch clears the URL,
    so the global settings go in before it and the page's own after it. `state` seeds session state.
    """
    query = query or {}
    at = AppTest.from_file(MAIN, default_timeout=timeout)
    for key in GLOBAL_KEYS:  # global settings live on from the first page
        if key in query:
            at.query_params[key] = query[key]
    at.run()
    at.switch_page(f"views/{view}/page.py")
    for key, value in query.items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if check:
        assert not at.exception, [e.value for e in at.exception]
    return at


def html_tables(at) -> list:
    """The tables the page drew with app.shared.html_table, as DataFrames of strings."""
    from html.parser import HTMLParser

    import pandas as pd

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append("".join(self.cell))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    tables = []
    for element in at.get("html"):
        if 'class="lab-table"' in element.proto.body:
            parser = Cells()
            parser.feed(element.proto.body)
            header, *rows = parser.rows
            tables.append(pd.DataFrame(rows, columns=header))
    return tables
