"""What the Schedules page computes (no widgets drawn here): each LR curve the page shows, its legend
label, its formulas, its numbers as a table and as CSV, and where ReduceLROnPlateau cut the LR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optim_core.schedules import ScheduleError, get_spec, schedule_fn

# Okabe–Ito: distinct under the common colour blindnesses. Slot 0 is the curve being edited.
CURVE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999933")
KEPT_DASHES = ("dash", "dot", "dashdot", "longdash", "longdashdot", "dash", "dot")


@dataclass(frozen=True)
class Curve:
    """One LR curve as the page shows it. `stopped` is the library's message where the schedule ended
    early (OneCycleLR is defined only up to total_steps), else None."""

    label: str
    name: str
    kwargs: Mapping[str, Any]
    values: np.ndarray
    colour: str
    dash: str
    stopped: str | None = None


def curve_values(
    name: str, kwargs: Mapping[str, Any], lr: float, steps: int
) -> tuple[np.ndarray, str | None]:
    """The LR in effect at steps 0 .. steps-1 (as lr_curve), stopping where the schedule is undefined.

    Bad arguments raise ScheduleError; a step past a schedule's end (only OneCycleLR has one) ends the
    curve there and returns the library's message beside the shorter curve.
    """
    lr_at = schedule_fn(name, lr=lr, **kwargs)
    values = []
    for step in range(steps):
        try:
            values.append(lr_at(step))
        except ScheduleError as error:
            if step == 0:
                raise
            return np.asarray(values, dtype=np.float64), str(error)
    return np.asarray(values, dtype=np.float64), None


def _args(name: str, kwargs: Mapping[str, Any], skip: tuple[str, ...] = ()) -> str:
    """'a=1, b=2': the required arguments and those that differ from the widget defaults."""
    shown = []
    for param in get_spec(name).params:
        if param.name in skip or param.name not in kwargs:
            continue
        value = kwargs[param.name]
        if param.required or value != param.default:
            if isinstance(value, (tuple, list)):
                value = "[" + ",".join(map(str, value)) + "]"
            elif isinstance(value, float):
                value = f"{value:.6g}"
            shown.append(f"{param.name}={value}")
    return ", ".join(shown)


def short_label(name: str, kwargs: Mapping[str, Any]) -> str:
    """A compact, language-neutral legend label in code form: 'StepLR(step_size=30)'."""
    spec = get_spec(name)
    head = spec.torch_class or name
    if name == "warmup":
        inner = short_label(kwargs.get("schedule", ""), kwargs.get("schedule_kwargs") or {})
        return f"warmup({_args(name, kwargs, skip=('schedule',))}) → {inner}"
    if name == "sequential_lr":
        parts = [short_label(part, part_kwargs) for part, part_kwargs in kwargs.get("schedulers", ())]
        milestones = list(kwargs.get("milestones") or ())
        joined = parts[0] if parts else ""
        for milestone, part in zip(milestones, parts[1:], strict=False):
            joined += f" →@{milestone} {part}"
        return joined
    return f"{head}({_args(name, kwargs)})"


def formulas(name: str, kwargs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(schedule name, LaTeX) for the schedule and, for a composite, each schedule inside it."""
    out = [(name, get_spec(name).latex)]
    if name == "warmup":
        out += formulas(kwargs["schedule"], kwargs.get("schedule_kwargs") or {})
    elif name == "sequential_lr":
        for part, part_kwargs in kwargs.get("schedulers", ()):
            if all(part != seen for seen, _ in out):
                out += formulas(part, part_kwargs)
    return out


def page_curve(name: str, kwargs: Mapping[str, Any], lr: float, steps: int, kept: int | None = None) -> Curve:
    """The curve the page shows for a schedule: the edited one (kept None: solid, the first colour) or
    kept curve number `kept` (its own colour and dash). Bad arguments raise ScheduleError."""
    values, stopped = curve_values(name, kwargs, lr, steps)
    if kept is None:
        colour, dash = CURVE_COLOURS[0], "solid"
    else:
        colour, dash = CURVE_COLOURS[(kept + 1) % len(CURVE_COLOURS)], KEPT_DASHES[kept % len(KEPT_DASHES)]
    return Curve(short_label(name, kwargs), name, kwargs, values, colour, dash, stopped)


def curve_table(values: np.ndarray, text: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({text["step"]: np.arange(len(values)), text["lr"]: values})


def curve_csv(values: np.ndarray) -> str:
    """step,lr with every digit (Python's shortest round-trip repr)."""
    return "step,lr\n" + "".join(f"{step},{value!r}\n" for step, value in enumerate(values.tolist()))


def lr_cuts(lrs: np.ndarray) -> np.ndarray:
    """The epochs whose LR is lower than the epoch before: where ReduceLROnPlateau cut it."""
    return np.flatnonzero(lrs[1:] < lrs[:-1]) + 1
