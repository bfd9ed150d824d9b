"""The shipped lessons: each loads, and the engine computes the answer its explanation describes, by a
clear margin (so a lesson can never teach something the engine does not show). The loader: the folder
from $OPTIM_LAB_LESSONS. Malformed and untrusted files: tests/core/test_lessons_files.py."""

import time
from pathlib import Path

import pytest

from optim_core.lessons import (
    ENV_FOLDER,
    QUANTITIES,
    EmaScene,
    Lesson,
    PlaygroundScene,
    ScheduleScene,
    decide,
    lessons_folder,
    load_lessons,
)
from optim_core.lessons.load import DEFAULT_FOLDER

SHIPPED = load_lessons(DEFAULT_FOLDER) if DEFAULT_FOLDER.is_dir() else []
# the smallest gap between the computed answer and the runner-up (see Decision.margin) a lesson may have:
# a lesson decided by a hair would flip with a small change of the engine and teach noise
MIN_MARGIN = 0.3

# A small valid lesson, for the tests that write their own files.
MINIMAL = """
order = 1
formula = 'x'
expected = "b"
title = { en = "T", zh = "标题" }
question = { en = "Q?", zh = "问题?" }
explanation = { en = "E.", zh = "解释。" }

[scene]
page = "playground"
surface = "bowl"
steps = 50

[[scene.runs]]
optimizer = "sgd"
hyperparams = { lr = 0.5 }

[[scene.runs]]
optimizer = "sgd"
hyperparams = { lr = 2.5 }

[measure]
kind = "distance_at"
pick = "max"

[[answers]]
id = "a"
subject = 0
text = { en = "A", zh = "甲" }

[[answers]]
id = "b"
subject = 1
text = { en = "B", zh = "乙" }
"""


def test_at_least_twelve_lessons_ship_and_load():
    assert len(SHIPPED) >= 12
    assert len({lesson.id for lesson in SHIPPED}) == len(SHIPPED)
    assert [lesson.order for lesson in SHIPPED] == sorted(lesson.order for lesson in SHIPPED)
    assert {lesson.scene.page for lesson in SHIPPED} == {"playground", "schedules", "ema"}


@pytest.mark.parametrize("lesson", SHIPPED, ids=lambda lesson: lesson.id)
def test_every_text_is_in_english_and_chinese(lesson: Lesson):
    texts = [lesson.title, lesson.question, lesson.explanation, *(a.text for a in lesson.answers)]
    for text in texts:
        assert set(text) == {"en", "zh"}
        assert text["en"].strip() and text["zh"].strip()
        # the Chinese text is Chinese, not a copy of the English
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text["zh"]) or text["zh"] == text["en"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lesson.explanation["zh"])
    assert 2 <= len(lesson.answers) <= 4
    assert lesson.formula.strip()


@pytest.mark.parametrize("lesson", SHIPPED, ids=lambda lesson: lesson.id)
def test_the_engine_computes_the_answer_the_explanation_describes(lesson: Lesson):
    started = time.perf_counter()
    decision = decide(lesson)
    elapsed = time.perf_counter() - started
    assert decision.answer == lesson.expected, decision.detail
    assert decision.margin >= MIN_MARGIN, (
        f"{lesson.id}: a razor-thin margin {decision.margin:.3f}: {decision.detail}"
    )
    assert set(decision.values) == {a.id for a in lesson.answers}
    assert elapsed < 1.0, f"{lesson.id}: decide() took {elapsed:.2f} s"


def test_a_lesson_whose_explanation_describes_another_answer_is_caught():
    """The check above has teeth: the same scene with the other answer expected does not pass it."""
    lesson = next(lesson for lesson in SHIPPED if lesson.id == "step-too-large")
    decision = decide(lesson)
    for answer in lesson.answers:
        if answer.id != lesson.expected:
            assert decision.answer != answer.id


def test_decide_is_deterministic_and_reads_the_engine():
    """Noise is seeded: two decisions of a noisy scene agree exactly, and another seed moves the values."""
    from dataclasses import replace

    lesson = next(lesson for lesson in SHIPPED if lesson.id == "batch-vs-single-example")
    assert isinstance(lesson.scene, PlaygroundScene) and lesson.scene.noise == "sgd"
    assert decide(lesson).measured == decide(lesson).measured
    reseeded = replace(lesson, scene=replace(lesson.scene, seed=1))
    assert decide(reseeded).measured != decide(lesson).measured
    quiet = replace(lesson, scene=replace(lesson.scene, noise="batch"))
    assert decide(quiet).answer == "a"  # full batch: practically at the minimum


def test_scenes_use_the_engines_own_names():
    from optim_core.optimizers import RULES
    from optim_core.schedules import SCHEDULES
    from optim_core.surfaces import surface_names

    for lesson in SHIPPED:
        scene = lesson.scene
        assert lesson.measure.kind in QUANTITIES[scene.page]
        if isinstance(scene, PlaygroundScene):
            assert scene.surface in surface_names()
            assert all(run.optimizer in RULES for run in scene.runs)
        elif isinstance(scene, ScheduleScene):
            assert all(curve.schedule in SCHEDULES for curve in scene.curves)
        else:
            assert isinstance(scene, EmaScene) and scene.smoothings


def test_optim_lab_lessons_loads_another_folder(tmp_path: Path, monkeypatch):
    (tmp_path / "only-one.toml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv(ENV_FOLDER, str(tmp_path))
    assert lessons_folder() == tmp_path
    lessons = load_lessons()
    assert [lesson.id for lesson in lessons] == ["only-one"]
    assert decide(lessons[0]).answer == "b"
    monkeypatch.delenv(ENV_FOLDER)
    assert lessons_folder() == DEFAULT_FOLDER
    assert len(load_lessons()) == len(SHIPPED)


def test_lessons_sort_by_order_then_id(tmp_path: Path):
    (tmp_path / "b.toml").write_text(MINIMAL.replace("order = 1", "order = 2"), encoding="utf-8")
    (tmp_path / "c.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "a.toml").write_text(MINIMAL.replace("order = 1", "order = 3"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a lesson", encoding="utf-8")
    assert [lesson.id for lesson in load_lessons(tmp_path)] == ["c", "b", "a"]


def test_the_noise_rule_is_the_playgrounds():
    """A scene's noise mode means what the Playground's does, so "try it yourself" shows the same run."""
    from app.shared import simulation_cache
    from optim_core.lessons import NOISE_MODES, typical_gradient
    from optim_core.surfaces import get_surface, surface_names

    assert NOISE_MODES == simulation_cache.NOISE_MODES
    for name in surface_names():
        surface = get_surface(name)
        assert typical_gradient(surface) == simulation_cache.typical_gradient(surface)
