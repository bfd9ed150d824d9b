"""Params as URL settings and widgets: the one converter from a library Param to the app's Setting.

`param_setting` draws every Param the same way (optimizer hyperparameters here, schedule arguments in
schedule_controls.py); `slot_settings` turns a rule's own hyperparameter table into one slot's controls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.shared.i18n import STRINGS, t
from app.shared.optimizer_catalog import LR_RANGE, default_lr
from app.shared.settings import Setting
from optim_core.optimizers import RULES
from optim_core.params import Param

COMMON = {"weight_decay"}  # set once for every optimizer by the page's common control
BETA_MAX = 0.9999  # the largest beta a control offers: torch needs beta < 1


def param_setting(
    param: Param,
    key: str,
    label: str | Callable[[], str],
    *,
    help: str | None = None,
    slider: bool = False,
    format: Callable[[Any], str] | None = None,
) -> Setting:
    """The URL setting (and so the widget) for one bool, choice, int or float Param.

    A log-scale float is a select_slider whose default is snapped onto its round grid; an int range of
    at most 100 is a slider; another float is a number box, or with `slider` a slider with fixed decimals.
    label: an i18n key or a callable; help: an i18n key; format: how a choice is shown.
    """
    default, low, high = param.default, param.low, param.high
    if param.kind == "bool":
        return Setting(key, "bool", bool(default), label, help=help)
    if param.kind == "choice":
        return Setting(key, "choice", default, label, choices=param.choices, format=format, help=help)
    if param.kind == "int":
        widget = "slider" if high - low <= 100 else ""
        return Setting(key, "int", int(default), label, low=low, high=high, step=1, widget=widget, help=help)
    assert param.kind == "float", f"{param.name}: a {param.kind} Param needs its own control"
    if param.log_scale:
        on_grid = Setting(key, "log", float(default), label, low=low, high=high).parse(repr(float(default)))
        return Setting(key, "log", on_grid, label, low=low, high=high, help=help)
    step = _float_step(low, high)
    if not slider:
        return Setting(key, "float", float(default), label, low=low, high=high, step=step, help=help)
    digits = max(0, -int(f"{step:e}".split("e")[1]))
    return Setting(
        key,
        "float",
        float(default),
        label,
        low=low,
        high=high,
        step=step,
        widget="slider",
        help=help,
        extra={"format": f"%.{digits}f"},
    )


def _float_step(low: float, high: float) -> float:
    """A round step giving at least ~200 positions: 0.2 wide -> 0.001, 1 wide -> 0.001, 5 wide -> 0.01."""
    width = (high - low) / 200
    step = 1.0
    while step > width:
        step /= 10
    return float(f"{step:.0e}")


def hp_label(name: str) -> Callable[[], str]:
    """The translated label of a hyperparameter control (torch's name kept, so code and UI match)."""
    return lambda: t(f"hp.{name}") if f"hp.{name}" in STRINGS else name


def slot_settings(slot: int, name: str, scales: tuple[float, float]) -> list[Setting]:
    """URL settings of one optimizer slot, built from the rule's own hyperparameter table.

    The LR starts where the surface makes a good picture (default_lr); betas become two controls.
    """
    settings = []
    for hp in RULES[name].hyperparams:
        if hp.name in COMMON:
            continue
        key = f"o{slot}_{hp.name}"
        if hp.name == "lr":
            lr = replace(hp, default=default_lr(name, scales), low=LR_RANGE[0], high=LR_RANGE[1])
            settings.append(param_setting(lr, key, hp_label("lr")))
        elif hp.kind == "betas":
            for j, beta in enumerate(hp.default, start=1):
                one = Param(f"betas{j}", float(beta), "float", hp.low, BETA_MAX)
                settings.append(param_setting(one, f"{key}{j}", hp_label(f"betas{j}")))
        else:
            settings.append(param_setting(hp, key, hp_label(hp.name)))
    return settings


def gather_hyperparams(name: str, values: dict) -> dict:
    """Widget values (betas split in two) back into the rule's hyperparameter dict."""
    hp = dict(values)
    if "betas1" in hp:
        hp["betas"] = (hp.pop("betas1"), hp.pop("betas2"))
    return hp
