"""The expression tree of a formula, its simplifying constructors, and its normalized text.

Nodes are immutable and compared by identity: Const (a number, or pi / e by name), Var (x or y), Neg,
Binary (+ - * / **) and Call (one function of FUNCTIONS). Build trees with add, sub, mul, div, neg,
power and call, never with the node classes: they simplify lightly (0 + u = u, 1 * u = u, constants
folded, the sign of a product on its first factor), so derivatives print as a person would write them
and `to_text` reads back to the same tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import numpy as np

from .vocabulary import MAX_NUMBER, NUMPY_FUNCTIONS

# ---- the expression tree ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Expr:
    """A node of a formula. Immutable; compared by identity, printed as normalized formula text."""

    # whether the subtree is free of x and y, kept on the node so it is never recomputed
    is_constant: bool = field(init=False, repr=False)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def __post_init__(self) -> None:
        constant = not isinstance(self, Var) and all(c.is_constant for c in self.children())
        object.__setattr__(self, "is_constant", constant)

    def __str__(self) -> str:
        return to_text(self)


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: float
    name: str | None = None  # "pi" or "e": printed by name, kept out of folding


@dataclass(frozen=True, eq=False)
class Var(Expr):
    name: str


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    arg: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


@dataclass(frozen=True, eq=False)
class Binary(Expr):
    op: str  # one of + - * / **
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, eq=False)
class Call(Expr):
    func: str
    arg: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


ZERO, ONE = Const(0.0), Const(1.0)

# ---- printing --------------------------------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_NEGATIVE, _ATOM = 3, 5


def _precedence(e: Expr) -> int:
    if isinstance(e, Binary):
        return _PRECEDENCE[e.op]
    if isinstance(e, Neg) or (isinstance(e, Const) and e.name is None and e.value < 0):
        return _NEGATIVE
    return _ATOM


def _number_text(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def to_text(e: Expr) -> str:
    """The normalized formula: Python syntax that parses back to the same function."""
    if isinstance(e, Const):
        return e.name or _number_text(e.value)
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Call):
        return f"{e.func}({to_text(e.arg)})"
    if isinstance(e, Neg):
        # neg() never wraps a product (it moves the sign onto the first factor), so only sums need "-(...)"
        return "-" + _wrap(e.arg, _precedence(e.arg) <= 1 or _negated(e.arg))
    if not isinstance(e, Binary):
        raise AssertionError(f"not a formula node: {e!r}")
    own, left, right = _PRECEDENCE[e.op], _precedence(e.left), _precedence(e.right)
    if e.op == "**":
        # right-associative, and tighter than unary minus: (-x)**2, (x**2)**3, x**(-1)
        return _wrap(e.left, left <= own) + "**" + _wrap(e.right, right <= _NEGATIVE or _negated(e.right))
    sep = f" {e.op} " if own == 1 else e.op
    return _wrap(e.left, left < own) + sep + _wrap(e.right, right <= own or _negated(e.right))


def _wrap(e: Expr, parens: bool) -> str:
    return f"({to_text(e)})" if parens else to_text(e)


# ---- building with light simplification ------------------------------------------------------------


def is_literal(e: Expr, value: float | None = None) -> TypeGuard[Const]:
    """A numeric constant (not a named one like pi), optionally equal to `value`."""
    return isinstance(e, Const) and e.name is None and (value is None or e.value == value)


def _fold(op: Callable[..., Any], *args: Const) -> Const | None:
    # Constants are folded in float64 exactly as evaluation would compute them. A result that is not
    # finite (1/0, log(0), 9**9**9) is left unfolded for the parser to report, and one beyond MAX_NUMBER
    # (2**512) is left as it is so the normalized text still parses.
    with np.errstate(all="ignore"):
        value = float(op(*(np.float64(a.value) for a in args)))
    return Const(value) if abs(value) <= MAX_NUMBER else None


def _negated(e: Expr) -> bool:
    """Whether e reads as "-something": a Neg, a negative number, or a product led by one."""
    if isinstance(e, Neg) or (is_literal(e) and e.value < 0):
        return True
    return isinstance(e, Binary) and e.op in ("*", "/") and _negated(e.left)


# The sign of a product sits on its leftmost factor: -(u*v) is built as (-u)*v, and u*(-v) as (-u)*v.
# All of these are exact in floating point (negation only flips the sign bit), and the normalized text
# then reads back to the same tree.


def add(a: Expr, b: Expr) -> Expr:
    if is_literal(a, 0):
        return b
    if is_literal(b, 0):
        return a
    if is_literal(a) and is_literal(b) and (c := _fold(np.add, a, b)):
        return c
    if _negated(b):  # a + (-u) = a - u
        return sub(a, neg(b))
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if is_literal(b, 0):
        return a
    if is_literal(a, 0):
        return neg(b)
    if is_literal(a) and is_literal(b) and (c := _fold(np.subtract, a, b)):
        return c
    if _negated(b):  # a - (-u) = a + u
        return add(a, neg(b))
    return Binary("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    if is_literal(a, 0) or is_literal(b, 0):
        return ZERO
    if is_literal(a, 1):
        return b
    if is_literal(b, 1):
        return a
    if is_literal(a, -1):
        return neg(b)
    if is_literal(b, -1):
        return neg(a)
    if is_literal(a) and is_literal(b) and (c := _fold(np.multiply, a, b)):
        return c
    if is_literal(b) and not is_literal(a):
        return mul(b, a)  # the number first: 2*x, not x*2
    if isinstance(b, Neg):
        return mul(neg(a), b.arg)
    if is_literal(a) and isinstance(b, Binary) and b.op == "*" and is_literal(b.left):
        return mul(_fold(np.multiply, a, b.left) or Binary("*", a, b.left), b.right)
    return Binary("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if is_literal(b, 1):
        return a
    if is_literal(a, 0):
        return ZERO
    if is_literal(a) and is_literal(b) and (c := _fold(np.true_divide, a, b)):
        return c
    if isinstance(b, Neg):
        return div(neg(a), b.arg)
    return Binary("/", a, b)


def neg(a: Expr) -> Expr:
    if isinstance(a, Neg):
        return a.arg
    if is_literal(a):
        return ZERO if a.value == 0 else Const(-a.value)
    if isinstance(a, Binary) and a.op == "-":  # -(u - v) = v - u
        return sub(a.right, a.left)
    if isinstance(a, Binary) and a.op in ("*", "/"):  # -(u v) = (-u) v
        return BUILDERS[a.op](neg(a.left), a.right)
    return Neg(a)


def power(a: Expr, b: Expr) -> Expr:
    if is_literal(b, 0):
        return ONE
    if is_literal(b, 1):
        return a
    if is_literal(a, 1):
        return ONE
    if is_literal(a) and is_literal(b) and (c := _fold(np.power, a, b)):
        return c
    return Binary("**", a, b)


def call(func: str, a: Expr) -> Expr:
    if isinstance(a, Const) and (c := _fold(NUMPY_FUNCTIONS[func], a)):
        return c
    return Call(func, a)


BUILDERS = {"+": add, "-": sub, "*": mul, "/": div, "**": power}
