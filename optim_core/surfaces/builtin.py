"""The built-in surfaces by name: the one table of them, in the order a course teaches them.

From the round bowl, through ill-conditioning, saddles and plateaus (elementary.py), to the classic
benchmark functions with many minima (benchmarks.py), to a one-neuron classifier's two losses
(classifier.py: squared error and cross-entropy). `get_surface("ravine", condition=50)` builds one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from . import benchmarks, classifier, elementary
from .surface import Surface

# name -> factory(**params) -> Surface: the one list of built-in surfaces, in teaching order
_FACTORIES: dict[str, Callable[..., Surface]] = {
    "bowl": elementary.bowl,
    "ravine": elementary.ravine,
    "saddle": elementary.saddle,
    "monkey_saddle": elementary.monkey_saddle,
    "plateau": elementary.plateau,
    "rosenbrock": benchmarks.rosenbrock,
    "beale": benchmarks.beale,
    "himmelblau": benchmarks.himmelblau,
    "rastrigin": benchmarks.rastrigin,
    "six_hump_camel": benchmarks.six_hump_camel,
    "classifier_mse": classifier.classifier_mse,
    "classifier_ce": classifier.classifier_ce,
}


def surface_names() -> list[str]:
    """The names of the built-in surfaces, in teaching order."""
    return list(_FACTORIES)


def get_surface(name: str | Surface, **params) -> Surface:
    """The built-in surface called `name`, built with `params` (for example condition=50 for 'ravine')."""
    if isinstance(name, Surface):
        return name
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown surface {name!r}; valid choices: {', '.join(_FACTORIES)}") from None
    valid = list(inspect.signature(factory).parameters)
    unknown = [key for key in params if key not in valid]
    if unknown:
        choices = ", ".join(valid) if valid else "none"
        raise ValueError(f"surface {name!r} has no parameter {unknown[0]!r}; valid parameters: {choices}")
    return factory(**params)
