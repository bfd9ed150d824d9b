"""Text shown as it is inside Markdown (app/shared/markdown.py); the browser test shows it rendered."""

import string

from app.shared.markdown import literal


def test_every_ascii_punctuation_character_is_escaped_and_nothing_else():
    escaped = literal(string.printable)
    for char in string.punctuation:
        assert "\\" + char in escaped, char
    assert literal("abc 123 中文") == "abc 123 中文"


def test_a_formula_keeps_its_stars_and_dollars():
    assert literal("0.1*(x**2 + y**2)") == r"0\.1\*\(x\*\*2 \+ y\*\*2\)"
    assert literal("$x$") == r"\$x\$"  # no LaTeX
    assert literal(":red[x]") == r"\:red\[x\]"  # no Streamlit directive
