"""Class mode in a real Chromium: one instructor and five students, each in a browser context of its own.

The instructor starts a class; five phones (375 px wide) join by typing the code, and each votes without
scrolling; the instructor's tally counts every vote; the reveal reaches every student's screen.
"""

from __future__ import annotations

import re

import pytest

from app.shared.i18n import STRINGS
from optim_core.lessons import decide, load_lessons
from tests.app.classroom_lessons import write_lessons
from tests.browser.harness import assert_no_exception, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def en(key: str, **values) -> str:
    return STRINGS[key][0].format(**values)


@pytest.fixture(scope="module")
def lessons(tmp_path_factory):
    return write_lessons(tmp_path_factory.mktemp("class-lessons"))


@pytest.fixture(scope="module")
def class_url(tmp_path_factory, lessons):
    env = {
        "OPTIM_LAB_RUNS_DIR": str(tmp_path_factory.mktemp("class-runs")),
        "OPTIM_LAB_LESSONS": str(lessons),
        "OPTIM_LAB_WARM_UP": "0",
    }
    with streamlit_server(env=env) as url:
        yield url


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return context, page


def test_five_students_join_vote_and_see_the_reveal(browser, class_url, lessons):
    lesson = load_lessons(lessons)[0]
    answers = [(a.id, a.text["en"]) for a in lesson.answers]
    computed = dict(answers)[decide(lesson).answer]
    contexts = []
    try:
        context, teacher = new_page(browser, {"width": 1280, "height": 720})
        contexts.append(context)
        teacher.goto(f"{class_url}/classroom?present=true")
        wait_for_app(teacher)
        teacher.get_by_role("button", name=en("cls.start")).click()
        teacher.wait_for_url(re.compile(r"[?&]ckey=[\w-]{32,}"), timeout=60_000)
        code = re.search(r"[?&]class=(\w+)", teacher.url).group(1)
        key = re.search(r"[?&]ckey=([\w-]+)", teacher.url).group(1)
        wait_for_app(teacher)
        teacher.get_by_text(en("cls.voted", voters=0, students=0)).wait_for(timeout=30_000)
        assert teacher.locator('[data-testid="stImage"] img').count() == 1  # the QR code

        students = []
        for _ in range(5):
            context, student = new_page(browser, PHONE)
            contexts.append(context)
            student.goto(f"{class_url}/classroom")
            wait_for_app(student)
            student.get_by_label(en("cls.code_label"), exact=True).and_(
                student.get_by_test_id("stTextInputField")
            ).fill(code.lower())
            student.get_by_label(en("cls.code_label"), exact=True).and_(
                student.get_by_test_id("stTextInputField")
            ).press("Enter")
            student.get_by_role("button", name=en("cls.join"), exact=True).click()
            student.wait_for_url(re.compile(r"[?&]me=[\w-]{8,}"), timeout=60_000)
            wait_for_app(student)
            assert key not in student.url
            students.append(student)

        for i, student in enumerate(students):
            text = answers[0][1] if i < 3 else answers[-1][1]
            button = student.get_by_role("button", name=text, exact=True)
            box = button.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], "scroll needed to vote"
            assert student.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            button.click()
            student.get_by_text(en("cls.your_vote", answer=text)).wait_for(timeout=30_000)
            assert_no_exception(student)

        teacher.get_by_text(en("cls.voted", voters=5, students=5)).wait_for(timeout=15_000)
        counts = teacher.locator(".cls-count").all_inner_texts()
        assert counts[0] == "3" and counts[-1] == "2", counts
        teacher.get_by_role("button", name=re.compile("^" + en("cls.reveal"))).click()
        for student in students:
            student.get_by_text(en("cls.answer", answer=computed)).wait_for(timeout=20_000)
            assert student.get_by_role("button", name=answers[0][1], exact=True).count() == 0
            assert_no_exception(student)
        teacher.get_by_role("button", name=re.compile("^" + en("cls.next"))).click()
        for student in students:  # and the next question too: the screens keep following
            student.get_by_text(en("cls.question_n", n=2, total=2), exact=False).wait_for(timeout=20_000)
            assert student.get_by_role("button", name=answers[0][1], exact=True).count() == 1
        assert_no_exception(teacher)
    finally:
        for context in contexts:
            context.close()
