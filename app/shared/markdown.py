"""Text shown as it is inside Markdown: a typed formula, an error quoting it, a file or column name.

Streamlit renders st.caption, st.error, st.markdown, labels and help as Markdown (with LaTeX between $
signs), so `0.1*(x**2 + y**2)` would lose its stars to bold and italics. In CommonMark a backslash-escaped
punctuation character is shown as itself. We escape the characters that act anywhere in a line: emphasis
(* _ ~), code (`), links and Streamlit's directives ([ ] and : for `:red[...]` and emoji codes), LaTeX ($),
HTML (< >), tables (|), braces and the backslash itself. Those that act only at the start of a line
(# + - 1.) are left, so a file name such as `loss-1.csv` reads the same in the source as on screen.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_{}\[\]<>$:|~])")


def literal(text: object) -> str:
    """`text` escaped for Markdown, so it is shown exactly as it is."""
    return _ACTIVE.sub(r"\\\1", str(text))
