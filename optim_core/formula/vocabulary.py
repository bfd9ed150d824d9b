"""What a formula may say: the variables, named constants, operators and functions, with their meaning.

The parser accepts exactly these names (parse.py), the expression tree folds constants with them
(expr.py), and the evaluator computes them (evaluate.py), so each is defined once, here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_NUMBER = 1e6  # largest number literal; constant folding stays within it, so the normalized text parses


def _sigmoid(u):
    # σ(u) = 1 / (1 + e^{-u}) = exp(-log(1 + e^{-u})); logaddexp never overflows
    return np.exp(-np.logaddexp(0.0, -u))


# the numeric meaning of every function a formula may call
NUMPY_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "abs": np.abs,
    "sign": np.sign,
    "arctan": np.arctan,
    "atan": np.arctan,
    "sigmoid": _sigmoid,
}
FUNCTIONS = tuple(NUMPY_FUNCTIONS)
NUMPY_OPERATORS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power}
