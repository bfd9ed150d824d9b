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
pseudocode, one ``\\\\``-terminated algorithm line per line of the ``.. math::`` block, where a deeper
indented line continues the one above); `latex_lines` reads it back for the app, so the docstring and what
the app renders cannot drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from ..params import Param


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


class InitFn(Protocol):
    """``init(params) -> state``: a rule's state before its first step, a NamedTuple of (R, 2) arrays."""

    def __call__(self, params: np.ndarray, /) -> tuple[Any, ...]: ...


class UpdateFn(Protocol):
    """``update(grad, state, params, lr, hp, step) -> (new_params, new_state, diagnostics)``: one pure step.

    The arguments are those of the module docstring; `state` is the NamedTuple the rule's own init built.
    """

    def __call__(
        self,
        grad: np.ndarray,
        state: Any,
        params: np.ndarray,
        lr: float | np.ndarray,
        hp: dict[str, Any],
        step: int,
        /,
    ) -> tuple[np.ndarray, Any, Diagnostics]: ...

    # hashable, as a plain function is: the engine groups runs by it and the compiled backend caches it
    def __hash__(self) -> int: ...


# The hyperparameters most rules share, with torch's names.
def lr_param(default: float) -> Param:
    return Param("lr", default, "float", 1e-6, 10.0, log_scale=True)


def eps_param(default: float) -> Param:
    return Param("eps", default, "float", 1e-12, 1.0, log_scale=True)


def betas_param() -> Param:
    return Param("betas", (0.9, 0.999), "betas", 0.0, 1.0, high_open=True)


def weight_decay_param(default: float = 0.0) -> Param:
    return Param("weight_decay", default, "float", 0.0, 1.0)


@dataclass(frozen=True)
class Rule:
    """One selectable optimizer: its pure functions plus everything the app shows about it."""

    name: str
    # in English: the engine, the run store and CSVs use it; the app translates (app/shared/i18n)
    label: str
    hyperparams: tuple[Param, ...]
    init: InitFn
    update: UpdateFn
    torch_class: str | None
    # hp -> equivalent PyTorch code (assumes `params`, an iterable of tensors, exists)
    torch_code: Callable[[dict], str]
    # hp -> the parts of its display label, e.g. "Adam" + " + L2" when weight_decay > 0; default: label
    label_for: Callable[[dict], tuple[LabelPart, ...]] | None = None
    # hyperparameters that select code paths: runs share a step only when these are equal
    static: tuple[str, ...] = ()
    # hp -> None, raising ValueError for combinations torch rejects (checked after the ranges)
    check: Callable[[dict], None] | None = None
    latex: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.latex:
            object.__setattr__(self, "latex", latex_lines(self.update))

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.hyperparams}

    def label_parts(self, hp: dict | None = None) -> tuple[LabelPart, ...]:
        """The display label for these hyperparameters (defaults filled in), as parts the app translates."""
        if self.label_for is None:
            return (LabelPart(self.label, self.name),)
        return self.label_for({**self.defaults, **(hp or {})})

    def display_label(self, hp: dict | None = None) -> str:
        """The display label in English, e.g. "Adam + L2" when weight_decay > 0."""
        return "".join(part.text for part in self.label_parts(hp))


class LabelPart(NamedTuple):
    """A piece of a display label: its English text, and the app's i18n key "opt.<key>" for the others.

    key is "" where the text reads the same in every language (a name such as "Adam", " + L2").
    """

    text: str
    key: str = ""


# The pieces several rules' labels share.
L2 = LabelPart(" + L2")  # weight decay as torch adds it: a term λθ in the gradient
L2_IN_GRADIENT = LabelPart(" + L2", "suffix.l2_in_gradient")  # said explicitly beside a decoupled AdamW
DECOUPLED = LabelPart(" (decoupled)", "suffix.decoupled")  # AdamW's decay of the weights themselves


def l2_label(base: str) -> Callable[[dict], tuple[LabelPart, ...]]:
    """label_for of a rule whose label only says whether weight decay is on: "Adagrad", "Adagrad + L2"."""
    return lambda hp: (LabelPart(base),) + ((L2,) if hp["weight_decay"] != 0 else ())


def latex_lines(update: Callable) -> list[str]:
    r"""The LaTeX lines of the ``.. math::`` block in `update`'s docstring, one per algorithm line.

    Each line of the block is one algorithm line; its trailing ``\\`` is dropped. A line indented
    deeper than the block's first line continues the previous line (joined with one space), so a long
    algorithm line can be wrapped in the source:

    .. code-block:: rst

        .. math::
            \textbf{input}: \gamma \text{ (lr)},\ \theta_0,
                \ \lambda \text{ (weight decay)} \\
            \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\

    reads as two lines, the first ``\textbf{input}: \gamma \text{ (lr)},\ \theta_0, \ \lambda ...``.
    The block ends where the indentation returns to that of ``.. math::``.
    """
    doc = inspect.getdoc(update)
    if doc is None:  # python -OO strips docstrings: nothing to render, but importing still works
        return []
    lines: list[str] = []
    math_indent: int | None = None  # the indentation of ".. math::"
    line_indent: int | None = None  # the indentation of the block's first line: a new algorithm line
    for raw in doc.splitlines():
        indent, text = len(raw) - len(raw.lstrip()), raw.strip()
        if math_indent is None:
            if text == ".. math::":
                math_indent = indent
            continue
        if not text:
            continue
        if indent <= math_indent:
            break
        if line_indent is None:
            line_indent = indent
        if indent > line_indent and lines:
            lines[-1] = f"{lines[-1]} {text}"
        else:
            lines.append(text)
    if not lines:
        raise ValueError(f"{update.__qualname__} has no '.. math::' block in its docstring")
    return [line.removesuffix(r"\\").rstrip() for line in lines]


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


def decay_label(base: str, hp: dict) -> tuple[LabelPart, ...]:
    """How a rule with optional decoupled decay is named: "RAdam", "RAdam + L2" or "RAdamW (decoupled)"."""
    if hp["weight_decay"] == 0:
        return (LabelPart(base),)
    if hp["decoupled_weight_decay"]:
        return LabelPart(base + "W"), DECOUPLED
    return LabelPart(base), L2_IN_GRADIENT


def torch_constructor(class_path: str, hp: dict, names: tuple[str, ...], extra: str = "") -> str:
    args = ", ".join(f"{n}={fmt(hp[n])}" for n in names)
    return f"import torch\n\noptimizer = {class_path}(params, {args}{extra})\n"
