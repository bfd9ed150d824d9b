"""simulate(..., backend="numpy"), the reference: every group of runs steps in plain NumPy.

A 2D run is tiny, so the cost is the number of NumPy calls per step, not the data: the gradient of all
runs is one surface.grad call per step, each group of runs (groups.py) one update call, and the rules'
diagnostics are kept by reference (rules are pure) and stacked once at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..surfaces import Surface
from .groups import RunGroup
from .step import perturb_gradient


def advance(
    surface: Surface,
    groups: list[RunGroup],
    steps: int,
    multipliers: list[float] | None,
    noise: np.ndarray,
    max_norm: float,
    positions: np.ndarray,
    gradients: np.ndarray,
    diagnostics: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Step every run, writing the history in place step by step: positions (T+1, R, 2) (row 0 holds the
    starts), gradients (T, R, 2) and the rules' momentum, second moment and step size (T, R, 2), time-major,
    runs in group order. noise and max_norm as step.perturb_gradient takes them."""
    theta = positions[0]
    states = [g.rule.init(theta[g.begin : g.end]) for g in groups]
    # per group: its momentum, second moment and step size, one item per step
    reports: list[tuple[list, list, list]] = [([], [], []) for _ in groups]
    # what each group needs per step, looked up once (with bound list.append methods)
    plan: list[tuple[Any, ...]] = [
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
        perturb_gradient(grad, noise, t, max_norm)
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
