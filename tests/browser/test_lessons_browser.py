"""The Lessons page in a real Chromium: predict, reveal, the map animates; the keys; the first screen
on a projector (1280×720, presenter mode) and a phone (375 px wide)."""

import pytest

from optim_core.lessons import load_lessons
from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

LESSONS = load_lessons()
PLAYGROUND = next(lesson for lesson in LESSONS if lesson.scene.page == "playground")


def box(lesson_id: str) -> str:
    return f".st-key-les_scene_{lesson_id}_box .js-plotly-plot"


def open_lesson(page, app_url, query: str) -> None:
    page.goto(f"{app_url}/lessons{query}")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)


def predict(page, lesson) -> None:
    page.locator('[data-testid="stMain"] [data-testid="stRadioOption"]').first.click()
    wait_for_app(page)


def verdict(page):
    """The box with the computed answer (and right / wrong), shown after the reveal."""
    return page.locator('[data-testid="stAlert"]').filter(has_text="The engine's answer:")


def heads(page, selector: str) -> list:
    return page.evaluate(
        """sel => { const gd = document.querySelector(sel);
                 const h = gd && gd.data.find(d => d.meta === 'heads');
                 return h ? h.x.map((x, i) => [x, h.y[i]]) : null; }""",
        selector,
    )


def test_predict_reveal_and_the_map_animates(page, app_url):
    lesson = PLAYGROUND
    open_lesson(page, app_url, f"?lesson={lesson.id}")
    reveal = page.locator(".st-key-les_reveal button >> visible=true").first
    assert reveal.is_disabled(), "no reveal before a prediction"
    frames = "sel => { const gd = document.querySelector(sel); return gd._transitionData._frames.length; }"
    assert page.evaluate(frames, box(lesson.id)) <= 1, "nothing to play before the reveal"
    predict(page, lesson)
    assert not reveal.is_disabled()
    reveal.click()
    page.wait_for_selector(box(lesson.id) + " .updatemenu-button", timeout=60_000)
    assert page.evaluate(frames, box(lesson.id)) > 10
    # the reveal plays the animation by itself: the heads move without a click on ▶
    first = heads(page, box(lesson.id))
    page.wait_for_timeout(700)
    later = heads(page, box(lesson.id))
    assert first is not None and later is not None and first != later
    wait_for_app(page)
    assert verdict(page).count() == 1
    assert_no_exception(page)


def test_keys_next_previous_and_reveal(page, app_url):
    open_lesson(page, app_url, "")
    page.keyboard.press("n")
    wait_for_app(page)
    assert f"lesson={LESSONS[1].id}" in page.url
    page.keyboard.press("p")
    wait_for_app(page)
    assert "lesson=" not in page.url  # the first lesson is the default
    predict(page, LESSONS[0])
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("v")
    wait_for_app(page)
    assert verdict(page).count() == 1
    assert_no_exception(page)


def test_presenter_first_screen_holds_the_figure_and_the_question(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_lesson(page, app_url, f"?present=true&lesson={PLAYGROUND.id}")
        figure = page.locator(box(PLAYGROUND.id)).bounding_box()
        question = page.locator('[data-testid="stMain"] [data-testid="stRadio"]').bounding_box()
        reveal = page.locator(".st-key-les_reveal button >> visible=true").first.bounding_box()
        for name, rect in (("figure", figure), ("question", question), ("reveal", reveal)):
            assert rect is not None, name
            assert rect["y"] >= 0 and rect["y"] + rect["height"] <= 720 + 1, (name, rect)
            assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 1280 + 1, (name, rect)
    finally:
        context.close()


def test_phone_width_has_no_horizontal_scroll(browser, app_url):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_lesson(page, app_url, f"?lesson={PLAYGROUND.id}")
        predict(page, PLAYGROUND)
        page.locator(".st-key-les_reveal button >> visible=true").first.click()
        wait_for_app(page)
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 375, wide
    finally:
        context.close()
