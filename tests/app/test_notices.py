"""Hostile shared links: every notice quotes the link's text verbatim, never as Markdown.

A URL notice repeats what the link carried. Rendered as Markdown, `?lang=![x](http://host/pixel.png)`
would make the viewer's browser fetch an image from another host, and an unknown key could draw a
clickable link inside the app's own warning. tests/browser/test_notice_injection_browser.py checks the
rendered page in Chromium; these check the Markdown the app sends.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from app.shared.markdown import literal
from app.shared.settings import NOTICE_LIMIT
from tests.app.apptest import MAIN, open_view

PIXEL = "![x](http://127.0.0.1:9/pixel.png)"
HOSTILE = {
    "image": PIXEL,
    "link": "[log in](http://127.0.0.1:9/login)",
    "autolink": "<http://127.0.0.1:9/a> www.example.com user@example.com",
    "html": '<img src="http://127.0.0.1:9/h.png" onerror="alert(1)"><script>alert(2)</script>',
    "latex": r"$\href{http://127.0.0.1:9}{x}$ $$\begin{matrix}1\end{matrix}$$",
    "directive": ":red[**big**] :material/warning: `code` ~~gone~~ _it_",
    "lines": "a\n# heading\n\n- item\n> quote",
    "very long": "[" * 5000 + "(http://127.0.0.1:9/long)" + "]" * 5000,
}


def _active(markdown: str) -> str:
    """What Markdown would act on: the text with every backslash-escaped character removed."""
    return re.sub(r"\\.", "", markdown, flags=re.DOTALL)


def _assert_inert(markdown: str) -> None:
    active = _active(markdown)
    for char in "[]<>$`*_~@&|\n":
        assert char not in active, (char, markdown[:300])
    # the messages' own colons stay; none starts an autolink, an emoji code or a directive
    assert not re.search(r"https?:|:[\w/-]+[:\[]", active), markdown[:300]
    assert "www." not in active.lower()
    assert len(markdown) < 2 * NOTICE_LIMIT + 300  # a link's kilobytes are not repeated


def _home(query: dict) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_value_is_quoted_verbatim(name):
    text = HOSTILE[name]
    at = _home({"lang": text})
    (notice,) = [w.value for w in at.warning]
    _assert_inert(notice)
    assert literal(text, limit=NOTICE_LIMIT) in notice


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_unknown_key_is_quoted_verbatim(name):
    key = HOSTILE[name]
    at = _home({key: "1"})
    notices = [w.value for w in at.warning]
    assert len(notices) == 1, notices
    _assert_inert(notices[0])
    assert literal(key, limit=NOTICE_LIMIT) in notices[0]


def test_hostile_text_in_chinese_notices_too():
    at = _home({"lang": "zh", "present": PIXEL, PIXEL: "1"})
    notices = [w.value for w in at.warning]
    assert len(notices) == 2, notices
    for notice in notices:
        _assert_inert(notice)
        assert "网址参数" in notice


@pytest.mark.parametrize("name", ["image", "link", "html", "latex"])
def test_a_hostile_kept_curve_on_the_schedules_page(name):
    # the reason quotes the curve's text: escaped once, at its source, and read back the same
    at = open_view("schedules", {"keep": HOSTILE[name].replace(";", ",")})
    notices = [w.value for w in at.warning if "keep" in w.value]
    assert len(notices) == 1, [w.value for w in at.warning]
    _assert_inert(notices[0])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_formula_undefined_in_the_whole_window_is_refused_on_the_playground(lang):
    at = open_view("playground", {"lang": lang, "surface": "custom", "formula": "log(-1 - x**2 - y**2)"})
    (error,) = [e.value for e in at.error]
    assert ("undefined (NaN or infinite) everywhere" if lang == "en" else "处处没有定义") in error
    assert "log(1 + x\\*\\*2)" not in error  # the hint's formula sits in a code span, as typed
    assert not at.warning, [w.value for w in at.warning]  # not "pick another start"
