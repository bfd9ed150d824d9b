"""Take the README screenshots with Debian's Chromium: `.venv/bin/python tools/screenshots.py [out_dir]`.

Each shot is (file name, URL path + query, viewport). Writes PNGs into assets/ by default: the README
shows them, and the home page's card of each page in app/shared/navigation.py shows assets/<url_path>.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import launch_browser, streamlit_server, wait_for_app  # noqa: E402

SHOTS = [
    ("playground.png", "/playground?t=60", (1600, 1000)),
    ("playground_presenter.png", "/playground?present=true&t=60", (1920, 1080)),
    ("playground_zh.png", "/playground?lang=zh&t=60", (1600, 1000)),
    ("schedules.png", "/schedules?sched=warmup&keep=cosine_annealing_lr", (1600, 1000)),
    ("ema.png", "/ema", (1600, 1000)),
    ("analysis.png", "/analysis", (1600, 1000)),
    ("training.png", "/training", (1600, 1000)),
]


def main(out: Path, only: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, streamlit_server() as url:
        browser = launch_browser(playwright)
        for name, path, (width, height) in SHOTS:
            if only and not any(o in name for o in only):
                continue
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url + path)
            wait_for_app(page)
            page.wait_for_timeout(1500)  # let Plotly finish drawing
            page.screenshot(path=str(out / name), full_page=False)
            page.close()
            print(out / name)
        browser.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    target = Path(args[0]) if args and not args[0].startswith("-") else ROOT / "assets"
    main(target, [a.lstrip("-") for a in args[1:]])
