"""The Analysis page in a real Chromium: loads, a click on a sweep point links to the Playground, zh."""

from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

SMALL = "b_grid=20&b_steps=100&sw_steps=60&sw_starts=3"
CHART = ".st-key-{key} .js-plotly-plot"


def open_page(page, app_url, query: str = SMALL):
    page.goto(f"{app_url}/analysis?{query}")
    wait_for_app(page)
    page.wait_for_selector(CHART.format(key="sweep_chart"), timeout=60_000)


def point_position(page, trace_name: str, index: int) -> dict:
    """Page pixel position of point `index` of the trace called `trace_name`, from the figure's own axes."""
    return page.evaluate(
        """([sel, name, index]) => {
            const gd = document.querySelector(sel);
            const trace = gd._fullData.find(d => d.name === name);
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
            return {x: box.left + xa.d2p(trace.x[index]), y: box.top + ya.d2p(trace.y[index]),
                    lr: trace.x[index]}; }""",
        [CHART.format(key="sweep_chart"), trace_name, index],
    )


def test_loads_without_exception(page, app_url):
    open_page(page, app_url, "")  # the defaults: a 40 × 40 basin map and three optimizers swept
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().startswith("Analysis")
    z = page.evaluate(
        "sel => document.querySelector(sel).data.find(d => d.type === 'heatmap').z",
        CHART.format(key="basin_chart"),
    )
    assert len(z) == 40 and len(z[0]) == 40
    names = page.evaluate(
        "sel => document.querySelector(sel).data.filter(d => d.fill === 'tonexty').length",
        CHART.format(key="sweep_chart"),
    )
    assert names == 3


def test_clicking_a_sweep_point_links_to_the_playground(page, app_url):
    open_page(page, app_url, SMALL + "&sw_opts=adam")
    assert page.locator('[data-testid="stPageLink"]').count() == 0
    page.locator(CHART.format(key="sweep_chart")).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    link = page.locator('[data-testid="stPageLink"] a')
    hovered = """sel => { const gd = document.querySelector(sel);
                 return (gd._hoverdata || []).map(p => p.customdata); }"""
    for _ in range(3):  # plotly may still move its plot area (fonts, legend) after the run: aim again then
        point = point_position(page, "Adam", 24)  # lr = 10^(−4 + 24/8) = 0.1
        assert point["lr"] == pytest.approx(0.1)
        page.mouse.move(point["x"], point["y"])
        page.wait_for_timeout(400)
        if ["adam", point["lr"]] not in page.evaluate(hovered, CHART.format(key="sweep_chart")):
            continue
        page.mouse.click(point["x"], point["y"])
        try:
            link.first.wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            wait_for_app(page)
    wait_for_app(page)
    assert link.count() >= 1, "no Playground link after clicking a sweep point"
    href = link.first.get_attribute("href")
    url = urllib.parse.urlparse(href)
    query = dict(urllib.parse.parse_qsl(url.query))
    assert url.path.rsplit("/", 1)[-1] == "playground"
    assert query["surface"] == "himmelblau" and query["n_opt"] == "1" and query["o1"] == "adam"
    assert query["o1_lr"] == "0.1"
    assert_no_exception(page)
    # following the link opens the Playground with that optimizer and LR
    link.first.click()
    page.wait_for_url("**/playground**", timeout=30_000)
    wait_for_app(page)
    assert "o1_lr=0.1" in page.url and "o1=adam" in page.url
    assert page.locator("h1").first.inner_text().startswith("Loss-surface playground")
    assert_no_exception(page)


def test_switching_to_chinese_changes_labels(page, app_url):
    open_page(page, app_url)
    page.locator('[data-testid="stSidebar"] button').filter(has_text="简体中文").first.click()
    page.wait_for_timeout(400)
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().startswith("分析")
    assert "lang=zh" in page.url and "b_grid=20" in page.url
    assert "学习率" in page.locator('[data-testid="stMain"]').inner_text()
    assert_no_exception(page)
