"""Presenter mode on a projector, the player keys, the view-only link and the toolbar, in a real Chromium."""

from __future__ import annotations

import pytest

from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

CHART = '[data-testid="stPlotlyChart"]'
MAP = f"{CHART} .js-plotly-plot"
STEP = '.st-key-t input[type="range"]'


@pytest.fixture
def sized(browser):
    """A page of a given viewport size (the `page` fixture's error log included)."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def open_page(page, app_url, query: str) -> None:
    page.goto(f"{app_url}/playground?{query}")
    wait_for_app(page)
    page.wait_for_selector(MAP, timeout=60_000)
    wait_for_app(page)


def inside(box: dict, width: int, height: int) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


def step(page) -> int:
    return int(page.locator(STEP).input_value())


def wait_for_step(page, test: str, timeout: float = 30_000) -> None:
    """Wait until the inspected step `s` passes `test` (JavaScript, e.g. "s === 51"); a rerun may
    briefly take the slider away."""
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('{STEP}'); if (!e) return false;"
        f" const s = +e.value; return {test}; }}",
        timeout=timeout,
    )


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_presenter_mode_gives_the_first_screen_to_the_map_and_its_player(sized, app_url, width, height):
    page = sized(width, height)
    open_page(page, app_url, "present=true&n_opt=6")
    assert_no_exception(page)
    # the whole figure (its Plotly player included) and the step row with its keys, with no scrolling
    for selector in (CHART, ".st-key-step_back", ".st-key-step_play", ".st-key-step_fwd", ".st-key-t"):
        box = page.locator(selector).first.bounding_box()
        assert box and inside(box, width, height), (selector, box)
    assert page.evaluate("() => window.scrollY") == 0
    # the controls are in the drawer, closed at the start
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_attribute("data-collapsed") == "true"
    # opened, every optimizer's name shows whole ("SGD + momentum", not "SGD")
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.wait_for_timeout(800)
    assert sidebar.get_attribute("data-collapsed") == "false"
    shown = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSelectbox"] input')]
                 .filter(e => e.getAttribute('aria-label').startsWith('Optimizer'))
                 .map(e => ({name: e.value, cut: e.scrollWidth > e.clientWidth + 1}))"""
    )
    assert len(shown) == 6 and {"name": "SGD + momentum", "cut": False} in shown, shown
    assert not [s for s in shown if s["cut"]], shown


def test_arrow_keys_step_and_space_plays_and_pauses(sized, app_url):
    page = sized(1280, 720)
    open_page(page, app_url, "present=true&steps=200&t=50")  # the focus on the page, in no widget
    page.keyboard.press("ArrowRight")
    wait_for_step(page, "s === 51")
    page.keyboard.press("ArrowLeft")
    wait_for_step(page, "s === 50")
    page.keyboard.press("ArrowLeft")
    wait_for_step(page, "s === 49")
    wait_for_app(page)

    page.keyboard.press("Space")  # plays: the inspected step moves on by itself, tick after tick
    wait_for_step(page, "s >= 70")
    assert "Pause" in page.locator(".st-key-step_play").inner_text()
    page.keyboard.press("Space")  # pauses
    page.wait_for_function("() => document.querySelector('.st-key-step_play')?.innerText.includes('Play')")
    wait_for_app(page)
    paused = step(page)
    page.wait_for_timeout(2000)
    assert step(page) == paused < 200
    assert f"t={paused}" in page.url
    assert_no_exception(page)


def test_the_view_only_link_shows_the_figure_and_no_controls(sized, app_url):
    page = sized(1280, 720)
    open_page(page, app_url, "n_opt=3&o3=adamw&view=watch")
    assert_no_exception(page)
    assert page.locator(MAP).is_visible()
    heads = page.evaluate(
        f"() => document.querySelector('{MAP}').data.find(d => d.meta === 'heads').x.length"
    )
    assert heads == 3
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stExpandSidebarButton"]').is_visible()
    for widget in ("stSlider", "stSelectbox", "stButton", "stNumberInput", "stRadio", "stCheckbox"):
        assert page.locator(f'[data-testid="{widget}"]').count() == 0, widget


def test_the_link_offered_in_the_sidebar_is_the_view_only_link(sized, app_url):
    page = sized(1280, 900)
    open_page(page, app_url, "n_opt=2&o2=nadam")
    link = page.locator('[data-testid="stSidebar"] a[href*="view=watch"]').get_attribute("href")
    assert link.startswith(app_url) and "view=watch" in link and "o2=nadam" in link, link
    page.goto(link)
    wait_for_app(page)
    page.wait_for_selector(MAP, timeout=60_000)
    assert page.locator('[data-testid="stSlider"]').count() == 0


def test_users_see_no_deploy_button_nor_developer_options(sized, app_url):
    page = sized(1280, 720)
    open_page(page, app_url, "")
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    page.locator('[data-testid="stMainMenu"]').click()
    menu = page.locator('[data-testid="stMainMenuPopover"]')
    menu.wait_for()
    text = menu.inner_text()
    assert "Rerun" not in text and "Clear cache" not in text and "Deploy" not in text, text


@pytest.mark.parametrize("kind,magic", [("gif", b"GIF89a"), ("mp4", b"ftyp")])
def test_the_animation_downloads_for_slides(sized, app_url, kind, magic):
    page = sized(1280, 900)
    open_page(page, app_url, "n_opt=6")
    page.locator(f".st-key-pg_make_{kind} button").click()
    download_button = page.locator(f".st-key-pg_download_{kind} button")
    download_button.wait_for(timeout=60_000)  # a progress bar meanwhile, then the file's button
    with page.expect_download() as download:
        download_button.click()
    data = open(download.value.path(), "rb").read()
    assert magic in data[:12] and len(data) > 10_000
    assert_no_exception(page)
