"""Class mode: the instructor starts a class and leads it through the lessons; students join with a code
and vote on each lesson's question; the reveal shows every screen the engine's answer and the tally.

The class, its students and votes live in the run store's database (optim_core.classroom); this page
reads them and draws one of three views: the landing (join or start), the instructor's (code, QR, tally,
Previous / Reveal / Next / Reset) or the student's (the question and its answers as buttons, sized so a
375 px phone votes without scrolling). A student's screen follows the class through a fragment that reads
the class's version (one tiny row) every STUDENT_POLL_S and reruns the page only when it changed.
"""

from __future__ import annotations

import streamlit as st

from app.shared import shortcuts
from app.shared.i18n import language, t
from app.shared.markdown import literal
from app.shared.run_access import access, policy
from app.shared.settings import Setting, current
from app.views.classroom import model
from app.views.lessons import panels
from optim_core.classroom import (
    BadCode,
    ClassError,
    ClassNotFound,
    ClassState,
    NotInstructor,
    new_student_id,
    normalize_code,
)
from optim_core.classroom.codes import valid_student_id

CLASS = Setting("class", "text", "", "cls.class_label", max_len=16)  # the join code
ME = Setting("me", "text", "", "cls.me_label", max_len=32)  # a student's anonymous id
CKEY = Setting("ckey", "text", "", "cls.key_label", max_len=64)  # the instructor's key
_NOTICE = "_cls_notice"
_JOINED = "_cls_joined"
_AUTOPLAY = "_cls_autoplay"  # the instructor just revealed: the scene's animation plays once

state = current()
for setting in (CLASS, ME, CKEY):
    state.register(setting)
store = model.class_store()
limits = store.limits
lang = language()
st.html(model.CSS)


def message(error: Exception) -> str:
    kind = "not_instructor" if isinstance(error, NotInstructor) else getattr(error, "kind", "error")
    if isinstance(error, BadCode):
        kind = "bad_code"
    return t(
        f"cls.err.{kind}",
        hours=f"{limits.age_s / 3600:g}",
        limit=limits.students if kind == "full" else limits.classes,
    )


def act(call, *args) -> None:
    """A button's on_click: run a store action; a refusal is kept for the page to show."""
    try:
        call(*args)
        if call == store.control and args[-1] == "reveal":
            st.session_state[_AUTOPLAY] = True
    except (ClassError, NotInstructor, BadCode) as error:
        st.session_state[_NOTICE] = message(error)


def join(typed_key: str) -> None:
    code = normalize_code(st.session_state.get(typed_key, ""))
    store.state(code)
    st.session_state.update({"class": code, "ckey": "", "me": new_student_id()})


def start(questions) -> None:
    code, key = store.create(questions)
    st.session_state.update({"class": code, "ckey": key, "me": ""})


def leave() -> None:
    st.session_state.update({"class": "", "ckey": "", "me": ""})


def landing(lessons: dict) -> None:
    st.title(t("cls.title"))
    st.caption(t("cls.intro"))
    joining, starting = st.columns(2)
    with joining:
        st.subheader(t("cls.join_header"))
        st.text_input(t("cls.code_label"), key="cls_typed", max_chars=24, help=t("cls.code_help"))
        st.button(t("cls.join"), key="cls_join", type="primary", on_click=act, args=(join, "cls_typed"))
    with starting:
        st.subheader(t("cls.start_header"))
        st.caption(t("cls.start_help"))
        if not lessons:
            st.info(t("cls.no_lessons"))
        elif policy().admin_token and not access().admin:
            st.info(t("cls.start_needs_admin"), icon=":material/lock:")
        else:
            st.button(t("cls.start"), key="cls_start", on_click=act, args=(start, model.plan(lessons)))
        st.caption(
            t(
                "cls.limits",
                hours=f"{limits.age_s / 3600:g}",
                students=limits.students,
                classes=limits.classes,
            )
        )


def reveal_panel(lesson, tally, chosen: str | None = None, student: bool = False) -> None:
    """The engine's answer, the student's own prediction, the tally and the explanation with its formula."""
    labels = model.answer_texts(lesson, lang)
    decision = model.decision(lesson)
    answer = decision.answer
    st.success(t("cls.answer", answer=literal(labels.get(answer, answer))), icon=":material/check_circle:")
    if student:
        if chosen is None:
            st.caption(t("cls.no_vote"))
        elif chosen == answer:
            st.caption(t("cls.right"))
        else:
            st.caption(t("cls.wrong", answer=literal(labels.get(chosen, chosen))))
    st.markdown(f"**{t('cls.tally_header')}**")
    st.html(model.tally_html(tally, labels, answer))
    panels.explanation_panel(lesson, decision)


