"""The Playground's Steps slider (in the sidebar) reruns only the map's fragment in a real Chromium, and what
the fragment does not redraw stays on the screen, current (an LR slider: test_playground_browser.py)."""

import pytest

from tests.browser.harness import assert_no_exception, wait_for_app
from tests.browser.test_playground_browser import map_paths, open_page, received

pytestmark = pytest.mark.browser


def test_a_steps_change_reruns_only_the_map_fragment(page, app_url):
    """The sidebar and the cards are not sent again; the map, the step row and the link follow."""
    frames = received(page)
    open_page(page, app_url, "?n_opt=2&steps=100")
    assert any(b"Common settings" in f for f in frames), "a whole-page run sends the sidebar"
    frames.clear()
    thumb = page.locator('.st-key-steps input[type="range"]')
    thumb.focus()
    thumb.press("ArrowRight")  # one step of 10
    page.wait_for_function(
        """sel => { const gd = document.querySelector(sel);
                 return gd && gd.data.some(d => d.mode === 'lines' && d.x && d.x.length === 111); }""",
        arg='[data-testid="stPlotlyChart"] .js-plotly-plot',
        timeout=30_000,
    )
    wait_for_app(page)
    assert all(len(p["x"]) == 111 for p in map_paths(page))
    assert frames and not any(b"Common settings" in f for f in frames), "the Steps change reran the page"
    assert "steps=110" in page.url
    # what the fragment did not redraw is still there and current
    assert page.get_by_text("Common settings").is_visible()
    assert page.locator('.st-key-steps input[type="range"]').input_value() == "110"
    assert page.locator('.st-key-t input[type="range"]').get_attribute("max") == "110"
    assert page.locator(".st-key-pg_card_2").is_visible()
    assert_no_exception(page)
