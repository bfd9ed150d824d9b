"""A lesson's scene as the URL of the full page in that state ("try it yourself"). No streamlit import.

Each page reads its state from URL settings (app/shared/settings.py); a link here writes every value the
scene sets, through those pages' own Settings, so the page opens on exactly the scene:

- Playground: surface (+ the ravine's condition), start, steps, noise, seed, weight decay, clipping,
  the optimizers and every hyperparameter (torch's defaults filled in, as decide() runs them), the
  LR-multiplier schedule.
- Schedules: the first curve is the one being edited (sched, sched_<arg>), the others are kept
  (keep=name|arg=value;...), with the scene's steps and base lr.
- EMA: the generated temperatures (seed) and one smoothing's β and bias correction: one link per
  smoothing, since the page shows one β at a time.

A value the page's control cannot hold (an LR off the slider's round grid, a surface parameter the
page has no control for) would open another state: `mismatches` names such values, and the tests in
tests/app/test_page_lessons.py open every shipped lesson's links and compare the page with the scene.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from app.shared.controls import slot_settings
from app.shared.schedule_controls import flat_settings
from app.shared.schedule_links import PLAYGROUND_KEY, PLAYGROUND_PREFIX, encode_curve, playground_query
from app.shared.settings import Setting
from app.shared.simulation_cache import cached_scales
from optim_core.lessons.schema import EmaScene, Lesson, PlaygroundScene, Scene, ScheduleScene
from optim_core.optimizers import resolve_hyperparams

# the Playground's controls for the surface parameters it offers (app/views/playground/page.py)
PLAYGROUND_SURFACE_PARAMS = {"ravine": ("condition",)}


@dataclass(frozen=True)
class TryLink:
    """A page (its url_path) and the URL query that opens it in the scene's state; `subject`: the
    smoothing an EMA link shows (None for the other pages, whose link shows the whole scene)."""

    page: str
    query: dict[str, str]
    subject: int | None = None

    @property
    def url(self) -> str:
        return f"/{self.page}?" + urllib.parse.urlencode(self.query, safe=",|;")


def try_links(lesson: Lesson) -> list[TryLink]:
    """The links that open the lesson's scene on its page (one; one per smoothing for an EMA scene)."""
    scene = lesson.scene
    if isinstance(scene, PlaygroundScene):
        return [TryLink("playground", playground_link_query(scene))]
    if isinstance(scene, ScheduleScene):
        return [TryLink("schedules", schedules_link_query(scene))]
    return [TryLink("ema", ema_link_query(scene, i), subject=i) for i in range(len(scene.smoothings))]


def run_hyperparams(scene: PlaygroundScene) -> list[dict[str, Any]]:
    """Each run's hyperparameters as decide() simulates them: torch's defaults filled in."""
    return [resolve_hyperparams(run.optimizer, run.hp) for run in scene.runs]


def slot_values(slot: int, name: str, hp: dict[str, Any]) -> dict[str, Any]:
    """The Playground's URL values of one optimizer slot holding `hp` (betas split in two)."""
    values: dict[str, Any] = {}
    for key, value in hp.items():
        if key == "weight_decay":
            continue  # the page's common control (scene.weight_decay)
        if isinstance(value, tuple | list):
            for j, item in enumerate(value, start=1):
                values[f"o{slot}_{key}{j}"] = item
        else:
            values[f"o{slot}_{key}"] = value
    return values


def playground_link_query(scene: PlaygroundScene) -> dict[str, str]:
    scales = cached_scales(scene.surface, None, scene.surface_params)
    query: dict[str, str] = {
        "surface": scene.surface,
        "x0": _number(scene.start[0]),
        "y0": _number(scene.start[1]),
        "steps": str(scene.steps),
        "noise": scene.noise,
        "n_opt": str(len(scene.runs)),
    }
    for key in PLAYGROUND_SURFACE_PARAMS.get(scene.surface, ()):
        if key in dict(scene.surface_params):
            query[key] = _number(float(dict(scene.surface_params)[key]))
    if scene.noise != "batch":
        query["seed"] = str(scene.seed)
    if scene.weight_decay:
        query["wd"] = _number(scene.weight_decay)
    if scene.clip_norm is not None:
        query["clip"], query["clip_norm"] = "true", _number(scene.clip_norm)
    for slot, (run, hp) in enumerate(zip(scene.runs, run_hyperparams(scene), strict=True), start=1):
        query[f"o{slot}"] = run.optimizer
        settings = {s.key: s for s in slot_settings(slot, run.optimizer, scales)}
        for key, value in slot_values(slot, run.optimizer, hp).items():
            if key in settings:
                query[key] = settings[key].encode(value)
    if scene.schedule is not None:
        query.update(playground_query(scene.schedule.schedule, _kwargs(scene.schedule.kwargs), 1.0))
    return query


def schedules_link_query(scene: ScheduleScene) -> dict[str, str]:
    first, *others = scene.curves
    # the page edits its curve in absolute LRs (not the Playground's multipliers) under the same keys
    query = {"steps": str(scene.steps), "lr": _number(scene.lr), PLAYGROUND_KEY: first.schedule}
    kwargs = _kwargs(first.kwargs)
    query.update({s.key: s.encode(v) for s, v in flat_settings(first.schedule, kwargs, PLAYGROUND_PREFIX)})
    if others:
        query["keep"] = ";".join(encode_curve(c.schedule, _kwargs(c.kwargs)) for c in others)
    return query


def ema_link_query(scene: EmaScene, index: int) -> dict[str, str]:
    smoothing = scene.smoothings[index]
    return {
        "source": "temperatures",
        "seed": str(scene.seed),
        "beta": _number(smoothing.beta),
        "debias": Setting("debias", "bool", True, "").encode(smoothing.debias),
    }


def mismatches(scene: Scene) -> list[str]:
    """The scene's values that its page's controls cannot hold exactly (the link would open another
    state): a surface parameter without a control, a value off a slider's grid or outside its range."""
    if not isinstance(scene, PlaygroundScene):
        return []
    problems = [
        f"surface_params.{key}"
        for key, _ in scene.surface_params
        if key not in PLAYGROUND_SURFACE_PARAMS.get(scene.surface, ())
    ]
    scales = cached_scales(scene.surface, None, scene.surface_params)
    for slot, (run, hp) in enumerate(zip(scene.runs, run_hyperparams(scene), strict=True), start=1):
        settings = {s.key: s for s in slot_settings(slot, run.optimizer, scales)}
        for key, value in slot_values(slot, run.optimizer, hp).items():
            setting = settings.get(key)
            if setting is not None and setting.clean(value) != value:
                problems.append(f"runs[{slot - 1}].{key.split('_', 1)[1]}")
    return problems


def _kwargs(pairs: tuple[tuple[str, object], ...]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in pairs}


def _number(value: float) -> str:
    return f"{float(value):.10g}"
