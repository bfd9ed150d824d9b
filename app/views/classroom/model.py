"""Class mode's computations: the class store, the lessons a class follows, the join link, its QR code
and the tally's bars. No Streamlit here: page.py draws.

A student is an anonymous random id kept in the student's own URL (`me=`): it survives a refresh and a
reconnect (session state does not), needs no cookie or account, and says nothing about the student. Its
only power is one vote per question in the class it joined; the join link on the projector never carries
one, so each browser that opens it gets its own.
"""

from __future__ import annotations

import functools
import html
import io
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import segno

from optim_core.classroom import ClassStore, Question, Tally
from optim_core.training.store import DB_NAME, default_runs_dir

URL_PATH = "classroom"  # the page's url_path (app/shared/navigation.py)
STUDENT_POLL_S = 1.5  # how often a student's screen asks for the class's version (one tiny row)
TALLY_POLL_S = 1.0  # how often the instructor's tally is read again


@functools.lru_cache(maxsize=8)
def _store(path: Path) -> ClassStore:
    return ClassStore(path)


def class_store() -> ClassStore:
    """The classes of the run store in use ($OPTIM_LAB_RUNS_DIR), one ClassStore per database file."""
    return _store(default_runs_dir() / DB_NAME)


_LESSONS: dict[tuple, dict] = {}


def load_lessons() -> dict:
    """The lessons this server has, by id, in their order (empty when the folder is missing or a file is
    malformed: the Lessons page names the file). Read again only when a file in the folder changed."""
    from optim_core.lessons import LessonError, lessons_folder
    from optim_core.lessons import load_lessons as load

    folder = lessons_folder()
    try:
        stamp = (
            str(folder),
            tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir()),
        )
    except OSError:
        return {}
    if stamp not in _LESSONS:
        try:
            lessons = {lesson.id: lesson for lesson in load(folder)}
        except LessonError:
            lessons = {}
        _LESSONS.clear()
        _LESSONS[stamp] = lessons
    return _LESSONS[stamp]


_DECISIONS: dict[tuple[str, str], object] = {}


def decision(lesson):
    """The engine's answer to a lesson (optim_core.lessons.decide), computed once per process for each
    version of the lesson (its repr: an edited lesson file is decided again)."""
    from optim_core.lessons import decide

    key = (lesson.id, repr(lesson))
    if key not in _DECISIONS:
        if len(_DECISIONS) >= 256:
            _DECISIONS.clear()
        _DECISIONS[key] = decide(lesson)
    return _DECISIONS[key]


def plan(lessons: dict) -> tuple[Question, ...]:
    """A class that follows every lesson in order: each lesson's id and its answers' ids."""
    return tuple(Question(lesson.id, tuple(a.id for a in lesson.answers)) for lesson in lessons.values())


def join_link(page_url: str, code: str) -> str:
    """The link students open: this server, the Class page, the code (and nothing else)."""
    parts = urlsplit(page_url or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}/{URL_PATH}?{urlencode({'class': code})}"


def instructor_link(page_url: str, code: str, key: str) -> str:
    parts = urlsplit(page_url or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}/{URL_PATH}?{urlencode({'class': code, 'ckey': key})}"


@functools.lru_cache(maxsize=32)
def qr_png(link: str) -> bytes:
    """The link as a QR code PNG, black on white with its quiet zone, big enough for a projector."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def answer_texts(lesson, lang: str) -> dict[str, str]:
    return {a.id: pick_text(a.text, lang) for a in lesson.answers}


def pick_text(text, lang: str) -> str:
    """A lesson's text in `lang` (falling back to English)."""
    if isinstance(text, dict):
        return text.get(lang) or text.get("en", "")
    return str(text)


def tally_html(tally: Tally, labels: dict[str, str], answer: str | None = None) -> str:
    """The tally as horizontal bars (escaped HTML): each answer's share of the votes and its count; the
    computed answer, once revealed, marked."""
    total = max(tally.voters, 1)
    rows = []
    for answer_id, count in tally.counts.items():
        share = count / total
        mark = ' class="cls-right"' if answer_id == answer else ""
        rows.append(
            f'<div class="cls-row"><div class="cls-label"{mark}>'
            f"{html.escape(labels.get(answer_id, answer_id))}"
            f'</div><div class="cls-track"><div class="cls-bar{" cls-bar-right" if mark else ""}" '
            f'style="width:{100 * share:.1f}%"></div></div><div class="cls-count">{count}</div></div>'
        )
    return '<div class="cls-tally">' + "".join(rows) + "</div>"


CSS = """
<style>
.block-container { padding-top: 3.6rem; }  /* the first line clear of Streamlit's header */
.cls-code { font-size: 4.2rem; font-weight: 800; letter-spacing: .35rem; line-height: 1.1;
  font-family: ui-monospace, monospace; }
.cls-tally { display: flex; flex-direction: column; gap: .45rem; margin: .3rem 0 .6rem; }
.cls-row { display: grid; grid-template-columns: minmax(6rem, 30%) 1fr 3rem; gap: .6rem;
  align-items: center; }
.cls-label { font-size: 1.15rem; overflow-wrap: anywhere; }
.cls-label.cls-right { font-weight: 700; }
.cls-track { background: rgba(128,128,128,.18); border-radius: 6px; height: 1.6rem; }
.cls-bar { background: #4c78a8; height: 100%; border-radius: 6px; min-width: 2px; transition: width .3s; }
.cls-bar-right { background: #2e9d5b; }
.cls-count { font-size: 1.2rem; font-weight: 700; text-align: right; }
@media (max-width: 640px) {  /* a phone: each answer's text on its own line above its bar */
  .cls-row { grid-template-columns: 1fr 2.2rem; gap: .1rem .5rem; }
  .cls-label { grid-column: 1 / -1; font-size: 1rem; }
  .cls-track { height: 1.1rem; }
}
</style>
"""
