"""Start the app on a free port and drive Debian's Chromium with Playwright (no browser download).

Shared by the browser tests and tests/benchmarks/bench_page_latency.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError(
            "Debian's chromium is not installed: run `make test` as root, or apt-get install chromium"
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    script: str | Path = ROOT / "app" / "main.py", env: dict | None = None, timeout: float = 90
):
    """Run `streamlit run script` on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.address",
        "127.0.0.1",
    ]
    log = open(ROOT / f".streamlit-test-{port}.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)


def wait_for_app(page, timeout: float = 90_000) -> None:
    """Wait until the script run finished and the page settled.

    Settled: the script is not running and no widget skeleton (Streamlit loads widget code lazily and
    shows skeletons meanwhile) is on screen, in two looks 0.6 s apart.
    """
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout)
    settled_js = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return !!app && app.getAttribute('data-test-script-state') !== 'running'
            && app.getAttribute('data-test-script-state') !== 'initial'
            && !document.querySelector('[data-testid="stSkeleton"]'); }"""
    deadline = time.monotonic() + timeout / 1000
    streak = 0
    while streak < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not settle")
        streak = streak + 1 if page.evaluate(settled_js) else 0
        page.wait_for_timeout(600)


def assert_no_exception(page) -> None:
    """No Streamlit exception box on the page and no JavaScript error (the `page` fixture collects those)."""
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()
    assert not page.js_errors, page.js_errors
