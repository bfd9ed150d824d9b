"""Slider change -> chart redrawn, in real Chromium: the playground vs a bare one-slider contour page.

Run: .venv/bin/python tests/benchmarks/bench_page_latency.py [--changes 20] [--warmup 2]
Prints one JSON object. Target: playground median ≤ 1.5 × the bare page's median.

Both pages run in the same harness and the same run, each on its own Streamlit server, open side by
side in one browser; the playground uses 4 optimizers × 300 steps. The changes alternate between the
two pages (bare, playground, playground, bare, ...), so a slow minute on a shared machine slows both
sides alike instead of landing on one of them.

Two times per change: "redrawn", the target (the map shows the new data), and "settled", reported
beside it: until the browser's last long task (> 50 ms) of the change ended, which includes the
elements the rerun redraws after the map (the readout table, the sliders).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import launch_browser, streamlit_server, wait_for_app  # noqa: E402

MAP = '[data-testid="stPlotlyChart"] .js-plotly-plot'
# A signature of what the map shows: changes when the chart is remounted or its data updated.
SIGNATURE = """sel => { const gd = document.querySelector(sel);
  if (!gd || !gd.data || !gd._fullLayout || !gd.querySelector('.main-svg')) return null;
  return (gd.__benchId || '') + '|' + JSON.stringify(gd.data.map(d => [d.x && d.x.length,
          d.x && d.x[d.x.length - 1], d.y && d.y[d.y.length - 1],
          d.z && d.z.length && d.z[5] && d.z[5][7]])); }"""
MARK = "sel => { const gd = document.querySelector(sel); gd.__benchId = 'old'; }"
# Long tasks and the key press, in the page's clock (installed before the page loads).
WATCH = """(() => { window.__longTasks = [];
  new PerformanceObserver(list => {
      for (const e of list.getEntries()) window.__longTasks.push(e.startTime + e.duration); })
    .observe({entryTypes: ['longtask']});
  document.addEventListener('keydown',
      () => { window.__keyAt = performance.now(); window.__longTasks = []; }, true); })();"""
SETTLED = "() => Math.max(window.__redrawnAt, ...window.__longTasks) - window.__keyAt"
PAGES = {  # name: (script, URL path, the slider that is moved)
    "bare": (
        ROOT / "tests" / "benchmarks" / "bare_page.py",
        "",
        '[data-testid="stMain"] input[type="range"]',
    ),
    "playground": (
        ROOT / "app" / "main.py",
        "/playground?steps=300&o1_lr=0.0001",
        '.st-key-o1_lr input[type="range"]',
    ),
}


def change_once(page, slider_selector: str) -> tuple[float, float]:
    """Press ArrowRight on the slider once: (seconds until the map shows new data, until the page settled)."""
    page.wait_for_selector(MAP)
    page.evaluate(MARK, MAP)
    before = page.evaluate(SIGNATURE, MAP)
    thumb = page.locator(slider_selector)
    thumb.focus()
    start = time.perf_counter()
    thumb.press("ArrowRight")
    page.wait_for_function(
        f"""before => {{ const s = ({SIGNATURE})('{MAP}');
                                 if (s === null || s === before) return false;
                                 window.__redrawnAt = performance.now(); return true; }}""",
        arg=before,
        timeout=30_000,
        polling="raf",
    )
    elapsed = time.perf_counter() - start
    wait_for_app(page)  # at least 0.6 s of quiet: the page's long tasks of this change are over
    return elapsed, page.evaluate(SETTLED) / 1000


def run(changes: int = 20, warmup: int = 2) -> dict:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {name: [] for name in PAGES}
    settled: dict[str, list[float]] = {name: [] for name in PAGES}
    with sync_playwright() as playwright, contextlib.ExitStack() as servers:
        browser = launch_browser(playwright)
        pages = {}
        for name, (script, path, _) in PAGES.items():
            url = servers.enter_context(streamlit_server(script))
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.add_init_script(WATCH)
            page.goto(url + path)
            wait_for_app(page)
            page.wait_for_selector(MAP, timeout=60_000)
            pages[name] = page
        for _ in range(warmup):  # caches, first paint
            for name, (_, _, slider) in PAGES.items():
                change_once(pages[name], slider)
        for i in range(changes):
            order = (
                list(PAGES) if i % 2 == 0 else list(reversed(PAGES))
            )  # ABBA: neither side always goes first
            for name in order:
                redrawn, quiet = change_once(pages[name], PAGES[name][2])
                times[name].append(redrawn)
                settled[name].append(quiet)
        browser.close()
    bare, playground = statistics.median(times["bare"]), statistics.median(times["playground"])
    return {
        "benchmark": "page_latency",
        "changes": changes,
        "unit": "s",
        "bare_median": round(bare, 4),
        "playground_median": round(playground, 4),
        "bare_all": [round(v, 4) for v in times["bare"]],
        "playground_all": [round(v, 4) for v in times["playground"]],
        "ratio": round(playground / bare, 3),
        "target_ratio_max": 1.5,
        "met": playground / bare <= 1.5,
        "settled_bare_median": round(statistics.median(settled["bare"]), 4),
        "settled_playground_median": round(statistics.median(settled["playground"]), 4),
        "settled_ratio": round(
            statistics.median(settled["playground"]) / statistics.median(settled["bare"]), 3
        ),
        "setup": "4 optimizers x 300 steps, defaults otherwise; Chromium headless --disable-gpu; "
        "changes alternate between the two pages",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="changes per page before timing")
    args = parser.parse_args()
    print(json.dumps(run(args.changes, args.warmup), indent=2))
