"""decide(lesson): the answer a lesson's scene shows, computed by optim_core, never written by hand.

The scene runs through the library the page itself uses: simulate() for the Playground (NumPy backend,
the reference), lr_curve() for the Schedules page, ema() of daily_temperatures() for the EMA page. Then
the lesson's Measure reads one quantity per subject (a run, a curve, a smoothing) from that result, and
the answer is picked by it (see schema.py). Nothing is cached: a decision takes well under a second.

The quantities (QUANTITIES[page][kind] -> (result, subject index, measure) -> float):

Playground (a diverged run counts as +inf for losses, distances and step counts):
    final_loss        f at the last step
    steps_to_loss     the first step t with f(θ_t) <= threshold (+inf if never)
    distance_at       ‖θ_k − θ*‖ at step k (default: the last), θ* the surface's nearest minimum
    rms_distance      √(mean ‖θ_t − θ*‖²) over steps t = k .. T (default k = T/2): where noise leaves it
    first_step        ‖θ_1 − θ_0‖, the size of the first update
    path_length       Σ_t ‖θ_{t+1} − θ_t‖ up to step k (default: the last): zig-zags make it long
Schedules:
    lr_at             the LR in effect at step k (default: the last)
    mean_lr           the mean LR over the run
    restarts          how many times the LR jumps up
EMA (day k, default the last):
    window            the fewest recent days holding 1 − 1/e of the EMA's weight after k + 1 days
    lag               the shift d (days, up to MAX_LAG) at which the EMA best matches the series d days
                      earlier (the largest correlation): how far the smoothed curve runs behind
    start_gap         mean |EMA − temperature| over days 0 .. k (default 9): the early bias toward 0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..optimizers import RULES
from ..schedules import lr_curve
from ..simulation import Trajectory, simulate
from ..smoothing import daily_temperatures, ema, ema_weights
from ..surfaces import get_surface
from .limits import NOISE_MODES, typical_gradient
from .schema import Decision, EmaScene, Lesson, Measure, PlaygroundScene, Scene, ScheduleScene

Quantity = Callable[[Any, int, Measure], float]
MAX_LAG = 120  # days


# ---- Playground -------------------------------------------------------------------------------------


def _alive(traj: Trajectory, i: int, step: int) -> bool:
    """Whether run i had not diverged by `step` (diverged_at is −1 for a run that never did)."""
    at = int(traj.diverged_at[i, 0])
    return at < 0 or step <= at


def _distances(traj: Trajectory, i: int) -> np.ndarray:
    """‖θ_t − θ*‖ for every step, θ* the surface's minimum nearest to the run's last point."""
    xy = traj.xy[i, 0]
    minima = np.asarray(traj.surface.minima, dtype=float).reshape(-1, 2)
    best = minima[np.argmin(np.hypot(*(minima - xy[-1]).T))]
    return np.hypot(*(xy - best).T)


def _final_loss(traj: Trajectory, i: int, m: Measure) -> float:
    return float(traj.loss[i, 0, -1]) if _alive(traj, i, traj.steps) else math.inf


def _steps_to_loss(traj: Trajectory, i: int, m: Measure) -> float:
    below = np.flatnonzero(traj.loss[i, 0] <= m.threshold)
    if below.size == 0 or not _alive(traj, i, int(below[0])):
        return math.inf
    return float(below[0])


def _distance_at(traj: Trajectory, i: int, m: Measure) -> float:
    k = traj.steps if m.step is None else m.step
    return float(_distances(traj, i)[k]) if _alive(traj, i, k) else math.inf


def _rms_distance(traj: Trajectory, i: int, m: Measure) -> float:
    k = traj.steps // 2 if m.step is None else m.step
    if not _alive(traj, i, traj.steps):
        return math.inf
    return float(np.sqrt(np.mean(_distances(traj, i)[k:] ** 2)))


def _first_step(traj: Trajectory, i: int, m: Measure) -> float:
    return float(np.hypot(*traj.update[i, 0, 0])) if _alive(traj, i, 1) else math.inf


def _path_length(traj: Trajectory, i: int, m: Measure) -> float:
    k = traj.steps if m.step is None else m.step
    if not _alive(traj, i, k):
        return math.inf
    return float(np.hypot(*traj.update[i, 0, :k].T).sum())


def run_scene(scene: PlaygroundScene) -> Trajectory:
    """The scene's runs, as the Playground computes them (its noise rule and page-wide weight decay)."""
    surface = get_surface(scene.surface, **dict(scene.surface_params))
    configs = []
    for run in scene.runs:
        hp = run.hp
        if any(p.name == "weight_decay" for p in RULES[run.optimizer].hyperparams):
            hp["weight_decay"] = scene.weight_decay
        configs.append((run.optimizer, hp))
    multipliers = None
    if scene.schedule is not None:
        multipliers = lr_curve(scene.schedule.schedule, scene.steps, lr=1.0, **_kwargs(scene.schedule.kwargs))
    return simulate(
        surface,
        configs,
        [scene.start],
        scene.steps,
        lr_schedule=multipliers,
        grad_noise=NOISE_MODES[scene.noise] * typical_gradient(surface),
        clip_grad_norm=scene.clip_norm,
        seed=scene.seed,
        backend="numpy",
    )


