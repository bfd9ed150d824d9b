"""The Playground's side-by-side view of squared error and cross-entropy in a real Chromium."""

import urllib.parse

import pytest

from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

CHARTS = '[data-testid="stPlotlyChart"] .js-plotly-plot'
PAIR = ("pair_classifier_mse", "pair_classifier_ce")


def drawn_maps(page) -> list[dict]:
    """Each drawn Plotly chart: its paths' first and last x, and whether its picture covers its axes."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)].map(gd => {
            const image = gd.querySelector('.layer-below image, .imagelayer image');
            const paths = gd.data.filter(d => d.mode === 'lines' && d.opacity === 0.45);
            const box = image && image.getBoundingClientRect();
            const plot = gd.querySelector('.nsewdrag').getBoundingClientRect();
            return {paths: paths.map(d => [d.name, d.x[0], d.x[d.x.length - 1]]),
                    picture: !!image && Math.abs(box.width - plot.width) < 2 && plot.width > 100,
                    key: (gd.closest('[class*="st-key-"]') || {className: ''}).className};
        })""",
        CHARTS,
    )


def wait_for_charts(page, count: int) -> None:
    page.wait_for_function(
        "([sel, n]) => [...document.querySelectorAll(sel)].filter(gd => gd.data).length >= n",
        arg=[CHARTS, count],
        timeout=90_000,
    )


def test_both_maps_render_with_the_same_paths(page, app_url):
    page.goto(f"{app_url}/playground?surface=classifier_mse&pair=true&n_opt=2&o1=sgd&o2=adam")
    wait_for_app(page)
    wait_for_charts(page, 3)
    assert_no_exception(page)
    assert not page.js_errors
    main, mse, ce = drawn_maps(page)[:3]
    assert all(m["picture"] for m in (main, mse, ce))
    # the same optimizers from the same start; SGD stalls on squared error and walks on cross-entropy
    assert [p[:2] for p in mse["paths"]] == [p[:2] for p in ce["paths"]] == [["SGD", -5], ["Adam", -5]]
    assert abs(mse["paths"][0][2] + 5) < 0.1 and ce["paths"][0][2] > -3
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Squared error vs cross-entropy" in text and "Cross-entropy: |∇L|" in text


def test_the_sidebar_toggle_adds_the_pair_and_keeps_it_in_the_link(page, app_url):
    page.goto(f"{app_url}/playground?surface=classifier_ce")
    wait_for_app(page)
    wait_for_charts(page, 1)
    assert len(drawn_maps(page)) == 1
    page.locator(".st-key-pair label").first.click()
    wait_for_charts(page, 3)
    wait_for_app(page)
    assert_no_exception(page)
    params = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert params["pair"] == ["true"] and params["surface"] == ["classifier_ce"]
