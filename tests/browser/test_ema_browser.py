"""The EMA page in a real Chromium: loads, smooths an uploaded CSV column, rejects garbage, translates."""

import pytest

from optim_core.smoothing import daily_temperatures, ema
from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

SERIES = ".st-key-ema_series .js-plotly-plot"
SIDEBAR = '[data-testid="stSidebar"]'
TRACE = """([sel, meta]) => { const gd = document.querySelector(sel);
             const d = gd && gd.data.find(t => t.meta === meta);
             return d ? {name: d.name, y: d.y} : null; }"""


def open_page(page, app_url, query: str = ""):
    page.goto(f"{app_url}/ema{query}")
    wait_for_app(page)
    page.wait_for_selector(SERIES, timeout=60_000)


def series_trace(page, meta: str) -> dict:
    return page.evaluate(TRACE, [SERIES, meta])


def upload(page, name: str, data: bytes):
    page.locator(f"{SIDEBAR} label").filter(has_text="Upload a CSV").click()
    wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.wait_for_timeout(500)
    wait_for_app(page)


def test_loads_without_exception(page, app_url):
    open_page(page, app_url)
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().startswith("Exponential moving average")
    temperatures = daily_temperatures(0)
    assert series_trace(page, "raw")["y"] == pytest.approx(temperatures.tolist())
    assert series_trace(page, "ema_hat")["y"] == pytest.approx(ema(temperatures, 0.9).tolist(), abs=1e-5)
    assert page.locator(".st-key-ema_kernel .js-plotly-plot").count() == 1
    assert page.locator(".st-key-ema_first_moment .js-plotly-plot").count() == 1
    assert page.locator(".katex").count() >= 3  # the formulas are typeset


def test_uploaded_csv_column_is_drawn(page, app_url):
    open_page(page, app_url)
    loss = [3.0, 2.6, 2.7, 2.1, 2.2, 1.8, 1.9, 1.5, 1.6, 1.2]
    csv = "epoch,loss\n" + "".join(f"{i + 1},{v}\n" for i, v in enumerate(loss))
    upload(page, "losses.csv", csv.encode())
    # the first numeric column is shown first; pick "loss" (the sidebar scrolls to it first: a list that
    # opens while its container scrolls closes again)
    column = page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]')
    column.scroll_into_view_if_needed()
    column.click()
    page.get_by_role("option", name="loss").click()
    page.wait_for_timeout(500)
    wait_for_app(page)
    assert_no_exception(page)
    assert series_trace(page, "raw")["y"] == pytest.approx(loss)
    assert series_trace(page, "ema_hat")["y"] == pytest.approx(ema(loss, 0.9).tolist(), abs=1e-5)
    assert "cannot be part of the link" in page.locator(SIDEBAR).inner_text()
    assert "source=upload" in page.url


def test_garbage_upload_shows_an_error_not_a_traceback(page, app_url):
    open_page(page, app_url)
    upload(page, "garbage.csv", bytes(range(256)) * 40)
    assert_no_exception(page)
    error = page.locator('[data-testid="stAlert"]').filter(has_text="cannot be used").first.inner_text()
    assert "'garbage.csv' cannot be used" in error and "UTF-8" in error
    # the page carries on with the temperatures
    assert len(series_trace(page, "raw")["y"]) == 365


def test_switching_to_chinese_changes_labels(page, app_url):
    open_page(page, app_url)
    page.locator(f"{SIDEBAR} button").filter(has_text="简体中文").first.click()
    page.wait_for_timeout(400)
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().startswith("指数移动平均")
    assert "lang=zh" in page.url
    assert "偏差修正" in page.locator('[data-testid="stMain"]').inner_text()
    assert series_trace(page, "ema_hat")["name"] == "EMA v̂ₜ(偏差修正)"
    assert_no_exception(page)
