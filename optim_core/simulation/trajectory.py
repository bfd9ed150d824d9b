"""What a simulation recorded: the `Trajectory` of every run, its `stack`, and the runs' labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..optimizers import RULES
from ..surfaces import Surface

# the fields holding one row per optimizer, in the order Trajectory.stack concatenates them
_PER_OPTIMIZER_FIELDS = (
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
    lr (n, T): the learning rate in effect at step t. diverged_at (n, M): see optim_core.simulation.
    labels: one per optimizer, see `run_labels`.
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
        `groups.group_runs`); a page can then rerun only the optimizer whose setting changed."""
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
        arrays = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _PER_OPTIMIZER_FIELDS}
        return cls(
            optimizers=configs,
            labels=run_labels(configs),
            steps=first.steps,
            surface=first.surface,
            **arrays,
        )


def run_labels(configs: list[tuple[str, dict]]) -> list[str]:
    """Each run's label: its rule's display label; where several runs share one, the hyperparameters
    that differ between them are added ("Adam (lr=0.01)", "Adam (lr=0.03)"), or "#1", "#2" if none do."""
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
    """A hyperparameter value as a label shows it: floats in %g, tuples element by element."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)