def instructor(klass: ClassState, lesson, key: str) -> None:
    page_url = st.context.url
    link = model.join_link(page_url, klass.code)
    main, side = st.columns([1, 1] if klass.revealed else [3, 2], gap="large")
    scene = dict(
        key=f"cls_scene_{klass.position}",
        presenter=bool(st.session_state.get("present", False)),
        autoplay=bool(st.session_state.pop(_AUTOPLAY, False)),
    )
    with side:
        st.caption(t("cls.code_big"))
        st.html(f'<div class="cls-code">{klass.code}</div>')
        if klass.revealed:  # the room has joined: the scene plays where the QR code was
            panels.scene_panel(lesson, True, **scene)
        else:
            st.image(model.qr_png(link), caption=t("cls.qr_caption"), width=260)
        st.caption(t("cls.join_link"))
        st.code(link, language=None)
        with st.expander(t("cls.instructor_link")):
            st.code(model.instructor_link(page_url, klass.code, key), language=None)
    with main:
        st.subheader(literal(model.pick_text(lesson.title, lang)))
        st.caption(t("cls.question_n", n=klass.position + 1, total=len(klass.plan)))
        st.markdown(literal(model.pick_text(lesson.question, lang)))
        disabled = {
            "previous": klass.position == 0,
            "reveal": klass.revealed,
            "next": klass.position == len(klass.plan) - 1,
            "reset": False,
        }
        keys = {"previous": shortcuts.PREVIOUS, "reveal": shortcuts.REVEAL, "next": shortcuts.NEXT}
        for column, action in zip(st.columns(4), disabled, strict=True):
            options = dict(
                key=f"cls_{action}",
                where=column,
                type="primary" if action == "reveal" and not klass.revealed else "secondary",
                disabled=disabled[action],
                width="stretch",
                on_click=act,
                args=(store.control, klass.code, key, action),
            )
            if action in keys:
                shortcuts.button(keys[action], t(f"cls.{action}"), **options)
            else:
                options.pop("where")
                column.button(t(f"cls.{action}"), **options)
        if klass.revealed:
            reveal_panel(lesson, store.tally(klass.code))
        else:
            live_tally(klass.code, model.answer_texts(lesson, lang))
            panels.scene_panel(lesson, False, **scene)


@st.fragment(run_every=model.TALLY_POLL_S)
def live_tally(code: str, labels: dict[str, str]) -> None:
    """The votes so far, read again every TALLY_POLL_S (the instructor's screen only)."""
    try:
        tally = store.tally(code)
    except ClassNotFound:
        st.rerun(scope="app")
    st.html(model.tally_html(tally, labels))
    st.caption(t("cls.voted", voters=tally.voters, students=tally.students))


@st.fragment(run_every=model.STUDENT_POLL_S)
def follow(code: str, version: int) -> None:
    """Draws nothing: reruns the page when the instructor moved (the class's version changed)."""
    if store.version(code) != version:
        st.rerun(scope="app")


def student(klass: ClassState, lesson, me: str) -> None:
    follow(klass.code, klass.version)
    labels = model.answer_texts(lesson, lang)
    chosen = store.my_vote(klass.code, me)
    where = t("cls.question_n", n=klass.position + 1, total=len(klass.plan))
    st.markdown(f"**{literal(model.pick_text(lesson.title, lang))}**")
    st.caption(f"{t('cls.code_big')} {klass.code} · {where}")
    st.markdown(literal(model.pick_text(lesson.question, lang)))
    if klass.revealed:
        reveal_panel(lesson, store.tally(klass.code), chosen, student=True)
        return
    for answer_id, text in labels.items():
        st.button(
            literal(text),
            key=f"cls_vote_{answer_id}",
            type="primary" if answer_id == chosen else "secondary",
            icon=":material/check:" if answer_id == chosen else None,
            width="stretch",
            on_click=act,
            args=(store.vote, klass.code, me, answer_id, klass.position),
        )
    if chosen is None:
        st.caption(t("cls.vote_prompt"))
    else:
        st.caption(f"{t('cls.your_vote', answer=literal(labels[chosen]))} · {t('cls.waiting')}")


def run() -> None:
    lessons = model.load_lessons()
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.warning(notice, icon=":material/error:")
    code = state.value("class")
    if not code:
        landing(lessons)
        return
    try:
        klass = store.state(code)
    except ClassError as error:
        st.error(message(error), icon=":material/error:")
        st.button(t("cls.leave"), key="cls_leave", on_click=leave)
        return
    lesson = lessons.get(klass.question.lesson)
    if lesson is None:
        st.error(t("cls.lesson_missing", lesson=literal(klass.question.lesson)))
        return
    key = state.value("ckey")
    if key and store.is_instructor(code, key):
        instructor(klass, lesson, key)
        return
    if key:  # a wrong or foreign key: dropped, the page is a student's
        st.session_state["ckey"] = ""
        st.warning(t("cls.err.not_instructor"), icon=":material/lock:")
    me = state.value("me")
    if not valid_student_id(me):
        me = st.session_state["me"] = new_student_id()
    if st.session_state.get(_JOINED) != (klass.code, me):
        try:
            store.join(klass.code, me)
        except ClassError as error:
            st.error(message(error), icon=":material/error:")
            return
        st.session_state[_JOINED] = (klass.code, me)
    student(klass, lesson, me)


run()
