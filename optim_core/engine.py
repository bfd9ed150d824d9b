"""The simulation engine: every optimizer × every start advances together on one surface.

    traj = simulate("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3})], starts, 500)

How it stays fast (2D runs are tiny, so the cost is the number of NumPy calls per step, not the data):
* the gradient of all runs is one surface.grad call per step;
* runs of the same rule whose code paths match (see rule.py) form one group and advance in one
  update call, with per-run hyperparameters as (R, 1) arrays; the only Python loops are over steps
  and over these groups;
* rules are pure, so each step's arrays are kept by reference and stacked once at the end, and the
  loss, the updates and the divergence bookkeeping are computed once, over the whole history.

Divergence: a run whose position becomes non-finite, leaves the box |x|, |y| ≤ `divergence_box(surface)`
(10⁶, or 10³ × the largest |bound| of the surface if that is larger), or whose loss becomes non-finite
is frozen. If step t (0-based) is the step whose result was rejected, then diverged_at = t and:
xy[t + 1:] and loss[t + 1:] repeat xy[t] and loss[t], the last valid point; update[t:] = 0;
grad[t + 1:] = NaN (never received; grad[t] is the gradient that led out) and momentum,
second_moment, step_size [t:] = NaN. A start whose own loss is not finite gets diverged_at = 0.
Arithmetic on diverged runs is silenced (np.errstate): the engine never raises or warns because of it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .jitable import jitable
from .optimizers import RULES, Rule, resolve_hyperparams
from .surfaces import Surface, get_surface

# A guard for the memory of the history: every field holds n_optimizers × n_starts × steps rows.
MAX_RUN_STEPS = 20_000_000
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What simulate() recorded; shapes use n = len(optimizers), M = number of starts, T = steps.

    The arrays are views of time-major storage (steps arrive one at a time), so they are not
    C-contiguous; use np.ascontiguousarray where that matters.

    xy (n, M, T+1, 2): positions, xy[:, :, 0] are the starts; loss (n, M, T+1).
    grad (n, M, T, 2): the gradient the rule received at step t (after noise and clipping), taken at
    xy[:, :, t]; update (n, M, T, 2) = xy[t+1] − xy[t].
    momentum, second_moment, step_size (n, M, T, 2): the rule's diagnostics after step t
    (NaN where the rule has none; each rule's docstring says what its step_size multiplies).
    lr (n, T): the learning rate in effect at step t. diverged_at (n, M): see the module docstring.
    """

    optimizers: list[tuple[str, dict]]
    labels: list[str]
    xy: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    update: np.ndarray
    momentum: np.ndarray
    second_moment: np.ndarray
    step_size: np.ndarray
    lr: np.ndarray
    diverged_at: np.ndarray
    steps: int
    surface: Surface

    @classmethod
    def stack(cls, parts: Sequence[Trajectory]) -> Trajectory:
        """Runs of the same surface, starts, steps, noise and schedule as one Trajectory, optimizers in
        order. Every optimizer's runs are independent of the others' (the noise depends only on the
        seed and the start), so stacking one-optimizer runs gives what a single call gives (to the last
        bit, except where one call steps two optimizers of the same rule together: see
        `_stacked`); a page can then rerun only the optimizer whose setting changed."""
        first = parts[0]
        # the surface is compared by name and window: a cache may hold an equal surface built twice
        if any(
            p.surface.name != first.surface.name
            or p.surface.bounds != first.surface.bounds
            or p.steps != first.steps
            or not np.array_equal(p.xy[0, :, 0], first.xy[0, :, 0])
            for p in parts
        ):
            raise ValueError("only runs of one surface, with the same starts and steps, can be stacked")
        configs = [config for p in parts for config in p.optimizers]
        arrays = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in (
                "xy",
                "loss",
                "grad",
                "update",
                "momentum",
                "second_moment",
                "step_size",
                "lr",
                "diverged_at",
            )
        }
        return cls(
            optimizers=configs, labels=_labels(configs), steps=first.steps, surface=first.surface, **arrays
        )


