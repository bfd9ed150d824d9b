"""Lessons: predict, reveal, explain, try it yourself.

The lessons (files, optim_core.lessons) -> the lesson in the URL (?lesson=<id>) -> its scene without the
outcome and the question -> "Reveal" (once a prediction is made) -> the animated scene, the computed
answer (decide(), app/views/lessons/model.py), right or wrong, the explanation and its formula, and a
link to the full page in that state. Keys: N / P next and previous lesson, V reveal
(app/shared/shortcuts.py: Streamlit keeps R for itself).

What a student predicted and which lessons they revealed live in the session (the done marks).
"""

from __future__ import annotations

import streamlit as st

from app.shared import shortcuts
from app.shared.i18n import pick, t
from app.shared.markdown import literal
from app.shared.settings import Setting, current
from app.views.lessons import model, panels

state = current()
presenter = bool(st.session_state.get("present", False))
catalog = model.catalog()
predictions: dict[str, str] = st.session_state.setdefault("_les_predictions", {})
revealed: set[str] = st.session_state.setdefault("_les_revealed", set())

if catalog.error:
    st.title(t("les.title"))
    st.error(t("les.load_error", error=literal(catalog.error)), icon=":material/error:")
    st.stop()
if not catalog.lessons:
    st.title(t("les.title"))
    st.info(t("les.none", folder=literal(model.lessons_folder())), icon=":material/info:")
    st.stop()

ids = catalog.ids
by_id = {lesson.id: lesson for lesson in catalog.lessons}
LESSON = Setting(
    "lesson",
    "choice",
    ids[0],
    "les.lesson_key",
    choices=ids,
    format=lambda i: t(
        "les.entry_done" if i in revealed else "les.entry",
        n=ids.index(i) + 1,
        title=literal(pick(by_id[i].title)),
    ),
)


def go_to(lesson_id: str) -> None:
    st.session_state[LESSON.key] = lesson_id


def keep_prediction(lesson_id: str, key: str) -> None:
    choice = st.session_state.get(key)
    if choice is not None and lesson_id not in revealed:
        predictions[lesson_id] = choice


def reveal(lesson_id: str) -> None:
    if lesson_id in predictions:
        revealed.add(lesson_id)
        st.session_state["_les_autoplay"] = lesson_id  # the next run plays the map once


# ---- the list of lessons -------------------------------------------------------------------------
state.register(LESSON)
with st.sidebar:
    st.radio(t("les.list"), ids, format_func=LESSON.format, key=LESSON.key)
    st.caption(t("les.done_count", done=len(revealed & set(ids)), total=len(ids)) + " · " + t("les.lead"))
lesson = by_id[state.value(LESSON.key)]
number = ids.index(lesson.id)
is_revealed = lesson.id in revealed
prediction = predictions.get(lesson.id)
decision = model.decision(lesson) if is_revealed else None

# ---- the lesson: the scene beside the question ------------------------------------------------------
st.title(literal(pick(lesson.title)), anchor=False)
scene_column, question_column = st.columns([3, 2], gap="medium")
with scene_column:
    autoplay = st.session_state.pop("_les_autoplay", None) == lesson.id
    panels.scene_panel(
        lesson, is_revealed, key=f"les_scene_{lesson.id}", presenter=presenter, autoplay=autoplay
    )
with question_column:
    pick_key = f"les_pick_{lesson.id}"
    chosen = panels.question_panel(
        lesson,
        pick_key,
        chosen=prediction,
        decision=decision,
        on_change=keep_prediction,
        args=(lesson.id, pick_key),
    )
    shortcuts.button(
        shortcuts.REVEAL,
        t("les.reveal"),
        key="les_reveal",
        on_click=reveal,
        args=(lesson.id,),
        disabled=chosen is None or is_revealed,
        type="primary",
        icon=":material/visibility:",
        width="stretch",
        help=t("keys.reveal") if chosen is not None else t("les.reveal_first"),
    )
    back, forward = st.columns(2)
    shortcuts.button(
        shortcuts.PREVIOUS,
        t("les.previous"),
        key="les_previous",
        where=back,
        on_click=go_to,
        args=(ids[max(number - 1, 0)],),
        disabled=number == 0,
        icon=":material/arrow_back:",
        width="stretch",
    )
    shortcuts.button(
        shortcuts.NEXT,
        t("les.next"),
        key="les_next",
        where=forward,
        on_click=go_to,
        args=(ids[min(number + 1, len(ids) - 1)],),
        disabled=number == len(ids) - 1,
        icon=":material/arrow_forward:",
        width="stretch",
    )
    if decision is not None:
        panels.verdict_panel(lesson, decision, prediction)
    st.caption(
        t("les.progress", n=number + 1, total=len(ids))
        + " · "
        + shortcuts.legend(shortcuts.PREVIOUS, shortcuts.NEXT, shortcuts.REVEAL)
    )

# ---- after the reveal: why, and the full page in this state ------------------------------------------
if decision is not None:
    why, try_it = st.columns([3, 2], gap="medium")
    with why:
        panels.explanation_panel(lesson, decision)
    with try_it:
        panels.try_panel(lesson)
