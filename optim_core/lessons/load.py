"""Lesson files: one TOML file per lesson, read with the standard library (tomllib) and validated whole.

A lesson file is data, never code: it is parsed as TOML only, its size and every count, step and text in
it are bounded (limits.py), and every name in it (optimizer, hyperparameter, surface, schedule, quantity)
is checked against optim_core's own tables. A malformed file raises LessonError naming the file and the
field, e.g. "03-ravine.toml: answers[2].text.zh is missing". Where a file's fields are documented:
schema.py (what each means) and assets/lessons/*.toml (examples).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..optimizers import RULES, resolve_hyperparams
from ..schedules import SCHEDULES, schedule_fn
from ..smoothing import daily_temperatures
from ..surfaces import get_surface, surface_names
from . import limits
from .fields import ID_PATTERN, Fields
from .measure import QUANTITIES
from .schema import (
    PAGES,
    PICKS,
    Answer,
    Curve,
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

ENV_FOLDER = "OPTIM_LAB_LESSONS"
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "assets" / "lessons"
_TOP_FIELDS = (
    "order",
    "title",
    "question",
    "explanation",
    "formula",
    "expected",
    "scene",
    "measure",
    "answers",
)
# quantities measured from the surface's minimum
_NEEDS_MINIMUM = ("distance_at", "rms_distance")
# schedules that take other schedules as arguments: not offered to lesson files
_NESTED_SCHEDULES = ("sequential_lr", "warmup")


def lessons_folder() -> Path:
    """$OPTIM_LAB_LESSONS if set, else the shipped assets/lessons."""
    env = os.environ.get(ENV_FOLDER, "").strip()
    return Path(env) if env else DEFAULT_FOLDER


def load_lessons(folder: Path | None = None) -> list[Lesson]:
    """Every *.toml lesson in `folder` (default: lessons_folder()), sorted by (order, id).

    Raises LessonError for a missing folder, too many files, or any malformed file (the first found).
    """
    folder = lessons_folder() if folder is None else Path(folder)
    if not folder.is_dir():
        raise LessonError(f"{folder}: the lessons folder does not exist")
    paths: list[Path] = []
    for path in folder.iterdir():  # stops at one file over the limit: a huge folder is not listed whole
        if path.suffix == ".toml":
            paths.append(path)
            if len(paths) > limits.MAX_FILES:
                raise LessonError(f"{folder}: more than {limits.MAX_FILES} lesson files")
    paths.sort()
    lessons = [load_lesson(path) for path in paths]
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.id))


def load_lesson(path: Path) -> Lesson:
    """One lesson file; its id is the file's stem."""
    name = path.name
    if path.is_symlink() or not path.is_file():
        raise LessonError(f"{name}: not a regular file")
    if not _valid_id(path.stem):
        raise LessonError(f"{name}: the file name must use only letters, digits, '-' and '_'")
    size = path.stat().st_size
    if size > limits.MAX_FILE_BYTES:
        raise LessonError(f"{name}: {size} bytes; a lesson file may have at most {limits.MAX_FILE_BYTES}")
    with path.open("rb") as stream:
        data = stream.read(limits.MAX_FILE_BYTES + 1)
    if len(data) > limits.MAX_FILE_BYTES:
        raise LessonError(f"{name}: a lesson file may have at most {limits.MAX_FILE_BYTES} bytes")
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise LessonError(f"{name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"{name}: not valid TOML ({error})") from None
    return parse_lesson(path.stem, name, table)


def _valid_id(stem: str) -> bool:
    return bool(ID_PATTERN.fullmatch(stem)) and len(stem) <= 80


def parse_lesson(lesson_id: str, file: str, table: dict) -> Lesson:
    """A Lesson from a parsed TOML table; `file` names the source in errors."""
    top = Fields(file, table)
    top.only(*_TOP_FIELDS)
    scene = _scene(top.table_at("scene"))
    measure = _measure(top.table_at("measure"), scene)
    answers = tuple(
        _answer(fields, measure, scene)
        for fields in top.tables("answers", limits.MIN_ANSWERS, limits.MAX_ANSWERS)
    )
    ids = [a.id for a in answers]
    subjects = [a.subject for a in answers]
    for i, subject in enumerate(subjects):
        if subject is not None and subject in subjects[:i]:
            raise top.error(f"answers[{i}].subject", f"repeats subject {subject} (each answer needs its own)")
    for i, answer_id in enumerate(ids):
        if answer_id in ids[:i]:
            raise top.error(f"answers[{i}].id", f"repeats the answer id {answer_id!r}")
    expected = top.string("expected", max_chars=limits.MAX_ID_CHARS)
    if expected not in ids:
        raise top.error("expected", f"is {expected!r}, not an answer id ({', '.join(ids)})")
    return Lesson(
        id=lesson_id,
        order=top.integer("order", 0, 10_000),
        title=top.text("title"),
        question=top.text("question"),
        explanation=top.text("explanation"),
        answers=answers,
        formula=top.string("formula", max_chars=limits.MAX_FORMULA_CHARS),
        scene=scene,
        measure=measure,
        expected=expected,
    )


# ---- the scene ------------------------------------------------------------------------------------


def _scene(fields: Fields) -> Scene:
    page = fields.choice("page", PAGES)
    if page == "playground":
        return _playground(fields)
    if page == "schedules":
        return _schedules(fields)
    return _ema(fields)


def _playground(fields: Fields) -> PlaygroundScene:
    fields.only(
        "page", "surface", "surface_params", "start", "steps", "runs", "noise", "seed", "weight_decay",
        "clip_norm", "schedule",
    )  # fmt: skip
    surface_name = fields.choice("surface", surface_names())
    table = fields.table_at("surface_params", {})
    params = tuple(sorted((name, table.number(name, -1e6, 1e6)) for name in table.table))
    try:
        surface = get_surface(surface_name, **dict(params))
    except (TypeError, ValueError) as error:
        raise fields.error("surface_params", f"is invalid: {error}") from None
    steps = fields.integer("steps", limits.MIN_PLAYGROUND_STEPS, limits.MAX_PLAYGROUND_STEPS)
    start = _start(fields, surface.start)
    runs = tuple(_run(run) for run in fields.tables("runs", 1, limits.MAX_RUNS))
    clip = fields.number("clip_norm", 0.01, 100.0, None) if fields.has("clip_norm") else None
    schedule = _curve(fields.table_at("schedule"), 1.0, steps) if fields.has("schedule") else None
    return PlaygroundScene(
        surface=surface_name,
        surface_params=params,
        runs=runs,
        start=start,
        steps=steps,
        noise=fields.choice("noise", tuple(limits.NOISE_MODES), "batch"),
        seed=fields.integer("seed", 0, limits.MAX_SEED, 0),
        weight_decay=fields.number("weight_decay", 0.0, 1.0, 0.0),
        clip_norm=clip,
        schedule=schedule,
    )


def _start(fields: Fields, default: tuple[float, float]) -> tuple[float, float]:
    value = fields.raw("start", list(default))
    if not isinstance(value, list) or len(value) != 2:
        raise fields.error("start", "must be an array of two numbers [x, y]")
    point = Fields(fields.file, {"x": value[0], "y": value[1]}, fields.where("start"))
    return (
        point.number("x", -limits.MAX_START, limits.MAX_START),
        point.number("y", -limits.MAX_START, limits.MAX_START),
    )


def _run(fields: Fields) -> Run:
    fields.only("optimizer", "hyperparams")
    name = fields.choice("optimizer", list(RULES))
    hyperparams = fields.plain_values("hyperparams")
    if "weight_decay" in dict(hyperparams):
        raise fields.error("hyperparams.weight_decay", "is the scene's: set scene.weight_decay instead")
    try:
        resolve_hyperparams(name, dict(hyperparams))
    except ValueError as error:
        raise fields.error("hyperparams", f"are invalid: {error}") from None
    return Run(name, hyperparams)


def _curve(fields: Fields, lr: float, steps: int) -> Curve:
    fields.only("name", "args")
    name = fields.choice(
        "name", [n for n, spec in SCHEDULES.items() if spec.build and n not in _NESTED_SCHEDULES]
    )
    kwargs = fields.plain_values("args")
    if "lr" in dict(kwargs):
        raise fields.error("args.lr", "is the scene's base LR, not a schedule argument")
    try:
        schedule_fn(name, lr=lr, **{k: list(v) if isinstance(v, tuple) else v for k, v in kwargs})(steps - 1)
    except ValueError as error:
        raise fields.error("args", f"are invalid: {error}") from None
    return Curve(name, kwargs)


def _schedules(fields: Fields) -> ScheduleScene:
    fields.only("page", "curves", "steps", "lr")
    steps = fields.integer("steps", 1, limits.MAX_SCHEDULE_STEPS)
    lr = fields.number("lr", 1e-4, 10.0, 0.1)
    curves = tuple(_curve(curve, lr, steps) for curve in fields.tables("curves", 1, limits.MAX_CURVES))
    return ScheduleScene(curves=curves, steps=steps, lr=lr)


def _ema(fields: Fields) -> EmaScene:
    fields.only("page", "series", "seed", "smoothings")
    fields.choice("series", ("temperatures",), "temperatures")
    smoothings = []
    for item in fields.tables("smoothings", 1, limits.MAX_SMOOTHINGS):
        item.only("beta", "debias")
        smoothings.append(Smoothing(item.number("beta", 0.0, 0.999), item.boolean("debias", True)))
    return EmaScene(smoothings=tuple(smoothings), seed=fields.integer("seed", 0, limits.MAX_SEED, 0))


# ---- the measure and the answers --------------------------------------------------------------------


def _measure(fields: Fields, scene: Scene) -> Measure:
    fields.only("kind", "pick", "step", "threshold", "subject", "relative_to", "log")
    kind = fields.choice("kind", tuple(QUANTITIES[scene.page]))
    pick = fields.choice("pick", PICKS)
    last = _last_step(scene)
    n = len(scene.subjects)
    measure = Measure(
        kind=kind,
        pick=pick,  # type: ignore[arg-type]  # checked against PICKS above
        step=fields.integer("step", 0, last, None) if fields.has("step") else None,
        threshold=fields.number("threshold", -1e12, 1e12, None) if fields.has("threshold") else None,
        subject=fields.integer("subject", 0, n - 1, None) if fields.has("subject") else None,
        relative_to=fields.integer("relative_to", 0, n - 1, None) if fields.has("relative_to") else None,
        log=fields.boolean("log", True),
    )
    if kind == "steps_to_loss" and measure.threshold is None:
        raise fields.error("threshold", "is missing (steps_to_loss counts the steps to reach it)")
    if kind in _NEEDS_MINIMUM and isinstance(scene, PlaygroundScene):
        if not get_surface(scene.surface, **dict(scene.surface_params)).minima:
            raise fields.error("kind", f"is {kind!r}, but the surface {scene.surface!r} has no minimum")
    if pick == "nearest" and measure.subject is None:
        raise fields.error("subject", "is missing (pick = 'nearest' measures one subject)")
    return measure


def _last_step(scene: Scene) -> int:
    if isinstance(scene, PlaygroundScene | ScheduleScene):
        return scene.steps if isinstance(scene, PlaygroundScene) else scene.steps - 1
    return len(daily_temperatures(scene.seed)) - 1


def _answer(fields: Fields, measure: Measure, scene: Scene) -> Answer:
    fields.only("id", "text", "subject", "value")
    answer_id = fields.identifier("id", limits.MAX_ID_CHARS)
    text = fields.text("text")
    if measure.pick == "nearest":
        if fields.has("subject"):
            raise fields.error("subject", "is not used with pick = 'nearest' (give value)")
        value = fields.number("value", 0.0 if measure.log else -1e12, 1e12, open_low=measure.log)
        return Answer(answer_id, text, value=value)
    if fields.has("value"):
        raise fields.error("value", f"is not used with pick = {measure.pick!r} (give subject)")
    subject = fields.integer("subject", 0, len(scene.subjects) - 1)
    return Answer(answer_id, text, subject=subject)
