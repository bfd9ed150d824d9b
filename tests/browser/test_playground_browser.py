"""The playground in a real Chromium: loads, reacts to sliders, animates, restores URLs, translates."""

import json
import urllib.parse

import pytest

from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

MAP = '[data-testid="stPlotlyChart"] .js-plotly-plot'


def open_page(page, app_url, query: str = ""):
    page.goto(f"{app_url}/playground{query}")
    wait_for_app(page)
    page.wait_for_selector(MAP, timeout=60_000)


def map_paths(page) -> list:
    """The static path traces of the map (lines with more than a few points)."""
    data = page.evaluate(
        """sel => { const gd = document.querySelector(sel);
                 return gd.data.filter(d => d.mode === 'lines' && d.x && d.x.length > 30 && !d.xaxis)
                               .map(d => ({name: d.name, x: d.x, y: d.y})); }""",
        MAP,
    )
    return data


def test_loads_without_exception(page, app_url):
    open_page(page, app_url)
    assert_no_exception(page)
    assert len(map_paths(page)) == 4
    assert page.locator("h1").first.inner_text().startswith("Loss-surface playground")


def test_lr_slider_changes_the_path(page, app_url):
    open_page(page, app_url, "?n_opt=1&o1=sgd")
    before = map_paths(page)[0]
    thumb = page.locator('.st-key-o1_lr input[type="range"]')
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowRight")
    page.wait_for_timeout(500)
    wait_for_app(page)
    after = map_paths(page)[0]
    assert after["x"] != before["x"] or after["y"] != before["y"]
    assert "o1_lr=" in page.url


def test_play_advances_the_animation(page, app_url):
    open_page(page, app_url, "?t=0")
    heads = """sel => { const gd = document.querySelector(sel);
                const heads = gd.data.find(d => d.meta === 'heads');
                return heads.x.map((x, i) => [x, heads.y[i]]); }"""
    first = page.evaluate(heads, MAP)
    page.locator(".updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_timeout(1500)
    later = page.evaluate(heads, MAP)
    assert len(first) == 4 and len(later) == 4 and first != later
    active = page.evaluate("sel => document.querySelector(sel)._fullLayout.sliders[0].active", MAP)
    assert active > 0


def test_the_surface_picture_is_drawn_under_the_paths(page, app_url):
    open_page(page, app_url)
    drawn = page.evaluate(
        """sel => { const gd = document.querySelector(sel);
        const image = gd.querySelector('.layer-below image, .imagelayer image');
        const box = image && image.getBoundingClientRect();
        const plot = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return image && {href: image.getAttribute('href') || image.getAttribute('xlink:href'),
                         dx: Math.abs(box.left - plot.left), dw: Math.abs(box.width - plot.width)}; }""",
        MAP,
    )
    assert drawn and drawn["href"].startswith("data:image/png")
    assert drawn["dx"] < 2 and drawn["dw"] < 2, "the picture covers the map's axes exactly"


def test_url_reproduces_settings(page, app_url):
    query = "?surface=himmelblau&n_opt=2&o1=adam&o1_lr=0.1&o2=nesterov&steps=120&x0=0.5&y0=-0.5"
    open_page(page, app_url, query)
    assert_no_exception(page)
    paths = map_paths(page)
    assert len(paths) == 2 and all(len(p["x"]) == 121 for p in paths)
    assert paths[0]["x"][0] == pytest.approx(0.5) and paths[0]["y"][0] == pytest.approx(-0.5)
    assert page.locator(".st-key-surface input").first.input_value() == "Himmelblau"
    # the URL keeps exactly those settings
    params = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert params["surface"] == ["himmelblau"] and params["o1_lr"] == ["0.1"]


def test_bad_url_value_falls_back_with_notice(page, app_url):
    open_page(page, app_url, "?steps=banana&o1_lr=-5")
    assert_no_exception(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "steps" in text and "banana" in text


def test_hostile_formula_shows_an_error_not_a_traceback(page, app_url, tmp_path):
    marker = tmp_path / "pwned"
    formula = f"__import__('os').system('touch {marker}')"
    page.goto(f"{app_url}/playground?surface=custom&formula={urllib.parse.quote(formula)}")
    wait_for_app(page)
    assert_no_exception(page)
    error = page.locator('[data-testid="stAlert"]').first.inner_text()
    assert "formula" in error.lower()
    assert not marker.exists()


def test_switching_to_chinese_changes_labels(page, app_url):
    open_page(page, app_url)
    page.locator('[data-testid="stSidebar"] button').filter(has_text="简体中文").first.click()
    page.wait_for_timeout(400)
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().startswith("损失曲面游乐场")
    assert "lang=zh" in page.url
    assert "梯度" in page.locator('[data-testid="stSidebar"]').inner_text()
    assert_no_exception(page)
    json.dumps(map_paths(page))  # the figure is still there


def test_clicking_the_map_sets_the_start(page, app_url):
    open_page(page, app_url, "?surface=bowl")
    # the pixel of the point (1, -1) on the map's axes
    x, y = page.evaluate(
        """sel => { const gd = document.querySelector(sel);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [box.left + xa.d2p(1.0), box.top + ya.d2p(-1.0)]; }""",
        MAP,
    )
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_timeout(1000)
    wait_for_app(page)
    params = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    # the invisible grid snaps the click to its nearest point, within one grid cell of (1, -1)
    assert abs(float(params["x0"][0]) - 1.0) < 0.2 and abs(float(params["y0"][0]) + 1.0) < 0.2
    paths = map_paths(page)
    assert paths[0]["x"][0] == pytest.approx(float(params["x0"][0]))
    # the click reran the whole page: the sidebar's start shows the clicked point too
    assert float(page.locator(".st-key-x0 input").input_value()) == pytest.approx(float(params["x0"][0]))
    assert_no_exception(page)


def received(page) -> list[bytes]:
    """The websocket's frames from the server, from now on."""
    frames: list[bytes] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode()),
        ),
    )
    return frames


