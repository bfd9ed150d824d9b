"""The Training page's loss landscape in a real Chromium: a finished tiny run's map is computed by the
landscape worker and drawn, the contour picture under every lane's path; the first-layer filters show."""

import re

import pytest

from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

MAP = ".st-key-land_map"
# What the map has drawn: its contour picture (a layout image under the axes) and each path's line.
DRAWN = """(sel) => {
    const box = document.querySelector(sel);
    if (!box) return null;
    const images = [...box.querySelectorAll('.layer-below image, .imagelayer image')]
        .filter(i => (i.getAttribute('href') || i.getAttribute('xlink:href') || '')
            .startsWith('data:image/png'));
    const lines = [...box.querySelectorAll('g.scatterlayer g.trace path.js-line')]
        .filter(p => (p.getAttribute('d') || '').split(/[LM]/).length > 3);
    return {images: images.length, lines: lines.map(p => p.style.stroke)};
}"""


def test_a_finished_runs_landscape_renders_its_contour_and_paths(page, app_url):
    page.goto(f"{app_url}/training?lanes=2&epochs=2&width=0.25&subset=200")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"[?&]run=\d+"), timeout=60_000)
    page.get_by_text("Finished 2 epochs").wait_for(timeout=120_000)
    wait_for_app(page)
    assert_no_exception(page)

    page.get_by_text("Checks: the initial loss and the first layer's filters").click()
    page.get_by_text("The initial loss").first.wait_for(timeout=30_000)
    page.locator('[data-testid="stExpander"] .katex').first.wait_for(timeout=30_000)  # ln C
    filters = page.locator('[data-testid="stImage"] img')
    filters.first.wait_for(timeout=30_000)
    assert filters.count() == 6  # two lanes: θ₀ and two epoch ends

    page.get_by_text("Loss landscape", exact=True).click()
    page.get_by_role("button", name="Compute the landscape").click()
    page.wait_for_function(
        f"() => {{ const d = ({DRAWN})('{MAP}'); return d && d.images === 1 && d.lines.length === 2; }}",
        timeout=120_000,
    )
    wait_for_app(page)
    assert_no_exception(page)
    drawn = page.evaluate(DRAWN, MAP)
    # SGD's and momentum's own colours (optim_core/optimizers/catalog.py), as the Training charts use
    assert len(set(drawn["lines"])) == 2, drawn
    assert "land_plane" not in page.url  # the defaults leave the URL clean