def simulate(
    surface: str | Surface,
    optimizers: Sequence[tuple[str, Mapping | None]],
    starts,
    steps: int,
    *,
    lr_schedule: Callable[[int], float] | Sequence[float] | np.ndarray | None = None,
    grad_noise: float = 0.0,
    clip_grad_norm: float | None = None,
    seed: int = 0,
    backend: str = "numpy",
) -> Trajectory:
    """Run every optimizer from every start for `steps` steps on `surface`.

    surface: a built-in name (see surface_names()) or a Surface.
    optimizers: (name, hyperparams) pairs; missing hyperparameters take torch's defaults.
    starts: array-like (M, 2) of start points.
    lr_schedule: None (constant lr), a callable step -> multiplier with 0-based steps, or an array of
        `steps` multipliers. The multiplier scales each optimizer's own lr, so a schedule is written as
        if the base lr were 1.0 (torch: param_group["lr"] = base_lr * multiplier before step t).
    grad_noise: σ of Gaussian noise added to every gradient, mimicking mini-batch gradients. One
        sequence σ · default_rng(seed).standard_normal((M, steps, 2)) is shared by all optimizers for
        the same start, so they see the same noise.
    clip_grad_norm: clip each run's gradient (after noise) as torch.nn.utils.clip_grad_norm_ does:
        g ← g · min(1, max_norm / (‖g‖ + 1e-6)).
    backend: "numpy" (the reference; nothing to compile) or "compiled": the same rule and surface
        functions compiled by numba (optim_core/compiled.py), for long runs with few starts. Its first
        call per rule and surface compiles for seconds; built-in surfaces only.
    Raises ValueError naming the valid choices for unknown names and invalid values.
    """
    surface = _check_surface(surface)
    configs = _check_optimizers(optimizers)
    box = divergence_box(surface)
    starts = _check_starts(starts, box)
    steps = _check_steps(steps)
    n_opt, n_starts = len(configs), len(starts)
    if n_opt * n_starts * steps > MAX_RUN_STEPS:
        raise ValueError(
            f"{n_opt} optimizers × {n_starts} starts × {steps} steps exceeds the limit of "
            f"{MAX_RUN_STEPS:,} run-steps; use fewer starts or steps"
        )
    multipliers = _check_schedule(lr_schedule, steps)
    noise = _noise(grad_noise, seed, n_starts, steps)
    clip = _check_clip(clip_grad_norm)
    advance = _backend(backend, surface)

    groups = _groups(configs, n_starts)
    history = _History.empty(starts, groups[-1].end, steps)
    with np.errstate(all="ignore"):
        advance(surface, groups, starts, steps, multipliers, noise, clip, *history)
        return _assemble(surface, configs, groups, history, n_starts, steps, multipliers, box)


def divergence_box(surface: Surface) -> float:
    """The half-width of the box a run must stay in: 10⁶, or 10³ × the largest |bound| if larger."""
    largest = max(abs(float(v)) for pair in surface.bounds for v in pair)
    return max(1e6, 1e3 * largest)


# ---- one step after another -------------------------------------------------------------------


@dataclass
class _Group:
    """Runs of one rule sharing a code path: optimizers `members` (indices into configs), each with
    every start, occupying rows [begin, end) of the engine's run array."""

    rule: Rule
    members: list[int]
    hp: dict
    lr: float | np.ndarray
    begin: int
    end: int


