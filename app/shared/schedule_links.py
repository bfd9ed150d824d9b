"""A schedule carried in URL values: a curve's compact text form, the kept curves, the Playground link.

A curve is 'name|param=value|...' (encode_curve / decode_curve), with only the values that differ from
the defaults; the Schedules page keeps up to MAX_KEPT of them, joined by ';', in one URL value.

The Playground link (playground_link / playground_query) carries the schedule's relative shape, because
the Playground builds it with lr=1.0 and multiplies each optimizer's own LR by it:

    /playground?sched=<name>&sched_<param>=<value>&...   e.g.
    /playground?sched=cosine_annealing_lr&sched_T_max=100&sched_eta_min=0.1
    /playground?sched=warmup&sched_warmup_steps=10&sched_start_factor=0.1&sched_schedule=step_lr
               &sched_then_step_size=30&sched_then_gamma=0.1

Every parameter is written out (not only the non-default ones). Absolute LRs become multipliers: eta_min,
base_lr and max_lr are divided by the page's base lr; a standalone cyclic_lr or one_cycle_lr (which
ignore lr) is divided by its own max_lr instead, so its peak is max_lr=1.0, the optimizer's LR. The
Playground reads it with read_schedule(state, "sched_", where, key="sched", relative=True), whose
ranges and defaults for those three are multipliers. Log-scale values snap to the round grid there.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from app.shared.i18n import t
from app.shared.markdown import literal
from app.shared.schedule_controls import ABSOLUTE, collect, flat_settings
from app.shared.settings import InvalidValue, Setting
from optim_core.schedules import SCHEDULES, ScheduleError, get_spec, schedule_fn

PLAYGROUND_KEY, PLAYGROUND_PREFIX = "sched", "sched_"


# ---- a compact text form, for a list of curves in one URL value --------------------------------------------
def encode_curve(name: str, kwargs: Mapping[str, Any]) -> str:
    """'name|param=value|...' with only the values that differ from the defaults ('|' and ';' never occur
    in a value: numbers, identifiers, true/false and comma-separated integers)."""
    fields = [f"{s.key}={s.encode(v)}" for s, v in flat_settings(name, kwargs) if v != s.default]
    return "|".join([name, *fields])


def decode_curve(text: str) -> tuple[str, dict]:
    """(name, kwargs) from encode_curve's form; InvalidValue (translated reason) for anything else."""
    name, *fields = text.split("|")
    if name not in SCHEDULES:
        raise InvalidValue(t("sch.reason.unknown_schedule", name=literal(name, limit=60)))
    raw: dict[str, str] = {}
    for field_text in fields:
        field_key, sep, value = field_text.partition("=")
        if not sep or field_key in raw:
            raise InvalidValue(t("sch.reason.field", field=literal(field_text, limit=60)))
        raw[field_key] = value
    used: set[str] = set()

    def value_of(setting: Setting, _governs: str) -> Any:
        used.add(setting.key)
        return setting.parse(raw[setting.key]) if setting.key in raw else setting.default

    kwargs, problems = collect(name, "", value_of)
    unknown = sorted(set(raw) - used)
    if unknown:
        raise InvalidValue(t("sch.reason.field", field=literal(", ".join(unknown), limit=60)))
    if problems:
        raise InvalidValue("; ".join(problems))
    try:
        schedule_fn(name, **kwargs)  # a combination the library refuses (lr does not change validity)
    except ScheduleError as error:
        raise InvalidValue(str(error)) from None
    return name, kwargs


# ---- the Playground link -----------------------------------------------------------------------------------
def relative_kwargs(name: str, kwargs: Mapping[str, Any], lr: float) -> dict:
    """kwargs whose curve at lr=1.0 is this curve's shape: see the module docstring."""
    spec = get_spec(name)
    if not spec.uses_lr:  # a standalone cyclic_lr / one_cycle_lr: its peak becomes the optimizer's LR
        return _scaled(name, kwargs, float(kwargs.get("max_lr") or 1.0))
    return _scaled(name, kwargs, lr)


def _scaled(name: str, kwargs: Mapping[str, Any], unit: float) -> dict:
    if unit <= 0:
        raise ScheduleError(t("sch.reason.zero_lr"))
    out = {k: (v / unit if k in ABSOLUTE and v is not None else v) for k, v in kwargs.items()}
    if name == "warmup" and out.get("schedule_kwargs"):
        out["schedule_kwargs"] = _scaled(out["schedule"], out["schedule_kwargs"], unit)
    if name == "sequential_lr":
        out["schedulers"] = [
            (part, _scaled(part, part_kwargs, unit))
            for part, part_kwargs in ((e, {}) if isinstance(e, str) else e for e in out["schedulers"])
        ]
    return out


def playground_query(name: str, kwargs: Mapping[str, Any], lr: float) -> dict[str, str]:
    """{"sched": name, "sched_<param>": value, ...}: the Playground's URL settings for this schedule."""
    relative = relative_kwargs(name, kwargs, lr)
    query = {PLAYGROUND_KEY: name}
    for setting, value in flat_settings(name, relative, PLAYGROUND_PREFIX, relative=True):
        query[setting.key] = setting.encode(value)
    return query


def playground_link(name: str, kwargs: Mapping[str, Any], lr: float = 1.0) -> str:
    """The relative URL of the Playground carrying this schedule (lr: the base LR kwargs were made for)."""
    return "/playground?" + urllib.parse.urlencode(playground_query(name, kwargs, lr), safe=",")


# ---- the comparison set: kept curves in one URL value ------------------------------------------------------
MAX_KEPT = 6
KEEP_MAX_LEN = 1500


class KeptCurves(Setting):
    """A "text" setting: up to MAX_KEPT curves as encode_curve forms joined by ';', each checked on parse."""

    def parse(self, raw: str) -> Any:
        text = super().parse(raw)
        entries = [entry for entry in text.split(";") if entry]
        if len(entries) > MAX_KEPT:
            raise InvalidValue(t("sch.reason.too_many", n=MAX_KEPT))
        for entry in entries:
            try:
                decode_curve(entry)
            except InvalidValue as bad:
                raise InvalidValue(
                    t("sch.reason.kept", entry=literal(entry, limit=60), reason=bad.reason)
                ) from None
        return ";".join(entries)


def kept_setting(key: str = "keep") -> KeptCurves:
    return KeptCurves(key, "text", "", "sch.kept", max_len=KEEP_MAX_LEN)


def decode_kept(text: str) -> list[tuple[str, dict]]:
    """The kept curves of a value that KeptCurves.parse accepted."""
    return [decode_curve(entry) for entry in text.split(";") if entry]
