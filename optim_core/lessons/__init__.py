"""Lessons as data: one TOML file per lesson (assets/lessons/, or $OPTIM_LAB_LESSONS), answers computed.

    lessons = load_lessons()                 # sorted by order; LessonError names a bad file and field
    decision = decide(lessons[0])            # Decision(answer="b", values={...}, margin=0.9, ...)
    assert decision.answer == lessons[0].expected   # tests/core/test_lessons.py checks every lesson

The house:
* schema.py: the types (Lesson, Answer, the three Scenes, Measure, Decision, LessonError).
* load.py (+ fields.py): reading and validating a file; limits.py: every bound, and the Playground's
  gradient-noise rule (NOISE_MODES, typical_gradient).
* measure.py: decide(): runs the scene through simulate(), lr_curve() or ema() (run_scene,
  schedule_curves, ema_curves: what a page draws for the scene), and measures it.
"""

from .limits import NOISE_MODES, typical_gradient
from .load import ENV_FOLDER, lessons_folder, load_lesson, load_lessons, parse_lesson
from .measure import QUANTITIES, decide, ema_curves, run_scene, schedule_curves
from .schema import (
    Answer,
    Curve,
    Decision,
    EmaScene,
    Lesson,
    LessonError,
    Measure,
    PlaygroundScene,
    Run,
    Scene,
    ScheduleScene,
    Smoothing,
)

__all__ = [
    "ENV_FOLDER",
    "NOISE_MODES",
    "QUANTITIES",
    "Answer",
    "Curve",
    "Decision",
    "EmaScene",
    "Lesson",
    "LessonError",
    "Measure",
    "PlaygroundScene",
    "Run",
    "Scene",
    "ScheduleScene",
    "Smoothing",
    "decide",
    "ema_curves",
    "lessons_folder",
    "load_lesson",
    "load_lessons",
    "parse_lesson",
    "run_scene",
    "schedule_curves",
    "typical_gradient",
]
