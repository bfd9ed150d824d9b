"""A shared link's text in the app's notices, in a real Chromium: shown as text, never fetched or linked.

A local HTTP server stands for another host and counts the requests it gets: a tracking pixel in a link
(`?lang=![x](http://host/pixel.png)`), an HTML image and a "log in" link in an unknown key must reach
the screen as the characters they are, and the server must never be asked for anything.
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse

import pytest

from app.shared.markdown import WORD_JOINER
from tests.browser.harness import assert_no_exception, free_port, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture
def other_host():
    """(base URL, list of requested paths) of a local server standing for another host."""
    requested: list[str] = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def test_hostile_link_text_is_shown_not_fetched_or_linked(page, app_url, other_host):
    host, requested = other_host
    pixel = f"![x]({host}/pixel.png)"
    key_pixel = f"![y]({host}/key-pixel.png)"
    login = f"[log in]({host}/login)"
    html = f'<img src="{host}/html.png">'
    query = urllib.parse.urlencode(
        {"lang": pixel, key_pixel: "1", login: "1", html: "1", "present": f"$\\href{{{host}}}{{x}}$"}
    )
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(f"{app_url}/?{query}")
    wait_for_app(page)
    alerts = page.locator('[data-testid="stAlert"]')
    alerts.first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # time for an image or font the notices might ask for
    assert_no_exception(page)
    # as typed, but for the invisible word joiners that keep autolinks off (app/shared/markdown.py)
    text = "\n".join(alerts.all_inner_texts()).replace(WORD_JOINER, "")
    for shown in (pixel, key_pixel, login, html):
        assert shown in text, text
    assert alerts.locator("img, a, script, .katex").count() == 0, alerts.first.inner_html()
    assert not requested, requested
    assert not [url for url in seen if url.startswith(host)], seen
