"""Text shown as it is inside Markdown: a typed formula, an error quoting it, a file or column name.

Streamlit renders st.caption, st.error, st.markdown, labels and help as Markdown (with LaTeX between $
signs), so `0.1*(x**2 + y**2)` would lose its stars to bold and italics. Every ASCII punctuation
character may be backslash-escaped in CommonMark, and an escaped one is shown as itself; escaping all of
them leaves nothing for Markdown, LaTeX or Streamlit's directives (`:red[...]`) to act on.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def literal(text: object) -> str:
    """`text` escaped for Markdown, so it is shown exactly as it is."""
    return _PUNCTUATION.sub(r"\\\1", str(text))