def _kwargs(pairs: tuple[tuple[str, object], ...]) -> dict[str, object]:
    """A curve's arguments as the schedule builders take them (arrays as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in pairs}


# ---- Schedules --------------------------------------------------------------------------------------


def schedule_curves(scene: ScheduleScene) -> list[np.ndarray]:
    return [lr_curve(c.schedule, scene.steps, lr=scene.lr, **_kwargs(c.kwargs)) for c in scene.curves]


def _lr_at(curves: list[np.ndarray], i: int, m: Measure) -> float:
    return float(curves[i][-1 if m.step is None else m.step])


def _mean_lr(curves: list[np.ndarray], i: int, m: Measure) -> float:
    return float(np.mean(curves[i]))


def _restarts(curves: list[np.ndarray], i: int, m: Measure) -> float:
    rises = np.diff(curves[i]) > 1e-12 * np.max(np.abs(curves[i]))
    return float(np.count_nonzero(rises[1:] & ~rises[:-1]) + int(rises[0])) if rises.size else 0.0


# ---- EMA ----------------------------------------------------------------------------------------------


def ema_curves(scene: EmaScene) -> tuple[np.ndarray, list[np.ndarray]]:
    """The temperatures and each smoothing of them."""
    values = daily_temperatures(scene.seed)
    return values, [ema(values, s.beta, debias=s.debias) for s in scene.smoothings]


def _window(data: tuple[EmaScene, np.ndarray, list[np.ndarray]], i: int, m: Measure) -> float:
    scene, values, _ = data
    n = len(values) if m.step is None else m.step + 1
    smoothing = scene.smoothings[i]
    weights = ema_weights(smoothing.beta, n, debias=smoothing.debias)[::-1]  # newest first
    share = np.cumsum(weights) / weights.sum()
    return float(np.searchsorted(share, 1 - math.exp(-1)) + 1)


def _lag(data: tuple[EmaScene, np.ndarray, list[np.ndarray]], i: int, m: Measure) -> float:
    _, values, curves = data
    n = len(values)
    shifts = range(min(MAX_LAG, n // 3) + 1)
    # the shift d that lines the EMA up best with the series d days earlier: corr(v[d:], θ[:n-d])
    corr = [np.corrcoef(curves[i][d:], values[: n - d])[0, 1] for d in shifts]
    return float(np.argmax(corr))


def _start_gap(data: tuple[EmaScene, np.ndarray, list[np.ndarray]], i: int, m: Measure) -> float:
    k = 9 if m.step is None else m.step
    _, values, curves = data
    return float(np.mean(np.abs(curves[i][: k + 1] - values[: k + 1])))


QUANTITIES: dict[str, dict[str, Quantity]] = {
    "playground": {
        "final_loss": _final_loss,
        "steps_to_loss": _steps_to_loss,
        "distance_at": _distance_at,
        "rms_distance": _rms_distance,
        "first_step": _first_step,
        "path_length": _path_length,
    },
    "schedules": {"lr_at": _lr_at, "mean_lr": _mean_lr, "restarts": _restarts},
    "ema": {"window": _window, "lag": _lag, "start_gap": _start_gap},
}


def _compute(scene: Scene) -> Any:
    """What the page computes for the scene, in the form its quantities read."""
    if isinstance(scene, PlaygroundScene):
        return run_scene(scene)
    if isinstance(scene, ScheduleScene):
        return schedule_curves(scene)
    values, curves = ema_curves(scene)
    return scene, values, curves


def _gap(best: float, runner_up: float) -> float:
    """The relative gap between two values, in [0, 1]; 1 where only `best` is finite."""
    if best == runner_up:
        return 0.0
    if math.isinf(best) or math.isinf(runner_up):
        return 1.0
    return abs(runner_up - best) / max(abs(runner_up), abs(best))


def decide(lesson: Lesson) -> Decision:
    """Run the lesson's scene and measure it: the computed answer, each answer's value and the margin."""
    m = lesson.measure
    quantity = QUANTITIES[lesson.scene.page][m.kind]
    data = _compute(lesson.scene)
    if m.pick == "nearest":
        assert m.subject is not None  # load.py checks it
        measured = quantity(data, m.subject, m)
        if m.relative_to is not None:
            measured /= quantity(data, m.relative_to, m)
        values = {a.id: float(a.value) for a in lesson.answers if a.value is not None}

        def off(guess: float) -> float:
            if m.log:
                return abs(math.log(measured / guess)) if measured > 0 else math.inf
            return abs(measured - guess)

        ranked = sorted(values, key=lambda a: off(values[a]))
        margin = _gap(off(values[ranked[0]]), off(values[ranked[1]]))
        detail = f"{m.kind} = {measured:.6g}; nearest guess: {ranked[0]} ({values[ranked[0]]:g})"
        return Decision(ranked[0], values, measured, margin, detail)
    values = {a.id: quantity(data, a.subject, m) for a in lesson.answers if a.subject is not None}
    ranked = sorted(values, key=lambda a: values[a], reverse=m.pick == "max")
    best, runner_up = values[ranked[0]], values[ranked[1]]
    margin = _gap(best, runner_up)
    shown = ", ".join(f"{a}: {v:.6g}" for a, v in values.items())
    return Decision(ranked[0], values, None, margin, f"{m.kind} ({m.pick}) per answer: {shown}")
