"""Optimizer hyperparameters as URL settings and widgets: a rule's own table turned into controls."""

from __future__ import annotations

from collections.abc import Callable

from app.shared.i18n import STRINGS, t
from app.shared.optimizer_catalog import LR_RANGE, default_lr
from app.shared.settings import Setting
from optim_core.optimizers import RULES

COMMON = {"weight_decay"}  # set once for every optimizer by the page's common control


def hp_label(name: str) -> Callable[[], str]:
    """The translated label of a hyperparameter control (torch's name kept, so code and UI match)."""
    return lambda: t(f"hp.{name}") if f"hp.{name}" in STRINGS else name


def slot_settings(slot: int, name: str, scales: tuple[float, float]) -> list[Setting]:
    """URL settings of one optimizer slot, built from the rule's own hyperparameter table."""
    settings = []
    for hp in RULES[name].hyperparams:
        if hp.name in COMMON:
            continue
        key = f"o{slot}_{hp.name}"
        if hp.name == "lr":
            settings.append(
                Setting(
                    key, "log", default_lr(name, scales), hp_label("lr"), low=LR_RANGE[0], high=LR_RANGE[1]
                )
            )
        elif hp.kind == "bool":
            settings.append(Setting(key, "bool", bool(hp.default), hp_label(hp.name)))
        elif hp.kind == "int":
            settings.append(Setting(key, "int", int(hp.default), hp_label(hp.name), low=hp.low, high=hp.high))
        elif hp.kind == "betas":
            for j, beta in enumerate(hp.default):
                settings.append(
                    Setting(
                        f"{key}{j + 1}",
                        "float",
                        float(beta),
                        hp_label(f"betas{j + 1}"),
                        low=0.0,
                        high=0.9999,
                        step=0.001,
                    )
                )
        elif hp.log_scale:
            settings.append(
                Setting(key, "log", float(hp.default), hp_label(hp.name), low=hp.low, high=hp.high)
            )
        else:
            settings.append(
                Setting(
                    key,
                    "float",
                    float(hp.default),
                    hp_label(hp.name),
                    low=hp.low,
                    high=hp.high,
                    step=_step(hp.low, hp.high),
                )
            )
    return settings


def _step(low: float, high: float) -> float:
    return 0.001 if high - low <= 1.5 else 0.01


def gather_hyperparams(name: str, values: dict) -> dict:
    """Widget values (betas split in two) back into the rule's hyperparameter dict."""
    hp = dict(values)
    if "betas1" in hp:
        hp["betas"] = (hp.pop("betas1"), hp.pop("betas2"))
    return hp
