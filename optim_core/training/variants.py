"""Optimizers by name for CNN training: torch.optim's own (fast paths on) and the course-note variants.

The names and hyperparameter names are those of the 2D rules (`optim_core.optimizers.RULES`), which
also validate the values and fill in torch's defaults. Only the default learning rate differs: the 2D
rules' defaults suit toy surfaces, each optimizer's `cnn_lr` (optim_core.optimizers.catalog) suits the
small CNN on digits.

Fast paths: `foreach=True` (one kernel per operation for all tensors) wherever the class takes it;
`fused=True` (one kernel for the whole update) for Adam, AdamW and SGD on CUDA only.

The textbook variants are torch's oracle turned around: rules torch does not have, written as ordinary
torch.optim.Optimizer subclasses (textbook_torch.py) so the trainer treats them like any other.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping

import torch
from torch.optim import Optimizer

from optim_core.optimizers import RULES, resolve_hyperparams
from optim_core.optimizers.catalog import CATALOG
from optim_core.training.textbook_torch import TEXTBOOK_VARIANTS

_FUSED_ON_CUDA = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def optimizer_names() -> list[str]:
    return list(RULES)


def optimizer_class(name: str) -> type[Optimizer]:
    if name in TEXTBOOK_VARIANTS:
        return TEXTBOOK_VARIANTS[name]
    rule = RULES.get(name)
    if rule is None or rule.torch_class is None:
        raise ValueError(f"unknown optimizer {name!r}; valid choices: {', '.join(RULES)}")
    return getattr(torch.optim, rule.torch_class.rsplit(".", 1)[1])


def has_weight_decay(name: str) -> bool:
    """Whether the optimizer takes weight_decay itself (the variants do not: the trainer adds λθ)."""
    return any(p.name == "weight_decay" for p in RULES[name].hyperparams) if name in RULES else False


def resolve(name: str, hp: Mapping | None = None) -> dict:
    """Checked hyperparameters with defaults filled in (the LR from the catalog's cnn_lr when not given)."""
    hp = dict(hp or {})
    hp.setdefault("lr", CATALOG[name].cnn_lr if name in CATALOG else 1e-3)
    return resolve_hyperparams(name, hp)


def make_optimizer(name: str, params: Iterable[torch.Tensor], hp: Mapping | None = None) -> Optimizer:
    """torch.optim optimizer `name` over params, hyperparameters checked, fast path chosen by device."""
    cls = optimizer_class(name)
    params = list(params)
    kwargs = resolve(name, hp)
    accepted = inspect.signature(cls.__init__).parameters
    on_cuda = bool(params) and params[0].is_cuda
    if on_cuda and cls in _FUSED_ON_CUDA and "fused" in accepted:
        kwargs["fused"] = True
    elif "foreach" in accepted:
        kwargs["foreach"] = True
    return cls(params, **kwargs)
