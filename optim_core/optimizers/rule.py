"""What every optimizer rule is made of: its hyperparameters, its diagnostics and the Rule record.

A rule is a pair of pure functions in the optax style:

    init(params) -> State
    update(grad, state, params, lr, hp, step) -> (new_params, new_state, Diagnostics)

* params, grad: float arrays of shape (R, 2), one row per run (R runs advance together).
* lr: the learning rate in effect for this step, a float or an (R, 1) array.
* hp: the resolved hyperparameters; a float hyperparameter is a float or an (R, 1) array (runs of the
  same rule with different values advance together), betas is a pair of those, a bool is a bool.
  The engine groups runs so that a float hyperparameter is either zero in every run of a group or in
  none, and so that every name in `Rule.static` has one value per group: rules may branch on those
  in Python, like torch does per parameter group.
* step: the 1-based number of this update (torch's ``state["step"]`` after its increment).

Rules never modify their inputs: every step returns new arrays, so the engine may keep references to
them as history.

The LaTeX of each algorithm is written once, in the update function's docstring (torch's "Algorithm"
pseudocode, one line per ``\\\\``-terminated line of the ``.. math::`` block); `latex_lines` reads it
back for the app, so the docstring and what the app renders cannot drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class Diagnostics(NamedTuple):
    """What a rule reports after a step, each broadcastable to (R, 2); None means "this rule has none".

    momentum: the momentum / first-moment buffer after the step.
    second_moment: the second-moment estimate v after the step (Adamax: its infinity norm u).
    step_size: the effective per-axis step size; each rule's docstring says what it multiplies.
    A rule must return the same shapes on every step (the engine stacks them once at the end).
    """

    momentum: Any
    second_moment: Any
    step_size: Any

    def full(self, shape: tuple[int, int]) -> Diagnostics:
        """Each diagnostic as a float array of `shape` (R, 2), NaN where the rule has none."""
        return Diagnostics(
            *(
                np.full(shape, np.nan) if value is None else np.broadcast_to(value, shape).astype(float)
                for value in self
            )
        )


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter: the app builds its control from it and validation uses the same range.

    kind: "float", "bool", "int" or "betas" (a pair of floats, each in [low, high)).
    The allowed range is low..high; low_open / high_open exclude that end (eps > 0, beta < 1).
    log_scale: the control is logarithmic (then low > 0).
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    log_scale: bool = False
    low_open: bool = False
    high_open: bool = False
    help: str = ""

    def range_text(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)


# The hyperparameters most rules share, with torch's names.
def lr_param(default: float) -> HyperParam:
    return HyperParam("lr", default, "float", 1e-6, 10.0, log_scale=True, help="learning rate γ")


def eps_param(default: float) -> HyperParam:
    return HyperParam("eps", default, "float", 1e-12, 1.0, log_scale=True, help="ε, numerical stability")


def betas_param() -> HyperParam:
    return HyperParam("betas", (0.9, 0.999), "betas", 0.0, 1.0, high_open=True, help="(β₁, β₂)")


def weight_decay_param(default: float = 0.0) -> HyperParam:
    return HyperParam("weight_decay", default, "float", 0.0, 1.0, help="λ, weight decay")


@dataclass(frozen=True)
class Rule:
    """One selectable optimizer: its pure functions plus everything the app shows about it."""

    name: str
    label: dict[str, str]
    hyperparams: tuple[HyperParam, ...]
    init: Callable[[np.ndarray], NamedTuple]
    update: Callable[..., tuple[np.ndarray, NamedTuple, Diagnostics]]
    torch_class: str | None
    # hp -> equivalent PyTorch code (assumes `params`, an iterable of tensors, exists)
    torch_code: Callable[[dict], str]
    # hp -> display label, e.g. "Adam + L2" when weight_decay > 0; defaults to label["en"]
    label_for: Callable[[dict, str], str] | None = None
    # hyperparameters that select code paths: runs share a step only when these are equal
    static: tuple[str, ...] = ()
    # hp -> None, raising ValueError for combinations torch rejects (checked after the ranges)
    check: Callable[[dict], None] | None = None
    # where this rule differs from torch (variants) or how it maps onto torch (convenience names)
    note: str = ""
    latex: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.latex:
            object.__setattr__(self, "latex", latex_lines(self.update))

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.hyperparams}

    def display_label(self, hp: dict | None = None, lang: str = "en") -> str:
        hp = {**self.defaults, **(hp or {})}
        if self.label_for is not None:
            return self.label_for(hp, lang)
        return self.label.get(lang, self.label["en"])


def latex_lines(update: Callable) -> list[str]:
    """The LaTeX lines of the ``.. math::`` block in `update`'s docstring, one per algorithm line."""
    doc = inspect.getdoc(update)
    if doc is None:  # python -OO strips docstrings: nothing to render, but importing still works
        return []
    lines, indent = [], None
    for raw in doc.splitlines():
        if indent is None:
            if raw.strip() == ".. math::":
                indent = len(raw) - len(raw.lstrip())
            continue
        text = raw.strip()
        if text and len(raw) - len(raw.lstrip()) <= indent:
            break  # the block ends where the indentation returns to that of ".. math::"
        if text:
            lines.append(text.removesuffix(r"\\").rstrip())
    if not lines:
        raise ValueError(f"{update.__qualname__} has no '.. math::' block in its docstring")
    return lines


def active(value) -> bool:
    """Whether a float hyperparameter switches its term on: an array (never all zero, see above) or != 0."""
    return isinstance(value, np.ndarray) or value != 0


def fmt(value) -> str:
    """A hyperparameter value as Python source (torch_code)."""
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt(v) for v in value) + ")"
    if isinstance(value, bool):
        return repr(value)
    return repr(float(value))


def decay_label(base: str, hp: dict, lang: str) -> str:
    """How a rule with optional decoupled decay is named: "RAdam", "RAdam + L2" or "RAdamW (decoupled)"."""
    if hp["weight_decay"] == 0:
        return base
    if hp["decoupled_weight_decay"]:
        return base + "W" + {"zh": "(解耦权重衰减)"}.get(lang, " (decoupled)")
    return base + {"zh": " + L2(梯度)"}.get(lang, " + L2")


def torch_constructor(class_path: str, hp: dict, names: tuple[str, ...], extra: str = "") -> str:
    args = ", ".join(f"{n}={fmt(hp[n])}" for n in names)
    return f"import torch\n\noptimizer = {class_path}(params, {args}{extra})\n"
