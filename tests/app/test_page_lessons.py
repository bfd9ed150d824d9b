"""The Lessons page (AppTest): the list, predict -> reveal (the computed answer, never the file's), the
explanation, "try it yourself" links that open the scene's exact state, the lesson id in the URL."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.views.lessons import links
from optim_core.lessons import EmaScene, PlaygroundScene, ScheduleScene, decide, load_lessons
from optim_core.lessons.load import DEFAULT_FOLDER
from optim_core.lessons.measure import ema_curves, run_scene, schedule_curves
from tests.app.apptest import open_view

LESSONS = load_lessons()
BY_KIND = {
    page: next((lesson for lesson in LESSONS if lesson.scene.page == page), None)
    for page in ("playground", "schedules", "ema")
}


def lessons_page(query: dict | None = None, **kwargs) -> AppTest:
    return open_view("lessons", query, **kwargs)


def list_radio(at: AppTest):
    return next(r for r in at.sidebar.radio if r.key == "lesson")


def pick_radio(at: AppTest, lesson_id: str):
    return next(r for r in at.radio if r.key == f"les_pick_{lesson_id}")


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def texts(at: AppTest) -> str:
    parts = [m.value for m in (*at.title, *at.markdown, *at.caption, *at.success, *at.info, *at.subheader)]
    return "\n".join(parts)


def chart(at: AppTest, key: str) -> dict:
    for element in at.get("plotly_chart"):
        if element.proto.id and key in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no plotly chart with key {key}")


def full_paths(spec: dict, steps: int) -> list[dict]:
    """The faint full paths on a Playground map (the loss panel's lines use other axes)."""
    return [
        d for d in spec["data"] if d.get("mode") == "lines" and "xaxis" not in d and len(d["x"]) == steps + 1
    ]


def unescape(text: str) -> str:
    """Markdown text as shown: literal() escapes punctuation with a backslash."""
    return text.replace("\\", "")


# ---- the list and the URL ------------------------------------------------------------------------
def test_the_page_lists_every_shipped_lesson():
    assert len(LESSONS) >= 2
    at = lessons_page()
    radio = list_radio(at)
    expected = [f"{i}. {lesson.title['en']}" for i, lesson in enumerate(LESSONS, start=1)]
    assert [unescape(option) for option in radio.options] == expected
    assert radio.value == LESSONS[0].id
    assert LESSONS[0].title["en"] in unescape(texts(at))


def test_a_lesson_id_in_the_url_opens_that_lesson():
    lesson = LESSONS[-1]
    at = lessons_page({"lesson": lesson.id})
    assert list_radio(at).value == lesson.id
    assert unescape(lesson.question["en"]) in unescape(texts(at))
    assert button(at, "les_next").disabled and not button(at, "les_previous").disabled


def test_an_unknown_lesson_id_gives_a_notice_not_a_traceback():
    at = lessons_page({"lesson": "no-such-lesson"})
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "lesson" in notices and "no-such-lesson" in unescape(notices)
    assert list_radio(at).value == LESSONS[0].id


def test_next_and_previous_move_through_the_lessons():
    at = lessons_page()
    button(at, "les_next").click().run()
    assert list_radio(at).value == LESSONS[1].id
    assert at.query_params["lesson"] in (LESSONS[1].id, [LESSONS[1].id])  # the link opens it
    button(at, "les_previous").click().run()
    assert list_radio(at).value == LESSONS[0].id


def test_chinese_lesson_text():
    at = lessons_page({"lang": "zh"})
    assert unescape(LESSONS[0].question["zh"]) in unescape(texts(at))
    assert button(at, "les_reveal").label == "揭晓"


# ---- predict -> reveal ---------------------------------------------------------------------------
def test_reveal_needs_a_prediction_then_shows_the_computed_answer_and_the_explanation():
    lesson = LESSONS[0]
    at = lessons_page()
    assert button(at, "les_reveal").disabled, "no reveal before a prediction"
    assert lesson.explanation["en"] not in unescape(texts(at))
    wrong = next(a.id for a in lesson.answers if a.id != decide(lesson).answer)
    pick_radio(at, lesson.id).set_value(wrong).run()
    assert not button(at, "les_reveal").disabled
    button(at, "les_reveal").click().run()
    assert not at.exception
    computed = lesson.answer(decide(lesson).answer).text["en"]
    shown = unescape(texts(at))
    assert f"The engine's answer: **{computed}**" in shown
    assert f"You predicted: {lesson.answer(wrong).text['en']}" in shown
    assert unescape(lesson.explanation["en"]) in shown
    assert [x.value.strip("$\n") for x in at.latex] == [lesson.formula]
    assert pick_radio(at, lesson.id).disabled, "the prediction is locked after the reveal"
    # the done mark in the list, kept in the session
    assert unescape(list_radio(at).options[0]).endswith("✓")


def test_the_answer_comes_from_decide_not_from_the_file(tmp_path, monkeypatch):
    """A lesson whose file claims another answer still shows what the engine computes."""
    lesson = LESSONS[0]
    source = DEFAULT_FOLDER / f"{lesson.id}.toml"
    computed = decide(lesson).answer
    other = next(a.id for a in lesson.answers if a.id != computed)
    text = source.read_text(encoding="utf-8").replace(
        f'expected = "{lesson.expected}"', f'expected = "{other}"'
    )
    assert f'expected = "{other}"' in text
    (tmp_path / source.name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("OPTIM_LAB_LESSONS", str(tmp_path))
    at = lessons_page()
    pick_radio(at, lesson.id).set_value(computed).run()
    button(at, "les_reveal").click().run()
    shown = unescape(texts(at))
    assert f"The engine's answer: **{lesson.answer(computed).text['en']}**" in shown
    assert "Your prediction was right." in shown


def test_a_broken_lesson_folder_names_the_file(tmp_path, monkeypatch):
    shutil.copy(DEFAULT_FOLDER / f"{LESSONS[0].id}.toml", tmp_path / "good.toml")
    (tmp_path / "broken.toml").write_text('order = "first"\n', encoding="utf-8")
    monkeypatch.setenv("OPTIM_LAB_LESSONS", str(tmp_path))
    at = lessons_page()
    assert not at.exception
    assert "broken.toml" in unescape(" ".join(e.value for e in at.error))


@pytest.mark.skipif(BY_KIND["playground"] is None, reason="no Playground lesson shipped")
def test_the_map_hides_the_paths_until_the_reveal_then_animates():
    lesson = BY_KIND["playground"]
    at = lessons_page({"lesson": lesson.id})
    before = chart(at, "les_scene")
    assert not before.get("frames") or len(before["frames"]) <= 1
    assert not [d for d in before["data"] if d.get("mode") == "lines" and len(d.get("x") or []) > 2]
    pick_radio(at, lesson.id).set_value(lesson.answers[0].id).run()
    button(at, "les_reveal").click().run()
    after = chart(at, "les_scene")
    assert len(after["frames"]) > 10, "the revealed map animates"
    assert len(full_paths(after, lesson.scene.steps)) == len(lesson.scene.runs)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_lesson_reveals_its_computed_answer(lesson):
    at = lessons_page({"lesson": lesson.id})
    pick_radio(at, lesson.id).set_value(lesson.answers[-1].id).run()
    button(at, "les_reveal").click().run()
    assert not at.exception, [e.value for e in at.exception]
    computed = lesson.answer(decide(lesson).answer).text["en"]
    assert f"The engine's answer: **{unescape(computed)}**" in unescape(texts(at))
    assert chart(at, "les_scene")["data"]


# ---- try it yourself: the link opens the scene's exact state ---------------------------------------
def _query(link: links.TryLink) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(link.url).query, keep_blank_values=True))


