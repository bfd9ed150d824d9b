"""Slider change -> chart redrawn, in real Chromium: the playground vs a bare one-slider contour page.

Run: .venv/bin/python tests/benchmarks/bench_page_latency.py [--changes 12]
Prints one JSON object. Target: playground median ≤ 1.5 × the bare page's median.
Both pages run in the same harness and the same run; the playground uses 4 optimizers × 300 steps.
"""

from __future__ import annotations

import argparse
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
          d.x && d.x[d.x.length - 1], d.y && d.y[d.y.length - 1], d.z && d.z.length && d.z[5] && d.z[5][7]])); }"""
MARK = "sel => { const gd = document.querySelector(sel); gd.__benchId = 'old'; }"


def measure(page, slider_selector: str, changes: int) -> list[float]:
    """Press ArrowRight on the slider `changes` times; time each press until the map shows new data."""
    times = []
    thumb = page.locator(slider_selector)
    for _ in range(changes):
        page.wait_for_selector(MAP)
        page.evaluate(MARK, MAP)
        before = page.evaluate(SIGNATURE, MAP)
        thumb.focus()
        start = time.perf_counter()
        thumb.press("ArrowRight")
        page.wait_for_function(f"before => {{ const s = ({SIGNATURE})('{MAP}'); return s !== null && s !== before; }}",
                               arg=before, timeout=30_000, polling="raf")
        times.append(time.perf_counter() - start)
        wait_for_app(page)
    return times


def run(changes: int = 12) -> dict:
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        for name, script, path, slider in [
            ("bare", ROOT / "tests" / "benchmarks" / "bare_page.py", "", '[data-testid="stMain"] input[type="range"]'),
            ("playground", ROOT / "app" / "main.py", "/playground?steps=300&o1_lr=0.0001",
             '.st-key-o1_lr input[type="range"]'),
        ]:
            with streamlit_server(script) as url:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(url + path)
                wait_for_app(page)
                page.wait_for_selector(MAP, timeout=60_000)
                measure(page, slider, 2)  # warm-up: caches, first paint
                results[name] = measure(page, slider, changes)
                page.close()
        browser.close()
    bare, playground = statistics.median(results["bare"]), statistics.median(results["playground"])
    return {
        "benchmark": "page_latency", "changes": changes, "unit": "s",
        "bare_median": round(bare, 4), "playground_median": round(playground, 4),
        "bare_all": [round(v, 4) for v in results["bare"]],
        "playground_all": [round(v, 4) for v in results["playground"]],
        "ratio": round(playground / bare, 3), "target_ratio_max": 1.5, "met": playground / bare <= 1.5,
        "setup": "4 optimizers x 300 steps, defaults otherwise; Chromium headless --disable-gpu",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=12)
    print(json.dumps(run(parser.parse_args().changes), indent=2))
