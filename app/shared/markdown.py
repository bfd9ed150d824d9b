"""Text shown as it is inside Markdown: typed formulas, errors quoting them, file names, URL values.

Streamlit renders st.caption, st.error, st.markdown, labels and help as Markdown (with LaTeX between $
signs), so `0.1*(x**2 + y**2)` would lose its stars to bold and italics, and a shared link's
`?lang=![x](http://host/pixel.png)` would make the viewer's browser fetch an image. `literal()` is the one
escaping helper: every piece of user text that reaches the screen goes through it.

In CommonMark a backslash-escaped punctuation character is shown as itself. We escape the characters that
act anywhere in a line: emphasis (* _ ~), code (`), links and images ([ ]), Streamlit's directives and
emoji codes (:), LaTeX ($), HTML (< > &), tables (|), @, braces and the backslash itself. GitHub's
autolinks (`http://x`, `www.x`, `user@x`) are found again in the text once escapes are resolved, so an
invisible word joiner (U+2060) goes after the colon of `://`, between `www` and its dot, and after `@`.
Those that act only at the start of a line (# + - 1.) are left, so a file name such as `loss-1.csv` reads
the same in the source as on screen; line breaks become spaces, so no user text starts a line.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"[\\`*_{}\[\]<>$:|~@&]")
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


class Literal(str):
    """Escaped text. Its repr is the text in quotes, so a message's `{name!r}` quotes it without doubling
    the backslashes (which would make the characters they escape active again)."""

    def __repr__(self) -> str:
        return f"'{self}'"


def literal(text: object, limit: int | None = None) -> Literal:
    """`text` escaped for Markdown, so it is shown exactly as it is (cut to `limit` characters with …)."""
    plain = _LINE_BREAK.sub(" ", str(text))
    if limit is not None and len(plain) > limit:
        plain = plain[: max(limit - 1, 0)] + "…"
    plain = _AUTOLINK.sub(WORD_JOINER, plain)
    return Literal(_ACTIVE.sub(lambda m: "\\" + m.group(0), plain))
