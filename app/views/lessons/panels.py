"""The parts of a lesson on screen, each a function that takes a lesson and draws it (the Lessons page and
class mode both use them): the scene, the question, the verdict, the explanation, "try it yourself".

Lesson text comes from a file an instructor may have written: it reaches the screen through literal()
(app/shared/markdown.py), the formula through st.latex.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from app.shared.html_table import html_table
from app.shared.i18n import STRINGS, language, pick, t
from app.shared.markdown import literal
from app.shared.navigation import page_script
from app.views.lessons import figures, links, model
from optim_core.lessons import Decision, EmaScene, Lesson, PlaygroundScene

# the Playground map's texts (app/views/playground/page.py FIG_TEXT) and the other scenes' axes
MAP_TEXT = ("play", "pause", "step", "loss", "height", "minimum", "saddle", "start", "click_hint", "diverged")
OTHER_TEXT = ("lr", "day", "temperature", "raw")


def figure_text() -> dict[str, str]:
    text = {key: t(f"fig.{key}") for key in (*MAP_TEXT, "lr_multiplier")}
    text.update({key: t(f"les.fig.{key}") for key in OTHER_TEXT})
    return text


def answer_text(lesson: Lesson, answer_id: str) -> str:
    return literal(pick(lesson.answer(answer_id).text))


def scene_figure(lesson: Lesson, revealed: bool, presenter: bool = False):
    """The scene as a plotly figure (before the reveal: without its outcome)."""
    return figures.scene_figure(lesson, revealed, presenter=presenter, text=figure_text(), lang=language())


def scene_panel(
    lesson: Lesson, revealed: bool, *, key: str, presenter: bool = False, autoplay: bool = False
) -> None:
    """The scene's figure; after the reveal a Playground map carries its animation (▶ replays it).

    autoplay: play the map's animation once it is drawn (the run right after "Reveal"). Streamlit's
    plotly_chart has no autoplay, so a few lines of script press the map's own ▶ button.
    """
    box = st.container(key=f"{key}_box")
    box.plotly_chart(
        scene_figure(lesson, revealed, presenter),
        key=f"{key}_{'revealed' if revealed else 'hidden'}",
        theme=None,
        config={"displaylogo": False, "scrollZoom": False},
    )
    if not revealed:
        hidden = "les.hidden" if isinstance(lesson.scene, PlaygroundScene) else "les.hidden_curves"
        st.caption(t(hidden))
    elif isinstance(lesson.scene, PlaygroundScene):
        st.caption(t("les.play_hint"))
        if autoplay:
            st.html(AUTOPLAY.replace("BOX", f"st-key-{key}_box"), unsafe_allow_javascript=True, width=1)


# Presses the ▶ (first) button of the map in the container BOX once Plotly has drawn it (polls for up to
# 15 s). No user text goes into it: BOX is built from a lesson id, letters, digits, '-' and '_' only.
AUTOPLAY = """<script>
(() => { let tries = 0;
  const press = () => {
    const play = document.querySelector('.BOX .updatemenu-button');
    if (play) { play.dispatchEvent(new MouseEvent('click', {bubbles: true})); return; }
    if (++tries < 150) setTimeout(press, 100);
  };
  setTimeout(press, 300);
})();
</script>"""


def question_panel(
    lesson: Lesson,
    key: str,
    *,
    chosen: str | None = None,
    decision: Decision | None = None,
    on_change: Callable[..., None] | None = None,
    args: tuple = (),
) -> str | None:
    """The question and its answers as a radio; returns the chosen answer id (None before a choice).

    chosen: the prediction to show (kept by the caller). decision: after the reveal, the answers are
    locked and each shows what the engine measured for it, the computed answer marked ✓.
    """
    st.markdown(f"**{literal(pick(lesson.question))}**")
    ids = [answer.id for answer in lesson.answers]
    captions = None
    if decision is not None:
        captions = [_answer_caption(lesson, decision, answer_id) for answer_id in ids]
    return st.radio(
        t("les.question"),
        ids,
        index=ids.index(chosen) if chosen in ids else None,
        format_func=lambda answer_id: answer_text(lesson, answer_id),
        key=key,
        captions=captions,
        disabled=decision is not None,
        on_change=on_change,
        args=args,
    )


def _answer_caption(lesson: Lesson, decision: Decision, answer_id: str) -> str:
    value = decision.values.get(answer_id)
    shown = model.value_text(value) if value is not None else ""
    if answer_id == decision.answer:  # the computed answer stands out even in the locked radio
        return f":green-background[**✓ {t('les.computed')}**] {shown}"
    return shown


def verdict_panel(lesson: Lesson, decision: Decision, prediction: str | None) -> None:
    """The computed answer (from decide(), never from the file's `expected`) and whether the prediction
    matched it."""
    answer = answer_text(lesson, decision.answer)
    if prediction == decision.answer:
        st.success(t("les.answer", answer=answer) + "  \n" + t("les.right"), icon=":material/check_circle:")
    else:
        wrong = t("les.wrong", answer=answer_text(lesson, prediction)) if prediction else ""
        st.info(
            t("les.answer", answer=answer) + ("  \n" + wrong if wrong else ""), icon=":material/lightbulb:"
        )


def explanation_panel(lesson: Lesson, decision: Decision) -> None:
    """Why: the lesson's explanation, its formula, and what the engine measured for each answer."""
    st.subheader(t("les.why"))
    st.markdown(literal(pick(lesson.explanation)))
    st.latex(lesson.formula)
    key, values = model.quantity(lesson)
    quantity = t(key, **values) if key in STRINGS else literal(lesson.measure.kind)
    st.caption(t("les.measured", quantity=quantity))
    if decision.measured is not None:
        st.caption(t("les.measured_one", value=model.value_text(decision.measured)))
    else:
        header = (t("les.col.answer"), t("les.col.value"))
        rows = [
            {
                header[0]: ("✓ " if a.id == decision.answer else "") + pick(a.text),
                header[1]: model.value_text(v),
            }
            for a in lesson.answers
            if (v := decision.values.get(a.id)) is not None
        ]
        st.html(html_table(pd.DataFrame(rows)))


def try_panel(lesson: Lesson) -> None:
    """Links to the full page in the lesson's state."""
    st.subheader(t("les.try"))
    for link in links.try_links(lesson):
        if link.subject is not None and isinstance(lesson.scene, EmaScene):
            smoothing = lesson.scene.smoothings[link.subject]
            label = t("les.try_smoothing", beta=f"{smoothing.beta:g}")
        else:
            label = t("les.try_open", page=t(f"nav.{link.page}"))
        st.page_link(
            page_script(link.page),
            label=label,
            icon=":material/open_in_new:",
            query_params=link.query,
            help=t("les.try_help"),
        )
