"""The Training page in a real Chromium.

A 2-optimizer run streams its curves, stops, and survives a reload.
"""

import re

import pytest

from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

LOSS = ".st-key-tr_chart_loss_box"
# What the loss chart has drawn: the points of its line paths (SVG renderer) and its largest x-axis label.
DRAWN = """(sel) => {
    const box = document.querySelector(sel);
    if (!box) return null;
    const paths = [...box.querySelectorAll('svg g.mark-line path')];
    const points = paths.reduce((n, p) => n + (p.getAttribute('d') || '').split('L').length, 0);
    const xs = [...box.querySelectorAll('svg g.role-axis-label text')]
        .map(t => parseFloat(t.textContent.replace(/,/g, '')));
    return {points, paths: paths.length, xmax: Math.max(...xs.filter(isFinite))};
}"""
HISTORY_CELLS = """() => [...document.querySelectorAll(
    '[data-testid="stDataFrame"] [role=gridcell], [data-testid="stDataFrame"] td')]
    .map(c => c.innerText.trim())"""
CURVES_DRAWN = f"() => {{ const d = ({DRAWN})('{LOSS}'); return d && d.points > 2; }}"


def drawn(page) -> dict | None:
    return page.evaluate(DRAWN, LOSS)


def test_a_run_streams_stops_and_is_still_there_after_a_reload(page, app_url):
    # two optimizers, a narrow model and small batches: hundreds of epochs,
    # so it is still running when stopped
    page.goto(f"{app_url}/training?lanes=2&epochs=300&width=0.5&bs=16")
    wait_for_app(page)
    assert_no_exception(page)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"[?&]run=\d+"), timeout=60_000)
    run = int(re.search(r"[?&]run=(\d+)", page.url).group(1))
    page.wait_for_function(CURVES_DRAWN, timeout=90_000)

    # the curves grow while we watch: the fragment polls the store and Vega updates the chart in place
    first = drawn(page)
    assert first["paths"] == 4  # 2 optimizers, each a faint raw line under its smoothed one
    page.wait_for_timeout(3000)
    second = drawn(page)
    assert second["points"] > first["points"] or second["xmax"] > first["xmax"], (first, second)
    assert page.locator('[data-testid="stProgress"]').count() == 1

    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped after epoch").wait_for(timeout=60_000)
    wait_for_app(page)
    assert_no_exception(page)
    assert page.get_by_role("button", name="Resume").count() == 1
    stopped = drawn(page)
    page.wait_for_timeout(2500)  # a stopped run no longer polls: nothing changes
    assert drawn(page) == stopped

    # a reload (the URL keeps run=<id>) finds the run, its curves and the history entry
    page.reload()
    wait_for_app(page)
    assert_no_exception(page)
    assert f"run={run}" in page.url
    assert page.get_by_role("heading", name=re.compile(rf"Run #{run}\b")).count() == 1
    page.get_by_text("Stopped after epoch").wait_for(timeout=30_000)
    page.wait_for_function(CURVES_DRAWN, timeout=30_000)
    assert drawn(page)["points"] == stopped["points"]
    cells = page.evaluate(HISTORY_CELLS)
    row = cells.index(f"#{run}")
    assert cells[row + 1] == "stopped"
    assert "SGD, SGD + momentum" in cells[row : row + 7]

    # the bare link with the run id, in a fresh page, opens the same run
    page.goto(f"{app_url}/training?run={run}")
    wait_for_app(page)
    assert_no_exception(page)
    page.get_by_text("Stopped after epoch").wait_for(timeout=30_000)
    assert page.get_by_role("heading", name=re.compile(rf"Run #{run}\b")).count() == 1


# Texts the browser cut with an ellipsis ("Log-s…", "Clo…"): an element whose text overflows its box.
CUT_TEXTS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1
                 && e.innerText)
    .map(e => e.innerText.trim())"""


def test_no_label_of_the_open_run_is_cut_off(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/training?lanes=2&epochs=1&width=0.25&subset=200")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"[?&]run=\d+"), timeout=60_000)
    run = int(re.search(r"[?&]run=(\d+)", page.url).group(1))
    for width, height, present in ((1280, 720, True), (1280, 720, False), (375, 800, False)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{app_url}/training?run={run}" + ("&present=true" if present else ""))
        wait_for_app(page)
        page.get_by_text("Finished 1 epoch").wait_for(timeout=60_000)
        assert_no_exception(page)
        assert page.evaluate(CUT_TEXTS) == [], (width, present)