def test_the_try_it_links_are_drawn_after_the_reveal():
    lesson = LESSONS[0]
    at = lessons_page()
    assert not at.get("page_link")
    pick_radio(at, lesson.id).set_value(lesson.answers[0].id).run()
    button(at, "les_reveal").click().run()
    (drawn,) = at.get("page_link")[: len(links.try_links(lesson))]
    query = dict(urllib.parse.parse_qsl(drawn.proto.query_string))
    assert drawn.proto.page == lesson.scene.page and query == links.try_links(lesson)[0].query


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_try_it_link_reproduces_its_scene(lesson):
    assert links.mismatches(lesson.scene) == [], "a value the page's controls cannot hold"
    for link in links.try_links(lesson):
        at = open_view(link.page, _query(link), timeout=120)
        notices = [w.value for w in at.warning if w.icon == ":material/link_off:"]
        assert not notices, notices  # no URL value fell back to a default
        scene = lesson.scene
        if isinstance(scene, PlaygroundScene):
            _same_playground(at, scene)
        elif isinstance(scene, ScheduleScene):
            _same_schedules(at, scene)
        else:
            _same_ema(at, scene, link.subject)


def _same_playground(at: AppTest, scene: PlaygroundScene) -> None:
    state = at.session_state
    assert state["surface"] == scene.surface and state["steps"] == scene.steps
    assert (state["x0"], state["y0"]) == pytest.approx(scene.start)
    assert state["noise"] == scene.noise and state["n_opt"] == len(scene.runs)
    for i, (run, hp) in enumerate(zip(scene.runs, links.run_hyperparams(scene), strict=True), start=1):
        assert state[f"o{i}"] == run.optimizer
        assert state[f"o{i}_lr"] == pytest.approx(hp["lr"])
    traj = run_scene(scene)
    spec = chart(at, "map")
    paths = full_paths(spec, scene.steps)
    assert len(paths) == len(scene.runs)
    for path, xy in zip(paths, traj.xy[:, 0], strict=True):
        shown = np.array([np.nan if v is None else v for v in path["x"]], dtype=float)
        finite = np.isfinite(xy[:, 0]) & np.isfinite(shown) & (np.abs(xy[:, 0]) < 1e6)
        np.testing.assert_allclose(shown[finite], xy[finite, 0], rtol=1e-4, atol=1e-4)


