"""What the Lessons page computes (no widgets drawn here): the lessons of the folder, each lesson's
decision (optim_core.lessons.decide, never the file's `expected`), and a Playground scene as the
Playground's own config, so the lesson's map is the very figure its "try it yourself" page draws.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.views.lessons.links import run_hyperparams
from app.views.playground import model as playground
from optim_core.lessons import (
    Decision,
    Lesson,
    LessonError,
    PlaygroundScene,
    ScheduleScene,
    decide,
    lessons_folder,
    load_lessons,
)
from optim_core.smoothing import daily_temperatures

MAX_DECISIONS = 64  # decisions kept per process (a decision takes well under a second to redo)


@dataclass(frozen=True)
class Catalog:
    """The lessons of one folder, or the error that stopped loading them (it names the file and field)."""

    lessons: tuple[Lesson, ...]
    error: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(lesson.id for lesson in self.lessons)

    def index(self, lesson_id: str) -> int | None:
        return self.ids.index(lesson_id) if lesson_id in self.ids else None


def catalog(folder: Path | None = None) -> Catalog:
    """The lessons of `folder` (default: $OPTIM_LAB_LESSONS or assets/lessons), read again only when a
    file in it changed (its name, size or time)."""
    folder = lessons_folder() if folder is None else Path(folder)
    try:
        files = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.toml")))
    except OSError:
        files = ()
    return _catalog(str(folder), files)


@lru_cache(maxsize=8)
def _catalog(folder: str, _files: tuple) -> Catalog:
    try:
        return Catalog(tuple(load_lessons(Path(folder))))
    except LessonError as error:
        return Catalog((), str(error))


_decisions: OrderedDict[str, Decision] = OrderedDict()


def decision(lesson: Lesson) -> Decision:
    """decide(lesson), kept for the process (keyed on the whole lesson: an edited file decides again)."""
    key = repr(lesson)
    if key not in _decisions:
        _decisions[key] = decide(lesson)
        while len(_decisions) > MAX_DECISIONS:
            _decisions.popitem(last=False)
    return _decisions[key]


def playground_config(scene: PlaygroundScene) -> playground.PlaygroundConfig:
    """The Playground's config for the scene, as its page builds it from the scene's link."""
    slots = []
    for run, hp in zip(scene.runs, run_hyperparams(scene), strict=True):
        own = tuple((key, value) for key, value in hp.items() if key != "weight_decay")
        slots.append(playground.SlotConfig(run.optimizer, own))
    schedule = None
    if scene.schedule is not None:
        kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in scene.schedule.kwargs}
        schedule = playground.freeze_schedule((scene.schedule.schedule, kwargs))
    return playground.PlaygroundConfig(
        surface=scene.surface,
        formula=None,
        surface_params=tuple(scene.surface_params),
        slots=tuple(slots),
        start=(float(scene.start[0]), float(scene.start[1])),
        steps=scene.steps,
        noise=scene.noise,
        seed=scene.seed,
        clip_norm=scene.clip_norm,
        weight_decay=scene.weight_decay,
        schedule=schedule,
    )


def playground_result(scene: PlaygroundScene, lang: str) -> playground.PlaygroundResult:
    return playground.run(playground_config(scene), lang)


def value_text(value: float) -> str:
    """A measured value for the answers' readout: 4 significant digits, ∞ for a diverged run."""
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4g}"


def quantity(lesson: Lesson) -> tuple[str, dict[str, float]]:
    """What decide() measured, as the i18n key of its description and the values that fill it in."""
    m, scene = lesson.measure, lesson.scene
    if isinstance(scene, PlaygroundScene):
        last = scene.steps
    elif isinstance(scene, ScheduleScene):
        last = scene.steps - 1
    else:
        last = daily_temperatures(scene.seed).size - 1
    step = last if m.step is None else m.step
    if m.kind == "rms_distance" and m.step is None:
        step = last // 2
    days = (9 if m.step is None else m.step) + 1
    return f"les.kind.{m.kind}", {"step": step, "threshold": m.threshold or 0.0, "days": days}
