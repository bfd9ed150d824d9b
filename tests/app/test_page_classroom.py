"""The Class page in AppTest: start a class, join by link or code, vote, reveal, the instructor's key."""

from __future__ import annotations

import json
import re

import pytest

from app.shared.i18n import STRINGS
from app.shared.markdown import literal
from app.views.classroom import model
from optim_core.classroom import ClassStore, Tally
from optim_core.lessons import decide, load_lessons
from tests.app import test_zh_pages as zh_check
from tests.app.apptest import open_view
from tests.app.classroom_lessons import write_lessons


@pytest.fixture(autouse=True)
def class_env(tmp_path, monkeypatch):
    lessons = write_lessons(tmp_path / "lessons")
    monkeypatch.setenv("OPTIM_LAB_LESSONS", str(lessons))
    monkeypatch.setenv("OPTIM_LAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("OPTIM_LAB_WARM_UP", "0")
    monkeypatch.delenv("OPTIM_LAB_ADMIN_TOKEN", raising=False)
    return load_lessons(lessons)


def en(key: str) -> str:
    return STRINGS[key][0]


def started():
    at = open_view("classroom")
    at.button(key="cls_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at, at.query_params["class"], at.query_params["ckey"]


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts + [h.proto.body for h in at.get("html")])


def test_the_instructor_gets_a_code_a_qr_code_and_a_private_key(class_env, tmp_path):
    at, code, key = started()
    assert len(code) == 6 and len(key) >= 32
    store = ClassStore(tmp_path / "runs")
    assert store.is_instructor(code, key) and store.state(code).plan[0].lesson == "01-first"
    assert code in texts(at)
    images = at.get("image")
    assert images, "no QR code image"
    assert [b.label for b in at.button] == [
        en("cls.previous"),
        en("cls.reveal"),
        en("cls.next"),
        en("cls.reset"),
    ]
    assert en("cls.voted").format(voters=0, students=0) in texts(at)


def test_students_join_by_link_vote_change_and_see_the_reveal(class_env):
    teacher, code, key = started()
    student = open_view("classroom", {"class": code})
    me = student.query_params["me"]
    assert 8 <= len(me) <= 32 and "ckey" not in student.query_params
    answers = [a.id for a in class_env[0].answers]
    student.button(key=f"cls_vote_{answers[0]}").click().run()
    student.button(key=f"cls_vote_{answers[1]}").click().run()  # changed before the reveal
    assert not student.exception
    chosen = [b for b in student.button if b.proto.type == "primary"]
    assert [b.key for b in chosen] == [f"cls_vote_{answers[1]}"]

    teacher.run()
    assert en("cls.voted").format(voters=1, students=1) in texts(teacher)
    teacher.button(key="cls_reveal").click().run()
    assert teacher.query_params["ckey"] == key and not teacher.exception

    student.run()  # the student's poll saw the new version: the page shows the reveal
    assert not [b for b in student.button if b.key.startswith("cls_vote_")]
    answer = decide(class_env[0]).answer
    label = next(a.text["en"] for a in class_env[0].answers if a.id == answer)
    assert en("cls.answer").format(answer=literal(label)) in texts(student)
    assert literal(class_env[0].explanation["en"]) in texts(student)
    assert student.get("latex")

    teacher.button(key="cls_next").click().run()
    student.run()
    assert en("cls.question_n").format(n=2, total=2) in texts(student)
    assert [b for b in student.button if b.key.startswith("cls_vote_")]


def test_joining_by_typed_code_is_forgiving_and_a_wrong_code_is_refused(class_env):
    _, code, _ = started()
    student = open_view("classroom")
    student.text_input(key="cls_typed").input(f" {code[:3].lower()} {code[3:]} ").run()
    student.button(key="cls_join").click().run()
    assert student.query_params["class"] == code and student.query_params.get("me")
    stranger = open_view("classroom")
    stranger.text_input(key="cls_typed").input("0000").run()
    stranger.button(key="cls_join").click().run()
    assert [w.value for w in stranger.warning] == [
        en("cls.err.bad_code")
    ] and "class" not in stranger.query_params
    gone = open_view("classroom", {"class": "ZZZZZZ"})
    assert gone.error and not gone.exception


def test_a_student_link_with_a_wrong_key_controls_nothing(class_env, tmp_path):
    _, code, key = started()
    for wrong in ("guess", key[:-1] + ("A" if key[-1] != "A" else "B")):
        at = open_view("classroom", {"class": code, "ckey": wrong})
        assert [w.value for w in at.warning] == [en("cls.err.not_instructor")]
        assert "ckey" not in at.query_params
        assert not [b for b in at.button if b.key in ("cls_reveal", "cls_next", "cls_reset")]
    assert ClassStore(tmp_path / "runs").state(code).version == 0


def test_with_an_admin_token_only_the_admin_starts_a_class(monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_ADMIN_TOKEN", "s3cret-token")
    at = open_view("classroom")
    assert "cls_start" not in [b.key for b in at.button]
    assert en("cls.start_needs_admin") in [i.value for i in at.info]
    admin = open_view("classroom", {"admin": "s3cret-token"})
    admin.button(key="cls_start").click().run()
    assert admin.query_params.get("ckey")


def test_no_english_on_the_class_views_in_chinese(class_env):
    def english(at) -> dict:
        assert not at.exception, [e.value for e in at.exception]
        return zh_check.english_words(zh_check.page_texts(at))

    assert not english(open_view("classroom", {"lang": "zh"}))
    teacher = open_view("classroom", {"lang": "zh"})
    teacher.button(key="cls_start").click().run()
    code = teacher.query_params["class"]
    assert not english(teacher)
    student = open_view("classroom", {"class": code, "lang": "zh"})
    assert literal(class_env[0].question["zh"]) in texts(student)
    assert STRINGS["cls.vote_prompt"][1] in texts(student)
    assert not english(student)
    student.button(key=f"cls_vote_{class_env[0].answers[0].id}").click().run()
    teacher.button(key="cls_reveal").click().run()
    assert not english(teacher)
    student.run()
    assert literal(class_env[0].explanation["zh"]) in texts(student)
    assert not english(student)


def test_lesson_text_reaches_the_screen_escaped(class_env, tmp_path):
    folder = tmp_path / "lessons"
    first = folder / "01-first.toml"
    text = first.read_text(encoding="utf-8")
    hostile = "**bold** ![pixel](http://host/p.png) <b>x</b>"
    text = re.sub(r'(\[title\]\nen = )"[^"]*"', lambda m: m.group(1) + json.dumps(hostile), text, count=1)
    first.write_text(text, encoding="utf-8")
    _, code, _ = started()
    student = open_view("classroom", {"class": code})
    assert f"**{literal(hostile)}**" in [m.value for m in student.markdown]
    tally = Tally(0, {"a": 1, "b": 0}, 1)
    html = model.tally_html(tally, {"a": "<img src=x onerror=alert(1)>", "b": "b & c"}, "a")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "b &amp; c" in html
