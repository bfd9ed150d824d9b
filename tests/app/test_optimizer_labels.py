"""Optimizer labels on the pages: every rule in English and 简体中文, built from optim_core's parts."""

import pytest

from app.shared.i18n import STRINGS
from app.shared.optimizer_labels import optimizer_label
from optim_core.optimizers import RULES


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_has_a_label_in_both_languages(name):
    rule = RULES[name]
    assert optimizer_label(name, lang="en") == rule.label == rule.display_label()
    assert optimizer_label(name, lang="zh").strip()


def test_the_english_of_each_translation_is_optim_cores_text():
    parts = {
        part
        for rule in RULES.values()
        for hp in _hyperparameter_choices(rule)
        for part in rule.label_parts(hp)
        if part.key
    }
    for part in parts:
        key = f"opt.{part.key}"
        if key in STRINGS:
            assert STRINGS[key][0] == part.text, key
    used = {f"opt.{part.key}" for part in parts}
    unused = [key for key in STRINGS if key.startswith("opt.") and key not in used]
    assert not unused, unused


def _hyperparameter_choices(rule) -> list[dict]:
    """Defaults, then each bool flipped and each float switched on, so every label part appears."""
    names = {p.name: p for p in rule.hyperparams}
    choices = [{}]
    if "weight_decay" in names:
        choices.append({"weight_decay": 0.1})
    for flag in ("nesterov", "centered", "amsgrad", "decoupled_weight_decay"):
        if flag in names:
            choices.append({flag: not names[flag].default, "weight_decay": 0.1})
    if "momentum" in names:
        choices += [{"momentum": 0.9, "nesterov": False}, {"momentum": 0.0, "nesterov": False}]
    return choices


@pytest.mark.parametrize(
    "name, hp, en, zh",
    [
        ("adam", {"weight_decay": 0.1}, "Adam + L2", "Adam + L2(梯度)"),
        ("adamw", {"weight_decay": 0.1}, "AdamW (decoupled)", "AdamW(解耦权重衰减)"),
        ("adamw", {"weight_decay": 0.0}, "AdamW", "AdamW"),
        ("adamw", {"amsgrad": True}, "AdamW (AMSGrad) (decoupled)", "AdamW (AMSGrad)(解耦权重衰减)"),
        ("amsgrad", {"weight_decay": 0.1}, "AMSGrad + L2", "AMSGrad + L2(梯度)"),
        ("radam", {"weight_decay": 0.1}, "RAdam + L2", "RAdam + L2(梯度)"),
        (
            "radam",
            {"weight_decay": 0.1, "decoupled_weight_decay": True},
            "RAdamW (decoupled)",
            "RAdamW(解耦权重衰减)",
        ),
        (
            "nadam",
            {"weight_decay": 0.1, "decoupled_weight_decay": True},
            "NAdamW (decoupled)",
            "NAdamW(解耦权重衰减)",
        ),
        ("sgd", {"weight_decay": 0.1}, "SGD + L2", "SGD + L2"),
        ("sgd", {"momentum": 0.9}, "SGD + momentum", "SGD + 动量"),
        ("sgd", {"momentum": 0.9, "nesterov": True}, "SGD + Nesterov", "SGD + Nesterov 动量"),
        ("nesterov", {"weight_decay": 0.1}, "SGD + Nesterov + L2", "SGD + Nesterov 动量 + L2"),
        ("momentum", {"momentum": 0.0}, "SGD", "SGD"),
        (
            "rmsprop",
            {"centered": True, "momentum": 0.5},
            "RMSprop (centered) + momentum",
            "RMSprop(中心化) + 动量",
        ),
        ("adagrad", {"weight_decay": 0.1}, "Adagrad + L2", "Adagrad + L2"),
        ("adadelta", {"weight_decay": 0.1}, "Adadelta + L2", "Adadelta + L2"),
        ("adamax", {"weight_decay": 0.1}, "Adamax + L2", "Adamax + L2"),
        ("momentum_ema", None, "Momentum (EMA)", "动量(EMA 形式)"),
        ("rmsprop_eps_inside", None, "RMSprop (ε inside √)", "RMSprop(ε 在根号内)"),
        ("adam_no_bias_correction", None, "Adam (no bias correction)", "Adam(无偏差修正)"),
    ],
)
def test_labels_from_hyperparameters_in_both_languages(name, hp, en, zh):
    assert RULES[name].display_label(hp) == en  # what the engine, the run store and CSVs use
    assert optimizer_label(name, hp, "en") == en
    assert optimizer_label(name, hp, "zh") == zh
