"""What the app needs to know about a schedule: its widgets, its formula and its PyTorch code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from optim_core.params import Param

# The base LR when none is given: SGD's usual 0.1. Build with lr=1.0 to get a multiplier curve
# (the 2D simulation multiplies its own LR by it).
DEFAULT_LR = 0.1

# A schedule is a plain function of the step, as in optax: step t (0, 1, 2, ...) -> the LR in effect.
Schedule = Callable[[int], float]


class ScheduleError(ValueError):
    """A bad schedule name, argument or step; the message names what is valid."""


@dataclass(frozen=True)
class ScheduleSpec:
    """A registered schedule.

    latex: the formula the app shows; it is also appended to `build`'s docstring (one source).
    params: the widgets, a subset of `build`'s keyword arguments (`lr` is the page's own widget;
        structured arguments such as sequential_lr's `schedulers` are composed by the page). A Param's
        range bounds its widget; `build` checks its arguments itself and may accept more (checks.py).
    torch_code(kwargs): equivalent PyTorch code, with `model` standing for the user's model.
    torch_class: the torch.optim.lr_scheduler class it mirrors, or None for a course-notes formula
        (torch_code then uses a LambdaLR).
    build(**kwargs): the step -> lr function; None for reduce_lr_on_plateau, which needs metrics.
    uses_lr: False where torch overwrites the optimizer's LR (cyclic_lr, one_cycle_lr set absolute LRs
        from base_lr / max_lr, so `lr` has no effect; give max_lr=1.0 for a multiplier curve).
    """

    name: str
    label: dict[str, str]
    params: tuple[Param, ...]
    latex: str
    torch_code: Callable[[Mapping[str, Any]], str]
    torch_class: str | None
    build: Callable[..., Schedule] | None
    uses_lr: bool = True


def attach_formula(fn: Callable, latex: str) -> None:
    """Append the app's formula to fn's docstring, so the two can never drift apart."""
    doc = (fn.__doc__ or "").rstrip()
    fn.__doc__ = f"{doc}\n\n    Formula (as the app shows it)::\n\n        {latex}\n"