def _same_schedules(at: AppTest, scene: ScheduleScene) -> None:
    assert at.session_state["steps"] == scene.steps
    assert at.session_state["lr"] == pytest.approx(scene.lr)
    drawn = [trace["y"] for trace in chart(at, "curves")["data"]]
    expected = schedule_curves(scene)
    assert len(drawn) == len(expected)
    for values in expected:
        assert any(np.allclose(np.array(y, dtype=float), values, rtol=1e-9) for y in drawn)


def _same_ema(at: AppTest, scene: EmaScene, subject: int | None) -> None:
    smoothing = scene.smoothings[subject or 0]
    assert at.session_state["beta"] == pytest.approx(smoothing.beta)
    assert at.session_state["debias"] == smoothing.debias and at.session_state["seed"] == scene.seed
    values, curves = ema_curves(scene)
    shown = next(
        d
        for d in chart(at, "ema_series")["data"]
        if d.get("meta") == ("ema_hat" if smoothing.debias else "ema")
    )
    n = len(shown["y"])
    if n == values.size:
        np.testing.assert_allclose(np.array(shown["y"], dtype=float), curves[subject or 0], atol=1e-5)


def test_links_module_has_no_streamlit():
    source = Path(links.__file__).read_text(encoding="utf-8")
    assert "import streamlit" not in source


def test_lessons_come_first_and_home_says_start_here():
    from app.shared.navigation import PAGES
    from tests.app.apptest import MAIN

    assert PAGES[0].url_path == "lessons"
    home = AppTest.from_file(MAIN, default_timeout=60).run()
    assert not home.exception
    start = [link for link in home.get("page_link") if link.proto.label == "Start the lessons"]
    assert start and start[0].proto.page == "lessons"
