"""simulate(): every optimizer × every start advances together on one surface.

    traj = simulate("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3})], starts, 500)

The steps: check the arguments (checks.py), group the runs that share a code path (groups.py), let the
backend chosen here fill a time-major history (numba_backend.py where its machine code for the run is
ready, else numpy_backend.py; or the one named), then assemble it once into a Trajectory
(trajectory.py): the loss, the updates and the divergence bookkeeping are computed once, over the whole
history, not per step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..surfaces import Surface, surface_names
from . import numpy_backend, warm
from .checks import (
    check_clip,
    check_optimizers,
    check_schedule,
    check_starts,
    check_steps,
    check_surface,
    gradient_noise,
)
from .groups import RunGroup, group_runs
from .trajectory import Trajectory, run_labels

# A guard for the memory of the history: every field holds n_optimizers × n_starts × steps rows.
MAX_RUN_STEPS = 20_000_000


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
    backend: str | None = None,
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
        g ← g · min(1, max_norm / (‖g‖ + CLIP_EPS)), CLIP_EPS = 1e-6 (step.py).
    backend: None (the default): "compiled" where its machine code for this run is compiled already
        (by warm.warm_up()'s thread, or an earlier call), else "numpy"; it never waits for a compile,
        and the results agree (tests/core/test_numba_backend.py: to 1e-13, in practice identical).
        "numpy": the reference; nothing to compile. "compiled": the same rule and surface functions
        compiled by numba (numba_backend.py), compiling first (seconds per rule and surface) if need
        be; built-in surfaces only.
    Raises ValueError naming the valid choices for unknown names and invalid values.
    """
    surface = check_surface(surface)
    configs = check_optimizers(optimizers)
    box = divergence_box(surface)
    starts = check_starts(starts, box)
    steps = check_steps(steps)
    n_opt, n_starts = len(configs), len(starts)
    if n_opt * n_starts * steps > MAX_RUN_STEPS:
        raise ValueError(
            f"{n_opt} optimizers × {n_starts} starts × {steps} steps exceeds the limit of "
            f"{MAX_RUN_STEPS:,} run-steps; use fewer starts or steps"
        )
    multipliers = check_schedule(lr_schedule, steps)
    noise = gradient_noise(grad_noise, seed, n_starts, steps)
    max_norm = check_clip(clip_grad_norm)
    groups = group_runs(configs, n_starts)
    history = _History.empty(starts, groups[-1].end, steps)
    run = (groups, steps, multipliers, noise, max_norm, *history)
    advance = _ready_backend(surface, configs, run) if backend is None else _backend(backend, surface)
    with np.errstate(all="ignore"):
        advance(surface, *run)
        return _assemble(surface, configs, groups, history, n_starts, steps, multipliers, box)


def divergence_box(surface: Surface) -> float:
    """The half-width of the box a run must stay in: 10⁶, or 10³ × the largest |bound| if larger."""
    largest = max(abs(float(v)) for pair in surface.bounds for v in pair)
    return max(1e6, 1e3 * largest)


def _compile_by_running(surface: Surface, configs: list[tuple[str, dict]]) -> None:
    """What warm.py's thread runs to compile: 2 steps from the surface's start on the compiled backend."""
    simulate(surface, configs, [surface.start], 2, backend="compiled")


warm.compile_with(_compile_by_running)


def _ready_backend(surface: Surface, configs: list[tuple[str, dict]], run: tuple) -> Callable:
    """The compiled backend's `advance` if the machine code for every group of `run` is there, else
    NumPy's, asking warm.py's thread (if started) to compile what was missing. Looks, never compiles."""
    compiled = sys.modules.get(f"{__package__}.numba_backend")  # not imported: nothing compiled
    if compiled is None or surface.name not in surface_names():
        return numpy_backend.advance
    missing = compiled.missing(surface, *run)
    if not missing:
        return compiled.advance
    warm.request(surface, configs, missing)
    return numpy_backend.advance


def _backend(name, surface: Surface) -> Callable:
    """The backend's `advance`; both take the same arguments and fill the same history."""
    if name == "numpy":
        return numpy_backend.advance
    if name != "compiled":
        raise ValueError(f"backend must be 'numpy' or 'compiled', got {name!r}")
    try:
        from . import numba_backend
    except ImportError:
        raise ValueError("backend='compiled' needs numba (pip install numba); use backend='numpy'") from None
    if not numba_backend.supports(surface):
        raise ValueError(
            f"backend='compiled' runs the built-in surfaces only, not {surface.name!r}; use backend='numpy'"
        )
    return numba_backend.advance


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
        shape = (steps, n_runs, 2)
        return cls(positions, np.empty(shape), (np.empty(shape), np.empty(shape), np.empty(shape)))


# ---- the history, assembled once --------------------------------------------------------------


def _assemble(
    surface: Surface,
    configs: list[tuple[str, dict]],
    groups: list[RunGroup],
    history: _History,
    n_starts: int,
    steps: int,
    multipliers: list[float] | None,
    box: float,
) -> Trajectory:
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
        labels=run_labels(configs),
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


def _freeze_diverged(xy, loss, grad, diagnostics, box) -> np.ndarray:
    """Freeze diverged runs at their last valid point (see optim_core.simulation); returns diverged_at."""
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
