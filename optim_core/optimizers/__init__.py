"""Optimizer rules: torch.optim's algorithms and the textbook variants, as pure NumPy functions.

Each rule (see rule.py) is `init(params) -> State` and `update(grad, state, params, lr, hp, step)`,
vectorized over a batch of runs. `RULES` is the one registry; `resolve_hyperparams` fills torch's
defaults and checks every value against its Param (optim_core/params.py), the same range the app's
controls use.

    >>> from optim_core.optimizers import RULES, resolve_hyperparams
    >>> hp = resolve_hyperparams("adam", {"lr": 0.01})
    >>> hp
    {'lr': 0.01, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.0, 'amsgrad': False}
    >>> RULES["adam"].torch_code(hp).splitlines()[-1].split(", betas")[0]
    'optimizer = torch.optim.Adam(params, lr=0.01'
"""

from __future__ import annotations

from collections.abc import Mapping

from .adadelta import ADADELTA
from .adagrad import ADAGRAD
from .adam import ADAM, ADAMW, AMSGRAD
from .adamax import ADAMAX
from .nadam import NADAM
from .radam import RADAM
from .rmsprop import RMSPROP
from .rule import Diagnostics, Rule, latex_lines
from .sgd import MOMENTUM, NESTEROV, SGD
from .textbook import ADAM_NO_BIAS_CORRECTION, MOMENTUM_EMA, RMSPROP_EPS_INSIDE

__all__ = [
    "RULES",
    "Diagnostics",
    "Rule",
    "latex_lines",
    "optimizer_names",
    "resolve_hyperparams",
]

# name -> rule: torch.optim's optimizers, convenience names, then the textbook variants.
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        SGD,
        MOMENTUM,
        NESTEROV,
        ADAGRAD,
        RMSPROP,
        ADADELTA,
        ADAM,
        AMSGRAD,
        ADAMW,
        NADAM,
        RADAM,
        ADAMAX,
        MOMENTUM_EMA,
        RMSPROP_EPS_INSIDE,
        ADAM_NO_BIAS_CORRECTION,
    )
}


def optimizer_names() -> list[str]:
    return list(RULES)


def get_rule(name: str) -> Rule:
    try:
        return RULES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {name!r}; valid choices: {', '.join(RULES)}") from None


def resolve_hyperparams(name: str, hp: Mapping | None = None) -> dict:
    """torch's defaults filled in and every value checked; raises ValueError naming the valid choices."""
    rule = get_rule(name)
    hp = {} if hp is None else hp
    if not isinstance(hp, Mapping):
        raise ValueError(f"hyperparameters for {name!r} must be a dict, got {type(hp).__name__}")
    valid = [p.name for p in rule.hyperparams]
    unknown = [key for key in hp if key not in valid]
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for {name!r}; "
            f"valid choices: {', '.join(valid)}"
        )
    resolved = {
        p.name: p.check(hp.get(p.name, p.default), where=f"{name}: {p.name}") for p in rule.hyperparams
    }
    if rule.check is not None:
        rule.check(resolved)
    return resolved
