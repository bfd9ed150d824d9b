"""The Schedules page in a real Chromium.

It loads, hovers exactly, keeps curves, links to the Playground and translates.
"""

import urllib.parse

import pytest

from optim_core.schedules import lr_curve
from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

CHART = ".st-key-curves .js-plotly-plot"
# Every URL the app shows, including those set by history.pushState / replaceState (a page switch sets the
# URL, and the page it lands on may rewrite it at the end of its run).
RECORD_URLS = """
window.__urls = [];
for (const name of ['pushState', 'replaceState']) {
  const original = history[name].bind(history);
  history[name] = (state, title, url) => { if (url) window.__urls.push(String(new URL(url, location.href)));
                                           return original(state, title, url); };
}
"""


def open_page(page, app_url, query: str = ""):
    page.goto(f"{app_url}/schedules{query}")
    wait_for_app(page)
    page.wait_for_selector(CHART, timeout=60_000)
    assert page.locator('[role="dialog"]').count() == 0, page.locator('[role="dialog"]').first.inner_text()


def traces(page) -> list[dict]:
    return page.evaluate(
        "sel => document.querySelector(sel).data.map(d => ({name: d.name, y: Array.from(d.y)}))", CHART
    )


def test_loads_without_exception(page, app_url):
    open_page(page, app_url)
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().startswith("Learning-rate schedules")
    (curve,) = traces(page)
    assert curve["y"] == lr_curve("cosine_annealing_lr", 300, lr=0.1, T_max=300).tolist()
    hover = page.evaluate("sel => document.querySelector(sel)._fullLayout.hovermode", CHART)
    assert hover == "x unified"
    assert page.locator(".st-key-plateau .js-plotly-plot").count() == 1


def test_keep_curve_adds_a_trace_kept_in_the_url(page, app_url):
    open_page(page, app_url, "?sched=step_lr")
    page.get_by_role("button", name="Keep this curve").first.click()
    page.wait_for_timeout(400)
    wait_for_app(page)
    field = page.locator(".st-key-sched_step_size input")
    field.fill("10")
    field.press("Enter")
    page.wait_for_timeout(400)
    wait_for_app(page)
    names = sorted(trace["name"] for trace in traces(page))
    assert names == ["StepLR(step_size=10)", "StepLR(step_size=30)"]
    params = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert params["keep"] == ["step_lr"] and params["sched_step_size"] == ["10"]
    assert_no_exception(page)


def test_playground_link_navigates_with_the_schedule(page, app_url):
    page.add_init_script(RECORD_URLS)
    open_page(page, app_url, "?sched=cosine_annealing_lr&sched_T_max=80")
    link = page.locator('[data-testid="stPageLink"] a').filter(has_text="Use this schedule on the Playground")
    link.first.click()
    page.wait_for_url("**/playground**", timeout=30_000)
    wait_for_app(page)
    urls = page.evaluate("() => window.__urls") + [page.url]
    landed = [urllib.parse.urlparse(u) for u in urls if urllib.parse.urlparse(u).path.endswith("/playground")]
    assert landed, urls
    # the Playground may not read these yet (it may then drop them from the address bar):
    # the link carried them
    carried = [dict(urllib.parse.parse_qsl(u.query)) for u in landed]
    assert any(
        q.get("sched") == "cosine_annealing_lr"
        and q.get("sched_T_max") == "80"
        and q.get("sched_eta_min") == "0"
        for q in carried
    ), urls


def test_switching_to_chinese_changes_labels(page, app_url):
    open_page(page, app_url)
    page.locator('[data-testid="stSidebar"] button').filter(has_text="简体中文").first.click()
    page.wait_for_timeout(400)
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().startswith("学习率调度")
    assert "lang=zh" in page.url
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "保留这条曲线" in main and "在游乐场中使用此调度" in main
    assert_no_exception(page)
    assert len(traces(page)) == 1


def test_bad_url_gives_a_notice_and_an_invalid_combination_an_error(page, app_url):
    open_page(page, app_url, "?steps=banana")
    assert "banana" in page.locator('[data-testid="stMain"]').inner_text()
    page.goto(f"{app_url}/schedules?sched=multi_step_lr&sched_milestones=80,30")
    wait_for_app(page)
    assert_no_exception(page)
    assert "strictly increasing" in page.locator('[data-testid="stAlert"]').first.inner_text()
