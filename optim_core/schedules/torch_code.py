"""Equivalent PyTorch code for a schedule, as the app prints it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

_CONSTRUCTOR = re.compile(r"\b([A-Z]\w*)\(\s*optimizer")


def py(value: Any) -> str:
    """A Python literal for value (NumPy scalars and tuples print as plain numbers and lists)."""
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    if isinstance(value, Integral):
        return repr(int(value))
    if isinstance(value, Real):
        return repr(float(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(py(v) for v in value) + "]"


def torch_call(cls: str, kwargs: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """`Cls(optimizer, a=1, ...)` with the arguments that differ from torch's defaults."""
    args = [f"{k}={py(v)}" for k, v in kwargs.items() if k not in defaults or v != defaults[k]]
    return f"{cls}({', '.join(['optimizer', *args])})"


def lambda_lr(multiplier: str) -> str:
    """A LambdaLR whose lambda gives the LR multiplier at step t (LambdaLR multiplies it by the base LR)."""
    return f"LambdaLR(optimizer, lr_lambda=lambda t: {multiplier})"


def script(lr: float, expr: str, *, per_epoch_metric: bool = False) -> str:
    """A runnable snippet: imports, an SGD optimizer over `model`, the scheduler and how to step it."""
    classes = list(dict.fromkeys(_CONSTRUCTOR.findall(expr)))
    # CyclicLR and OneCycleLR cycle momentum by default, which needs an optimizer that has one.
    momentum = ", momentum=0.9" if {"CyclicLR", "OneCycleLR"} & set(classes) else ""
    lines = ["import math"] if "math." in expr else []
    lines += [
        "import torch",
        f"from torch.optim.lr_scheduler import {', '.join(classes)}",
        "",
        f"optimizer = torch.optim.SGD(model.parameters(), lr={py(lr)}{momentum})",
        f"scheduler = {expr}",
        "# once per epoch, after validation: scheduler.step(val_loss)"
        if per_epoch_metric
        else "# every iteration: optimizer.step(); scheduler.step()",
    ]
    return "\n".join(lines) + "\n"