def test_lr_change_reruns_only_the_map_fragment(page, app_url):
    """An LR slider (at a desk, above the map) reruns the map's fragment alone: neither the sidebar nor the
    LR sliders are sent again, they stay on the screen, and the link still follows."""
    frames = received(page)
    open_page(page, app_url, "?n_opt=2&o1=sgd")
    assert any(b"Common settings" in f for f in frames), "a whole-page run sends the sidebar"
    assert any(b"-o2_lr" in f for f in frames)
    before = map_paths(page)[0]
    frames.clear()
    thumb = page.locator('.st-key-o1_lr input[type="range"]')
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_timeout(500)
    wait_for_app(page)
    assert map_paths(page)[0]["x"] != before["x"]
    assert frames and not any(b"Common settings" in f for f in frames), "the LR change reran the whole page"
    assert not any(b"-o2_lr" in f for f in frames), "the LR change sent the LR sliders again"
    assert "o1_lr=" in page.url
    for key in ("o1_lr", "o2_lr"):
        assert page.locator(f'.st-key-{key} input[type="range"]').is_visible()
    assert_no_exception(page)


def test_choosing_another_optimizer_updates_the_rules_and_the_link(page, app_url):
    open_page(page, app_url, "?n_opt=1&o1=sgd")
    tex = """() => [...document.querySelectorAll('[data-testid="stMain"] .katex annotation')]
                   .map(a => a.textContent).join(' ')"""
    assert "beta_2" not in page.evaluate(tex)
    page.locator('.st-key-o1 [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="Adam", exact=True).click()
    page.wait_for_timeout(500)
    wait_for_app(page)
    assert_no_exception(page)
    assert "o1=adam" in page.url
    assert map_paths(page)[0]["name"].startswith("Adam")
    # the update rules beside the fragment follow: a whole-page run draws them
    assert "beta_2" in page.evaluate(tex)


@pytest.mark.parametrize(
    ("formula", "shown"),
    [
        ("0.1*(x**2 + y**2)", "0.1*(x**2 + y**2)"),  # the caption: ** and * are not bold or italic
        ("9**9**9", "9**9**9"),  # the error quotes the formula as typed
        ("x² - y²", "x**2 - y**2"),  # the hint: type it in plain ASCII, e.g. x**2 - y**2
    ],
)
def test_typed_formulas_are_shown_as_typed(page, app_url, formula, shown):
    open_page_without_map = f"{app_url}/playground?surface=custom&formula={urllib.parse.quote(formula)}"
    page.goto(open_page_without_map)
    wait_for_app(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert shown in text, text
    assert_no_exception(page)


def test_the_step_line_on_the_loss_panel_follows_play(page, app_url):
    open_page(page, app_url, "?n_opt=2&o1=sgd&o2=adam&t=0")
    line = """sel => { const gd = document.querySelector(sel);
               const trace = gd.data.find(d => d.meta === 'loss-markers');
               return {x: trace.x, shapes: (gd.layout.shapes || []).filter(s => s.xref === 'x3').length}; }"""
    before = page.evaluate(line, MAP)
    assert set(before["x"]) == {0} and before["shapes"] == 0
    page.locator(".updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_timeout(1500)
    during = page.evaluate(line, MAP)
    assert len(set(during["x"])) == 1 and during["x"][0] > 0, "the line and the markers moved together"


def test_update_rules_sit_beside_the_map_and_fit_at_1440(browser, app_url):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    open_page(page, app_url, "?n_opt=4&o1=sgd&o2=momentum&o3=adam&o4=nadam&clip=true")
    rules = page.locator(".st-key-pg_rules").bounding_box()
    chart = page.locator('[data-testid="stPlotlyChart"]').first.bounding_box()
    assert rules and chart and rules["x"] >= chart["x"] + chart["width"] - 1, "to the right of the map"
    assert rules["y"] < chart["y"] + chart["height"] and rules["y"] + rules["height"] > chart["y"]
    widths = page.evaluate(
        """() => [...document.querySelectorAll('.st-key-pg_rules .katex-display')]
                 .map(e => [e.scrollWidth, e.clientWidth])"""
    )
    assert len(widths) == 4 and all(scroll <= client + 1 for scroll, client in widths), widths
    assert_no_exception(page)
    context.close()
