"""What a lesson is: plain, typed, frozen data read from one TOML file (load.py) and decided by measure.py.

A lesson is a scene (one page's state, in optim_core's own terms), a question with 2–4 answers, the
measurement that decides which answer is right, the answer its explanation describes, and the one
formula that explains it. Texts map a language code ("en", "zh") to a string.

Answers are decided in one of two ways (Measure.pick):

* "min" / "max": each answer names a subject (an index into the scene's `subjects`: the Playground's
  runs, the Schedules page's curves or the EMA page's smoothings); the measured quantity is computed
  for each, and the answer whose subject has the smallest / largest value is the computed answer.
* "nearest": one number is measured (the quantity of `Measure.subject`, divided by the quantity of
  `Measure.relative_to` if given); each answer holds a guess `value`, and the guess nearest to the
  measurement (on a log scale if `Measure.log`) is the computed answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Text = dict[str, str]  # language code -> text; every lesson text has "en" and "zh"
LANGUAGES = ("en", "zh")

PAGES = ("playground", "schedules", "ema")
PICKS = ("min", "max", "nearest")


class LessonError(ValueError):
    """A malformed lesson file; the message names the file and the field, e.g.
    "03-ravine.toml: answers[2].text.zh is missing"."""


@dataclass(frozen=True)
class Run:
    """One optimizer of a Playground scene: a name of optim_core.optimizers.RULES and its hyperparameters
    as given in the file (torch's defaults fill the rest; weight decay is the scene's, as on the page)."""

    optimizer: str
    hyperparams: tuple[tuple[str, object], ...] = ()

    @property
    def hp(self) -> dict[str, object]:
        return dict(self.hyperparams)


@dataclass(frozen=True)
class Curve:
    """One LR schedule: a name of optim_core.schedules.SCHEDULES and its arguments (lr excluded: the
    scene's base lr, or 1.0 in a Playground scene, where the curve multiplies every run's lr). A file
    writes it as a table: name = "step_lr", args = { step_size = 100 }."""

    schedule: str
    kwargs: tuple[tuple[str, object], ...] = ()

    @property
    def arguments(self) -> dict[str, object]:
        return dict(self.kwargs)


@dataclass(frozen=True)
class Smoothing:
    """One EMA of the EMA page's series: optim_core.smoothing.ema(series, beta, debias=debias)."""

    beta: float
    debias: bool = True


@dataclass(frozen=True)
class PlaygroundScene:
    """The Playground's state: runs of simulate() from one start on a built-in surface.

    noise: one of NOISE_MODES (scene.py): σ = NOISE_MODES[noise] · typical_gradient(surface), the
    page's own rule. weight_decay: applied to every run whose rule has a weight_decay (as the page does).
    schedule: an optional LR multiplier curve (built with lr = 1.0).
    """

    surface: str
    runs: tuple[Run, ...]
    start: tuple[float, float]
    steps: int
    surface_params: tuple[tuple[str, float], ...] = ()
    noise: str = "batch"
    seed: int = 0
    weight_decay: float = 0.0
    clip_norm: float | None = None
    schedule: Curve | None = None
    page: Literal["playground"] = "playground"

    @property
    def subjects(self) -> tuple[Run, ...]:
        return self.runs


@dataclass(frozen=True)
class ScheduleScene:
    """The Schedules page's state: curves of `steps` LRs from base LR `lr`, compared on one chart."""

    curves: tuple[Curve, ...]
    steps: int
    lr: float = 0.1
    page: Literal["schedules"] = "schedules"

    @property
    def subjects(self) -> tuple[Curve, ...]:
        return self.curves


@dataclass(frozen=True)
class EmaScene:
    """The EMA page's state: the generated year of daily temperatures (smoothing.daily_temperatures(seed))
    and one or more EMAs of it."""

    smoothings: tuple[Smoothing, ...]
    seed: int = 0
    series: Literal["temperatures"] = "temperatures"
    page: Literal["ema"] = "ema"

    @property
    def subjects(self) -> tuple[Smoothing, ...]:
        return self.smoothings


Scene = PlaygroundScene | ScheduleScene | EmaScene


@dataclass(frozen=True)
class Measure:
    """The measurement that decides a lesson (see the module docstring and measure.QUANTITIES).

    kind: a quantity name of measure.QUANTITIES for the scene's page.
    step: the step (or day) the quantity is read at, where it takes one (None: the last).
    threshold: the loss level of "steps_to_loss".
    subject, relative_to, log: what "nearest" measures and how it compares guesses.
    """

    kind: str
    pick: Literal["min", "max", "nearest"]
    step: int | None = None
    threshold: float | None = None
    subject: int | None = None
    relative_to: int | None = None
    log: bool = True


@dataclass(frozen=True)
class Answer:
    """One answer: its id (unique in the lesson), its text, and either the subject it stands for
    (pick "min"/"max") or the guess it makes (pick "nearest")."""

    id: str
    text: Text
    subject: int | None = None
    value: float | None = None


@dataclass(frozen=True)
class Lesson:
    """One lesson file: id is the file's stem; order sorts the lessons; expected is the id of the answer
    the explanation describes (a test checks that decide() computes the same one)."""

    id: str
    order: int
    title: Text
    question: Text
    explanation: Text
    answers: tuple[Answer, ...]
    formula: str
    scene: Scene
    measure: Measure
    expected: str

    def answer(self, answer_id: str) -> Answer:
        return next(a for a in self.answers if a.id == answer_id)


@dataclass(frozen=True)
class Decision:
    """What decide() computed.

    answer: the id of the computed answer.
    values: answer id -> the measured quantity of its subject (pick "min"/"max"), or its guess ("nearest").
    measured: the one measured number of "nearest" (None otherwise).
    margin: how clearly the answer wins, in [0, 1]: the relative gap between the best value and the
        runner-up (for "nearest", between their distances to the measurement); 1 where only the winner
        is finite.
    detail: one line in English saying what was measured, for logs and tests.
    """

    answer: str
    values: dict[str, float]
    measured: float | None
    margin: float
    detail: str
