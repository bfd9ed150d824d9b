"""Evaluating formulas: expression trees compiled into a flat list of NumPy steps.

A Program runs several expressions at once (f, or its gradient, or its Hessian) with common
subexpressions computed once, vectorized over x and y. Overflow and domain errors give inf / nan,
never warnings. Nothing here runs Python code from the formula: every step is a NumPy function
from vocabulary.py.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from ..surfaces.surface import _shaped
from .expr import Binary, Call, Const, Expr, Var
from .vocabulary import NUMPY_FUNCTIONS, NUMPY_OPERATORS

# what a step computes beyond its kind: a Const's value, a Var's name, a Binary's operator, a Call's function
Payload = float | str | None


def _payload(node: Expr) -> Payload:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Binary):
        return node.op
    if isinstance(node, Call):
        return node.func
    return None


class Program:
    """Expressions flattened into steps in dependency order; equal subtrees become one step."""

    def __init__(self, roots: list[Expr]):
        self.steps: list[tuple[str, Payload, tuple[int, ...]]] = []
        slot_of_node: dict[int, int] = {}
        slot_of_step: dict[tuple[str, Payload, tuple[int, ...]], int] = {}
        for root in roots:
            stack = [root]
            while stack:  # iterative post-order: no recursion, whatever the depth
                node = stack[-1]
                if id(node) in slot_of_node:
                    stack.pop()
                    continue
                waiting = [c for c in node.children() if id(c) not in slot_of_node]
                if waiting:
                    stack.extend(waiting)
                    continue
                stack.pop()
                step = (
                    type(node).__name__,
                    _payload(node),
                    tuple(slot_of_node[id(c)] for c in node.children()),
                )
                if step not in slot_of_step:
                    slot_of_step[step] = len(self.steps)
                    self.steps.append(step)
                slot_of_node[id(node)] = slot_of_step[step]
        self.outputs = [slot_of_node[id(r)] for r in roots]

    def __call__(self, x, y) -> list:
        values: list = []
        with np.errstate(all="ignore"):  # overflow and domain errors become inf / nan, never warnings
            for kind, payload, args in self.steps:
                if kind == "Const":
                    values.append(np.float64(payload))
                elif kind == "Var":
                    values.append(x if payload == "x" else y)
                elif kind == "Neg":
                    values.append(-values[args[0]])
                elif kind == "Binary":  # the payload of a Binary or a Call step is a name (_payload)
                    values.append(NUMPY_OPERATORS[cast(str, payload)](values[args[0]], values[args[1]]))
                else:
                    values.append(NUMPY_FUNCTIONS[cast(str, payload)](values[args[0]]))
        return [values[i] for i in self.outputs]


def evaluate(e: Expr, x, y):
    """e at (x, y), vectorized; inf / nan where it overflows or leaves its domain."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return _shaped(x, y, *Program([e])(x, y))