class _History(NamedTuple):
    """What the backends write, time-major with runs in group order: positions (T+1, R, 2) (row 0 holds
    the starts), gradients (T, R, 2) and the rule's momentum, second moment and step size (T, R, 2)."""

    positions: np.ndarray
    gradients: np.ndarray
    diagnostics: tuple[np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def empty(cls, starts: np.ndarray, n_runs: int, steps: int) -> _History:
        positions = np.empty((steps + 1, n_runs, 2))
        positions[0] = np.tile(starts, (n_runs // len(starts), 1))
        return cls(
            positions, np.empty((steps, n_runs, 2)), tuple(np.empty((steps, n_runs, 2)) for _ in range(3))
        )


def _backend(name, surface: Surface) -> Callable:
    if name == "numpy":
        return _advance
    if name != "compiled":
        raise ValueError(f"backend must be 'numpy' or 'compiled', got {name!r}")
    try:
        from . import compiled
    except ImportError:
        raise ValueError("backend='compiled' needs numba (pip install numba); use backend='numpy'") from None
    if not compiled.supports(surface):
        raise ValueError(
            f"backend='compiled' runs the built-in surfaces only, not {surface.name!r}; use backend='numpy'"
        )
    return compiled.advance


def _advance(surface, groups, starts, steps, multipliers, noise, clip, positions, gradients, diagnostics):
    """Step every run, writing the history (see _History) in place step by step."""
    n_starts = len(starts)
    theta = positions[0]
    states = [g.rule.init(theta[g.begin : g.end]) for g in groups]
    reports = [([], [], []) for _ in groups]  # per group: its momentum, second moment, step size per step
    # what each group needs per step, looked up once (with bound list.append methods)
    plan = [
        (k, g.rule.update, g.hp, g.lr, g.begin, g.end, *(d.append for d in reports[k]))
        for k, g in enumerate(groups)
    ]
    single = len(groups) == 1
    grad_fn = surface.grad
    for t in range(steps):
        # the gradient of every run, written straight into its place in the history
        grad = gradients[t]
        gx, gy = grad_fn(theta[:, 0], theta[:, 1])
        grad[:, 0] = gx
        grad[:, 1] = gy
        if noise is not None:
            by_start = grad.reshape(-1, n_starts, 2)
            by_start += noise[t]
        if clip is not None:
            _clip(grad, clip)
        multiplier = None if multipliers is None else multipliers[t]
        step = t + 1
        moved = []
        for k, update, hp, lr, begin, end, keep_m, keep_v, keep_s in plan:
            if multiplier is not None:
                lr = lr * multiplier
            params, states[k], report = update(grad[begin:end], states[k], theta[begin:end], lr, hp, step)
            keep_m(report.momentum)
            keep_v(report.second_moment)
            keep_s(report.step_size)
            moved.append(params)
        theta = positions[t + 1]
        if single:
            theta[...] = moved[0]
        else:
            np.concatenate(moved, out=theta)
    for index, out in enumerate(diagnostics):
        for group, lists in zip(groups, reports, strict=True):
            _stack_into(out[:, group.begin : group.end], lists[index])


@jitable
def _clip(grad: np.ndarray, max_norm: float) -> None:
    # ‖g‖ per run, then g ← g · min(1, max_norm / (‖g‖ + 1e-6)), in place, as torch.nn.utils.clip_grad_norm_
    gx, gy = grad[:, 0:1], grad[:, 1:2]
    norm = np.sqrt(gx * gx + gy * gy)
    grad *= np.minimum(max_norm / (norm + CLIP_EPS), 1.0)


# ---- grouping ---------------------------------------------------------------------------------


def _groups(configs: list[tuple[str, dict]], n_starts: int) -> list[_Group]:
    """Runs advance together when they share the rule's update, its static hyperparameters and which
    float hyperparameters are zero (a zero switches a term off, as `if weight_decay != 0` in torch)."""
    by_key: dict[tuple, list[int]] = {}
    for index, (name, hp) in enumerate(configs):
        rule = RULES[name]
        static = tuple(
            (p.name, hp[p.name])
            for p in rule.hyperparams
            if p.kind in ("bool", "int") or p.name in rule.static
        )
        zero = tuple((p.name, hp[p.name] == 0) for p in rule.hyperparams if p.kind == "float")
        by_key.setdefault((rule.update, static, zero), []).append(index)
    groups, begin = [], 0
    for members in by_key.values():
        rule = RULES[configs[members[0]][0]]
        hp = {
            p.name: _stacked([configs[i][1][p.name] for i in members], p.kind, n_starts)
            for p in rule.hyperparams
        }
        end = begin + len(members) * n_starts
        groups.append(_Group(rule, members, hp, hp["lr"], begin, end))
        begin = end
    return groups


def _stacked(values: list, kind: str, n_starts: int):
    """One value if all runs share it, else an (R, 1) array with one row per run (betas: per component)."""
    if kind == "betas":
        return tuple(_stacked([v[i] for v in values], "float", n_starts) for i in range(2))
    if all(v == values[0] for v in values):
        return values[0]
    return np.repeat(np.asarray(values, dtype=float), n_starts)[:, None]


# ---- the history, assembled once --------------------------------------------------------------


def _assemble(surface, configs, groups, history, n_starts, steps, multipliers, box) -> Trajectory:
    """Stack the history once. Arrays are stored time-major, (T, n, M, 2), because that is how steps
    arrive; the Trajectory fields are transposed views of them in the documented (n, M, T, 2) order."""
    n_opt = len(configs)
    positions, gradients, diagnostics = history
    order = [i for group in groups for i in group.members]  # optimizer index of each block of runs

    def by_optimizer(time_major: np.ndarray) -> np.ndarray:
        blocks = time_major.reshape(time_major.shape[0], n_opt, n_starts, -1)
        if order != list(range(n_opt)):
            blocks = blocks[:, np.argsort(order)]
        return blocks.transpose(1, 2, 0, 3)

    n_runs = groups[-1].end
    loss_time_major = np.empty((steps + 1, n_runs, 1))
    loss_time_major[..., 0] = surface.f(positions[..., 0], positions[..., 1])
    xy, loss, grad = by_optimizer(positions), by_optimizer(loss_time_major)[..., 0], by_optimizer(gradients)
    momentum, second_moment, step_size = (by_optimizer(time_major) for time_major in diagnostics)

    base_lr = np.array([hp["lr"] for _, hp in configs])[:, None]
    lr = base_lr * (1.0 if multipliers is None else np.asarray(multipliers)[None, :]) + np.zeros((1, steps))
    diverged_at = _freeze_diverged(xy, loss, grad, (momentum, second_moment, step_size), box)
    update = np.diff(xy, axis=2)
    return Trajectory(
        optimizers=configs,
        labels=_labels(configs),
        xy=xy,
        loss=loss,
        grad=grad,
        update=update,
        momentum=momentum,
        second_moment=second_moment,
        step_size=step_size,
        lr=lr,
        diverged_at=diverged_at,
        steps=steps,
        surface=surface,
    )


def _stack_into(out: np.ndarray, items: list) -> None:
    """Write one group's per-step diagnostics into out (T, R, 2). Each item is None (the rule has none:
    NaN), a number or an array broadcastable to (R, 2); a rule keeps one kind, so the fast paths try
    the first item's kind and fall back to broadcasting item by item."""
    first = items[0]
    try:
        if first is None and items.count(None) == len(items):
            out[...] = np.nan
            return
        if np.ndim(first) == 0:
            values = np.array(items, dtype=float)  # None becomes NaN
            if values.shape == (len(items),):
                out[...] = values[:, None, None]
                return
        else:
            np.stack(items, out=out)  # the common case: one (R, 2) array per step, copied straight in
            return
    except (ValueError, TypeError):
        pass
    out[...] = np.stack([np.broadcast_to(np.nan if i is None else i, out.shape[1:]) for i in items])


def _freeze_diverged(xy, loss, grad, diagnostics, box) -> np.ndarray:
    """Freeze diverged runs at their last valid point (see the module docstring); returns diverged_at."""
    valid = (np.abs(xy) <= box).all(axis=-1) & np.isfinite(loss)  # NaN fails the comparison
    invalid = ~valid
    diverged = invalid.any(axis=-1)
    diverged_at = np.full(diverged.shape, -1, dtype=int)
    if not diverged.any():
        return diverged_at
    runs = np.nonzero(diverged)
    first_invalid = invalid[runs].argmax(axis=-1)
    # the 0-based step whose result was rejected = the index of the last valid position
    last_valid = np.maximum(first_invalid - 1, 0)
    diverged_at[runs] = last_valid
    rows = np.arange(len(last_valid))
    times = np.arange(xy.shape[2])[None, :]
    later = times > last_valid[:, None]  # (K, T+1): positions and losses after the last valid one
    xy[runs] = np.where(later[..., None], xy[runs][rows, last_valid][:, None, :], xy[runs])
    loss[runs] = np.where(later, loss[runs][rows, last_valid][:, None], loss[runs])
    # grad[t] led out and is kept; later ones were never received
    grad[runs] = np.where(later[:, :-1, None], np.nan, grad[runs])
    from_rejected = times[:, :-1] >= last_valid[:, None]  # (K, T): the rejected step and after
    for diagnostic in diagnostics:
        diagnostic[runs] = np.where(from_rejected[..., None], np.nan, diagnostic[runs])
    return diverged_at


def _labels(configs: list[tuple[str, dict]]) -> list[str]:
    """Each rule's display label; where several share one, the hyperparameters that differ are added."""
    labels = [RULES[name].display_label(hp) for name, hp in configs]
    for label in set(labels):
        same = [i for i, text in enumerate(labels) if text == label]
        if len(same) < 2:
            continue
        names = [
            n
            for n in configs[same[0]][1]
            if any(configs[i][1].get(n) != configs[same[0]][1][n] for i in same)
        ]
        for count, i in enumerate(same, start=1):
            hp = configs[i][1]
            detail = ", ".join(f"{n}={_short(hp.get(n))}" for n in names) or f"#{count}"
            labels[i] = f"{label} ({detail})"
    return labels


def _short(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---- input checks -----------------------------------------------------------------------------


def _check_surface(surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str):
        return get_surface(surface)
    raise ValueError(f"surface must be a Surface or a built-in surface name, got {type(surface).__name__}")


def _check_optimizers(optimizers) -> list[tuple[str, dict]]:
    if (
        isinstance(optimizers, str | bytes | Mapping)
        or not isinstance(optimizers, Sequence)
        or not optimizers
    ):
        raise ValueError(
            "optimizers must be a non-empty sequence of (name, hyperparameters) pairs; "
            f"valid names: {', '.join(RULES)}"
        )
    configs = []
    for item in optimizers:
        if isinstance(item, str):
            name, hp = item, None
        elif isinstance(item, Sequence) and len(item) == 2:
            name, hp = item
        else:
            raise ValueError(f"each optimizer must be a (name, hyperparameters) pair, got {item!r}")
        configs.append((name, resolve_hyperparams(name, hp)))
    return configs


def _check_starts(starts, box: float) -> np.ndarray:
    try:
        points = np.array(starts, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("starts must be an array-like of shape (M, 2) of numbers") from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"starts must have shape (M, 2) with M ≥ 1, got shape {points.shape}")
    if not (np.abs(points) <= box).all():  # also rejects NaN
        raise ValueError(f"starts must be finite points within |x|, |y| ≤ {box:g}")
    return points


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be an integer ≥ 1, got {steps!r}")
    return int(steps)


def _check_schedule(lr_schedule, steps: int) -> list[float] | None:
    if lr_schedule is None:
        return None
    if callable(lr_schedule):
        values = [lr_schedule(t) for t in range(steps)]
    else:
        values = lr_schedule
    try:
        multipliers = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("lr_schedule must give numbers (multipliers of each optimizer's lr)") from None
    if multipliers.shape != (steps,):
        raise ValueError(
            f"lr_schedule must give one multiplier per step: shape ({steps},), got {multipliers.shape}"
        )
    if not (np.isfinite(multipliers).all() and (multipliers >= 0).all()):
        raise ValueError("lr_schedule multipliers must be finite and ≥ 0")
    return multipliers.tolist()


def _noise(grad_noise, seed, n_starts: int, steps: int) -> np.ndarray | None:
    if (
        isinstance(grad_noise, bool)
        or not isinstance(grad_noise, numbers.Real)
        or not math.isfinite(grad_noise)
        or grad_noise < 0
    ):
        raise ValueError(f"grad_noise must be a finite number ≥ 0, got {grad_noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer ≥ 0, got {seed!r}")
    if grad_noise == 0:
        return None
    noise = float(grad_noise) * np.random.default_rng(int(seed)).standard_normal((n_starts, steps, 2))
    return np.ascontiguousarray(noise.transpose(1, 0, 2))  # time-major: noise[t] is (M, 2)


def _check_clip(clip_grad_norm) -> float | None:
    if clip_grad_norm is None:
        return None
    if (
        isinstance(clip_grad_norm, bool)
        or not isinstance(clip_grad_norm, numbers.Real)
        or not math.isfinite(clip_grad_norm)
        or clip_grad_norm <= 0
    ):
        raise ValueError(f"clip_grad_norm must be None or a finite number > 0, got {clip_grad_norm!r}")
    return float(clip_grad_norm)
