"""URL settings for one LR schedule, built from its Param table; shared by the Schedules page and Playground.

A schedule is a chooser (one of "none" and schedule_names()) plus one Setting per Param, keyed
f"{prefix}{param}". Composites are flattened into more settings of the same kind:

    warmup          warmup_steps, start_factor, schedule (the inner schedule's name), and the inner
                    schedule's params under the second prefix f"{prefix}then_"
    sequential_lr   milestones ("10,50": one part more than milestones, at most MAX_PARTS parts), and per
                    part k = 1, 2, ... a chooser f"{prefix}s{k}" and its params under f"{prefix}s{k}_"

An int_list travels comma-separated ("30,80"); an optional int whose torch default is None (CyclicLR's
step_size_down) is 0 for None. read_schedule draws all of this and returns (name, kwargs) ready for
optim_core.schedules (lr left out: it is the page's own widget).

With whole_run, a top-level T_max is 0 by default, for "the whole run": a cosine anneals once over the
steps the page shows (run_length) or, left out of the kwargs, over the run the trainer makes
(optim_core.training.config.schedule_kwargs_for). A link that names T_max still sets it.

A schedule in one URL value (kept curves) and the Playground link: schedule_links.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from app.shared.controls import param_setting
from app.shared.i18n import STRINGS, pick, t
from app.shared.markdown import literal
from app.shared.settings import InvalidValue, Setting, UrlState
from optim_core.params import Param
from optim_core.schedules import (
    PLATEAU,
    ScheduleError,
    ScheduleSpec,
    get_spec,
    reduce_lr_on_plateau,
    schedule_fn,
    schedule_names,
)

NONE = "none"
THEN = "then_"  # warmup: the inner schedule's params
MAX_PARTS = 4  # sequential_lr: at most this many parts (MAX_PARTS - 1 milestones)
PART_DEFAULTS = ("linear_lr", "cosine_annealing_lr", "exponential_lr", "constant_lr")
COMPOSITES = ("sequential_lr", "warmup")
MAX_LIST = 20  # items in an int_list
WHOLE_RUN = ("T_max",)  # params that may be 0 for "the whole run" (whole_run: see the module docstring)
# Absolute LRs, and their (default, low, high) as multipliers of the LR (relative mode, the Playground).
ABSOLUTE = {"eta_min": (0.0, 0.0, 1.0), "base_lr": (0.01, 1e-5, 1.0), "max_lr": (1.0, 1e-4, 10.0)}

_INT_LIST = re.compile(r"^\s*(\d+\s*(,\s*\d+\s*)*)?,?\s*$")


def spec_of(name: str) -> ScheduleSpec:
    """get_spec, and PLATEAU (ReduceLROnPlateau, fed a metric, offered only where there is one: Training)."""
    return PLATEAU if name == PLATEAU.name else get_spec(name)


def schedule_label(name: str) -> str:
    return t("sch.none") if name == NONE else pick(spec_of(name).label)


def sequenceable() -> tuple[str, ...]:
    """The schedules sequential_lr accepts as a part: every one but the composites."""
    return tuple(n for n in schedule_names() if n not in COMPOSITES)


def parse_int_list(text: str) -> tuple[int, ...]:
    """'30, 80' -> (30, 80); a ValueError (ScheduleError) with a translated message otherwise."""
    if not _INT_LIST.match(text or ""):
        raise ScheduleError(t("sch.reason.int_list", text=literal(text, limit=80)))
    items = tuple(int(item) for item in text.split(",") if item.strip())
    if len(items) > MAX_LIST:
        raise ScheduleError(t("sch.reason.list_long", n=MAX_LIST))
    return items


def _count_items(text: str) -> int:
    """How many list items `text` holds, leniently (for drawing the parts while the list is mistyped)."""
    return len([item for item in str(text).split(",") if item.strip()])


class IntListSetting(Setting):
    """A "text" setting holding comma-separated integers in [low, high].

    A URL value is checked here (a bad one gets the usual notice); text typed into the widget is kept as
    typed, and read_schedule reports it with st.error, so a typo is never silently replaced.
    """

    def parse(self, raw: str) -> Any:
        text = super().parse(raw)
        try:
            items = parse_int_list(text)
        except ScheduleError as error:
            raise InvalidValue(str(error)) from None
        if any(not (self.low <= item <= self.high) for item in items):
            raise InvalidValue(t("url.reason.range", low=int(self.low), high=int(self.high)))
        return ",".join(map(str, items))

    def clean(self, value: Any) -> Any:
        return value if isinstance(value, str) and len(value) <= self.max_len else self.default


def _help(spec_name: str, param: str) -> str | None:
    for key in (f"sch.help.{spec_name}.{param}", f"sch.help.{param}"):
        if key in STRINGS:
            return key
    return None


def argument_setting(spec: ScheduleSpec, param: Param, key: str, *, relative: bool = False) -> Setting:
    """The URL setting for one of `spec`'s arguments: controls.param_setting, plus what only schedules
    have (LR multipliers in relative mode, int lists, 0 for an optional int; see the module docstring)."""
    shown = param.name
    if relative and param.name in ABSOLUTE:
        default, low, high = ABSOLUTE[param.name]
        param = replace(param, default=default, low=low, high=high)
        shown = t("sch.times_lr", name=param.name)
    help_key = _help(spec.name, param.name)
    if param.kind == "int_list":
        return IntListSetting(
            key,
            "text",
            ",".join(map(str, param.default)),
            lambda: shown,
            low=param.low,
            high=param.high,
            max_len=120,
            help=help_key,
        )
    if param.kind == "int" and param.default is None:  # 0 stands for torch's None
        return Setting(
            key, "int", 0, lambda: t("sch.zero_is_none", name=shown), low=0, high=param.high, help=help_key
        )
    fmt = schedule_label if param.name == "schedule" else str
    return param_setting(param, key, lambda: shown, help=help_key, slider=True, format=fmt)


def whole_run_setting(spec: ScheduleSpec, param: Param, key: str, run_length: int | None) -> Setting:
    """T_max as an int whose 0 (the default) stands for the whole run: run_length steps, or the run's
    own length where the caller does not know it (run_length None)."""
    return Setting(
        key,
        "int",
        0,
        (lambda: t("sch.whole_run", name=param.name))
        if run_length is None
        else (lambda: t("sch.whole_run_steps", name=param.name, n=run_length)),
        low=0,
        high=param.high,
        help=_help(spec.name, param.name),
    )


def spec_settings(
    spec: ScheduleSpec, prefix: str, *, relative: bool = False, skip: Sequence[str] = ()
) -> list[Setting]:
    """One setting per Param of `spec` (also ReduceLROnPlateau's PLATEAU), keyed f"{prefix}{param}"."""
    return [
        argument_setting(spec, p, f"{prefix}{p.name}", relative=relative)
        for p in spec.params
        if p.name not in skip
    ]


def schedule_settings(name: str, prefix: str, *, relative: bool = False) -> list[Setting]:
    """The URL settings of `name`'s own kwargs. For warmup and sequential_lr these are the top level only
    (warmup's inner chooser is its `schedule` setting); read_schedule adds the nested ones."""
    return spec_settings(spec_of(name), prefix, relative=relative)


def part_chooser(prefix: str, k: int) -> Setting:
    """sequential_lr's chooser for part k (1-based)."""
    return Setting(
        f"{prefix}s{k}",
        "choice",
        PART_DEFAULTS[(k - 1) % len(PART_DEFAULTS)],
        lambda: t("sch.part", k=k),
        choices=sequenceable(),
        format=schedule_label,
    )


def chooser(key: str, default: str = NONE, extra: tuple[str, ...] = ()) -> Setting:
    return Setting(
        key,
        "choice",
        default,
        "sch.schedule",
        choices=(NONE, *schedule_names(), *extra),
        format=schedule_label,
    )


# ---- one walk over the settings tree, reading values from widgets, a URL-like dict, ... --------------------
ValueOf = Callable[[Setting, str], Any]  # (setting, prefix of the params it governs) -> its value


def collect(
    name: str,
    prefix: str,
    value_of: ValueOf,
    *,
    relative: bool = False,
    whole_run: bool = False,
    run_length: int | None = None,
) -> tuple[dict, list[str]]:
    """kwargs of `name` from the values of its settings, and the (translated) problems found.

    value_of is asked for every setting in drawing order; for a chooser it also gets the prefix of the
    params that depend on it (so a widget can forget them when the choice changes). whole_run (implied
    by a run_length): `name`'s own T_max may be 0 for the whole run (see the module docstring).
    """
    kwargs: dict[str, Any] = {}
    problems: list[str] = []
    spec = spec_of(name)
    typed: dict[str, Any] = {}
    whole_run = whole_run or run_length is not None
    for param, setting in zip(spec.params, schedule_settings(name, prefix, relative=relative), strict=True):
        if whole_run and param.name in WHOLE_RUN:
            value = value_of(whole_run_setting(spec, param, setting.key, run_length), "")
            if value:
                kwargs[param.name] = value
            elif run_length is not None:
                kwargs[param.name] = max(1, int(run_length))
            continue
        value = typed[param.name] = value_of(setting, prefix + THEN if param.name == "schedule" else "")
        if param.kind == "int_list":
            try:
                value = parse_int_list(value)
            except ScheduleError as error:
                problems.append(f"{param.name}: {error}")
                value = None
        elif param.kind == "int" and param.default is None and value == 0:
            value = None
        kwargs[param.name] = value
    if name == "warmup":
        inner, inner_problems = collect(kwargs["schedule"], prefix + THEN, value_of, relative=relative)
        kwargs["schedule_kwargs"] = inner
        problems += inner_problems
    elif name == "sequential_lr":
        count = _count_items(typed["milestones"]) + 1
        if count > MAX_PARTS:
            problems.append(t("sch.reason.parts", n=MAX_PARTS, m=MAX_PARTS - 1))
            count = MAX_PARTS
        parts = []
        for k in range(1, count + 1):
            part = value_of(part_chooser(prefix, k), f"{prefix}s{k}_")
            part_kwargs, part_problems = collect(part, f"{prefix}s{k}_", value_of, relative=relative)
            parts.append((part, part_kwargs))
            problems += part_problems
        kwargs["schedulers"] = parts
    return kwargs, problems


def flat_settings(
    name: str, kwargs: Mapping[str, Any], prefix: str = "", *, relative: bool = False, whole_run: bool = False
) -> list[tuple[Setting, Any]]:
    """The reverse of collect: each setting with the value it must hold to give `kwargs` (defaults filled;
    with whole_run, a T_max left out of kwargs is 0, the whole run, as collect(whole_run=True) reads it)."""
    pairs = []
    spec = spec_of(name)
    for param, setting in zip(spec.params, schedule_settings(name, prefix, relative=relative), strict=True):
        if whole_run and param.name in WHOLE_RUN:
            pairs.append((whole_run_setting(spec, param, setting.key, None), kwargs.get(param.name) or 0))
            continue
        value = kwargs.get(param.name, param.default)
        if param.kind == "int_list":
            value = ",".join(str(int(v)) for v in value)
        elif param.kind == "int" and param.default is None and value is None:
            value = 0
        pairs.append((setting, value))
    if name == "warmup":
        inner = kwargs.get("schedule") or next(p.default for p in spec.params if p.name == "schedule")
        pairs += flat_settings(inner, kwargs.get("schedule_kwargs") or {}, prefix + THEN, relative=relative)
    elif name == "sequential_lr":
        for k, entry in enumerate(kwargs.get("schedulers") or (), start=1):
            part, part_kwargs = (entry, {}) if isinstance(entry, str) else entry
            pairs.append((part_chooser(prefix, k), part))
            pairs += flat_settings(part, part_kwargs, f"{prefix}s{k}_", relative=relative)
    return pairs


def _validate(name: str, kwargs: dict) -> None:
    """Build the schedule once so a bad combination raises ScheduleError now (lr does not change validity;
    a T_max left to the run is any valid one)."""
    if name == PLATEAU.name:
        reduce_lr_on_plateau([1.0], **kwargs)
        return
    left_to_run = {p.name: 1 for p in get_spec(name).params if p.name in WHOLE_RUN and p.required}
    schedule_fn(name, **{**left_to_run, **kwargs})


# ---- drawing -----------------------------------------------------------------------------------------------
def _forget(state: UrlState, prefix: str, keep: str) -> None:
    """A new choice starts its params from their defaults: drop the old values everywhere they live."""
    for store in (st.session_state, state._shadow):
        for key in [k for k in list(store.keys()) if str(k).startswith(prefix) and k != keep]:
            del store[key]
    for key in [k for k in st.query_params if k.startswith(prefix) and k != keep]:
        del st.query_params[key]


def read_schedule(
    state: UrlState,
    prefix: str,
    where=None,
    *,
    key: str | None = None,
    default: str = NONE,
    relative: bool = False,
    whole_run: bool = False,
    run_length: int | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[str, dict] | None:
    """Draw the chooser (key, default f"{prefix}name") and the chosen schedule's widgets into `where`;
    `extra` adds choices outside SCHEDULES (the Training page's PLATEAU.name).

    Returns (name, kwargs) or None for "none". A mistyped list or a combination the library refuses
    raises ScheduleError after every widget is drawn; show it with st.error. run_length: the steps the
    page shows, a T_max of 0 (the default) anneals over all of them; whole_run without a run_length: a
    T_max of 0 is left out of the kwargs, for the trainer to anneal over the whole run.
    """
    key = key or f"{prefix}name"
    target = [where or st]  # where the next widget goes: each nested schedule gets its own bordered box

    def draw(setting: Setting, governs: str) -> Any:
        extra = dict(setting.extra)
        if governs:
            extra.update(on_change=_forget, args=(state, governs, setting.key))
            if setting.key != key:
                target[0] = (where or st).container(border=True)
        return state.widget(setting, target[0], **extra)

    name = draw(chooser(key, default, extra), prefix)
    if name == NONE:
        return None
    kwargs, problems = collect(
        name, prefix, draw, relative=relative, whole_run=whole_run, run_length=run_length
    )
    if problems:
        raise ScheduleError("; ".join(problems))
    _validate(name, kwargs)
    return name, kwargs
