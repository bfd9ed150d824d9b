"""The one table of schedules, and the two ways to use one: schedule_fn (per step) and lr_curve (a curve)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial
from numbers import Integral, Real
from typing import Any, SupportsInt, cast

import numpy as np

from optim_core.params import Param
from optim_core.schedules.checks import as_int
from optim_core.schedules.spec import (
    DEFAULT_LR,
    Schedule,
    ScheduleError,
    ScheduleSpec,
    attach_formula,
)
from optim_core.schedules.torch_code import script, torch_call

# name -> spec, in the order the app lists them. Filled by @register as the schedule modules load.
SCHEDULES: dict[str, ScheduleSpec] = {}
# name -> code(kwargs without lr) -> the scheduler's constructor expression (composites nest these)
_EXPRESSIONS: dict[str, Callable[[dict[str, Any]], str]] = {}


def schedule_names() -> list[str]:
    return list(SCHEDULES)


def get_spec(name: str) -> ScheduleSpec:
    try:
        return SCHEDULES[name]
    except (KeyError, TypeError):
        raise ScheduleError(f"unknown schedule {name!r}; valid choices: {', '.join(SCHEDULES)}") from None


def get_builder(name: str) -> Callable[..., Schedule]:
    """The builder of `name`: kwargs -> its step -> LR function (every schedule in SCHEDULES has one)."""
    build = get_spec(name).build
    assert build is not None, f"{name} was registered without a builder"
    return build


def bind(name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """kwargs completed with the defaults of `name`'s builder; unknown or missing arguments raise."""
    params = inspect.signature(get_builder(name)).parameters
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise ScheduleError(f"{name}: unknown argument(s) {', '.join(unknown)}; valid: {', '.join(params)}")
    missing = [k for k, p in params.items() if p.default is p.empty and k not in kwargs]
    if missing:
        raise ScheduleError(f"{name}: missing required argument(s) {', '.join(missing)}")
    return {k: kwargs.get(k, p.default) for k, p in params.items()}


def schedule_fn(name: str, **kwargs: Any) -> Schedule:
    """The plain function step -> LR of schedule `name` (a trainer calls it once per step).

    Element t is the LR in effect for iteration t, i.e. what optimizer.param_groups[0]["lr"] holds
    before the t-th scheduler.step() in a torch loop. Bad arguments raise ScheduleError (a ValueError).
    """
    bound = bind(name, kwargs)
    try:
        inner = get_builder(name)(**bound)
    except ScheduleError as error:
        raise ScheduleError(f"{name}: {error}") from None

    def lr_at(step: int) -> float:
        if isinstance(step, bool) or not isinstance(step, Integral) or step < 0:
            raise ScheduleError(f"{name}: the step must be an integer >= 0, got {step!r}")
        return inner(int(step))

    return lr_at


def lr_curve(name: str, steps: int, **kwargs: Any) -> np.ndarray:
    """The LRs in effect for iterations 0 .. steps-1, float64 of shape (steps,).

    lr (default 0.1) is the optimizer's base LR; lr=1.0 gives the multiplier curve (cyclic_lr and
    one_cycle_lr take absolute LRs instead, as in torch). See schedule_fn for the exact convention.
    """
    steps = as_int("steps", steps, low=1)
    lr_at = schedule_fn(name, **kwargs)
    return np.fromiter((lr_at(t) for t in range(steps)), dtype=np.float64, count=steps)


def _as_annotated(build: Callable, bound: dict[str, Any]) -> dict[str, Any]:
    """Values in the type the builder's signature names (T_0=10.0 -> 10), so printed code runs in torch,
    which checks isinstance(T_0, int) and isinstance(pct_start, float)."""
    params = inspect.signature(build).parameters
    typed = {}
    for key, value in bound.items():
        kind = str(params[key].annotation)  # a string: the modules use `from __future__ import annotations`
        if isinstance(value, Real) and kind in ("int", "int | None") and float(value).is_integer():
            # every concrete Real (float, NumPy's, Fraction) has __int__, which numbers.Real does not declare
            value = int(cast(SupportsInt, value))
        elif isinstance(value, Real) and kind == "float":
            value = float(value)
        elif kind == "bool":
            value = bool(value)
        elif kind == "list[int]":
            value = [int(v) for v in value]
        typed[key] = value
    return typed


def scheduler_expr(name: str, kwargs: Mapping[str, Any]) -> str:
    """The PyTorch constructor expression for `name` built with kwargs (lr excluded: the optimizer has it)."""
    bound = _as_annotated(get_builder(name), bind(name, kwargs))
    bound.pop("lr")
    return _EXPRESSIONS[name](bound)


def _torch_code(name: str, kwargs: Mapping[str, Any] | None = None) -> str:
    kwargs = dict(kwargs or {})
    schedule_fn(name, **kwargs)  # the same checks, so bad arguments never print code
    lr = bind(name, kwargs)["lr"]
    return script(lr, scheduler_expr(name, {k: v for k, v in kwargs.items() if k != "lr"}))


def register(
    name: str,
    *,
    label: dict[str, str],
    latex: str,
    params: tuple[Param, ...],
    torch_class: str | None = None,
    code: Callable[[dict[str, Any]], str] | None = None,
    uses_lr: bool = True,
) -> Callable[[Callable[..., Schedule]], Callable[..., Schedule]]:
    """Decorator: add the schedule built by the decorated function to SCHEDULES.

    code(kwargs) -> the scheduler expression; by default `torch_class(optimizer, <non-default kwargs>)`.
    """

    def decorate(build: Callable[..., Schedule]) -> Callable[..., Schedule]:
        assert "lr" in inspect.signature(build).parameters, f"{name} must take the base LR `lr`"
        attach_formula(build, latex)
        expr = code
        if expr is None:
            assert torch_class is not None, f"{name}: give its torch_class or its code"
            defaults = {
                k: p.default
                for k, p in inspect.signature(build).parameters.items()
                if p.default is not p.empty
            }
            expr = partial(torch_call, torch_class, defaults=defaults)
        _EXPRESSIONS[name] = expr
        SCHEDULES[name] = ScheduleSpec(
            name=name,
            label=label,
            params=params,
            latex=latex,
            torch_code=partial(_torch_code, name),
            torch_class=torch_class,
            build=build,
            uses_lr=uses_lr,
        )
        return build

    return decorate


__all__ = [
    "DEFAULT_LR",
    "SCHEDULES",
    "bind",
    "get_builder",
    "get_spec",
    "lr_curve",
    "register",
    "schedule_fn",
    "schedule_names",
    "scheduler_expr",
]
