"""Text shown as it is inside Markdown (app/shared/markdown.py); the browser test shows it rendered."""

import string

from app.shared.markdown import literal


def test_the_characters_markdown_acts_on_are_escaped_and_nothing_else():
    escaped = literal(string.punctuation)
    for char in "\\`*_{}[]<>$:|~":
        assert "\\" + char in escaped, char
    assert literal("abc 123 中文 loss-1.csv (a, b) #2 +1 !") == "abc 123 中文 loss-1.csv (a, b) #2 +1 !"


def test_a_formula_keeps_its_stars_and_dollars():
    assert literal("0.1*(x**2 + y**2)") == r"0.1\*(x\*\*2 + y\*\*2)"
    assert literal("$x$") == r"\$x\$"  # no LaTeX
    assert literal(":red[x]") == r"\:red\[x\]"  # no Streamlit directive
