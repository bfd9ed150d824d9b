"""Symbolic derivatives of a formula: the textbook rules, applied to the expression tree.

`derivative(expr, "x")` builds the exact partial derivative with expr.py's simplifying constructors,
so d/dx (x**2) prints as 2*x. Shared subtrees are differentiated once.
"""

from __future__ import annotations

from .expr import (
    BUILDERS,
    ONE,
    ZERO,
    Binary,
    Call,
    Const,
    Expr,
    Neg,
    Var,
    add,
    call,
    div,
    mul,
    neg,
    power,
    sub,
)
from .vocabulary import VARIABLES


def _outer_derivative(e: Call) -> Expr:
    """d func(u) / du, written with e = func(u) itself where that keeps the tree small."""
    u = e.arg
    match e.func:
        case "sin":
            return call("cos", u)
        case "cos":
            return neg(call("sin", u))
        case "tan":  # 1 + tan²(u)
            return add(ONE, power(e, Const(2.0)))
        case "exp":
            return e
        case "log":
            return div(ONE, u)
        case "sqrt":  # 1 / (2 sqrt(u))
            return div(Const(0.5), e)
        case "tanh":  # 1 − tanh²(u)
            return sub(ONE, power(e, Const(2.0)))
        case "sinh":
            return call("cosh", u)
        case "cosh":
            return call("sinh", u)
        case "abs":  # sign(u), and 0 at u = 0 as torch uses
            return call("sign", u)
        case "sign":  # 0 almost everywhere (torch agrees)
            return ZERO
        case "arctan" | "atan":  # 1 / (1 + u²)
            return div(ONE, add(ONE, power(u, Const(2.0))))
        case "sigmoid":  # σ(u) (1 − σ(u))
            return mul(e, sub(ONE, e))
    raise AssertionError(e.func)


def derivative(e: Expr, var: str) -> Expr:
    """The exact partial derivative of e with respect to var ("x" or "y"), lightly simplified."""
    if var not in VARIABLES:
        raise ValueError(f"can differentiate by x or y, not {var!r}")
    memo: dict[int, Expr] = {}

    def d(n: Expr) -> Expr:
        if n.is_constant:
            return ZERO
        if id(n) in memo:
            return memo[id(n)]
        result: Expr
        if isinstance(n, Var):
            result = ONE if n.name == var else ZERO
        elif isinstance(n, Neg):
            result = neg(d(n.arg))
        elif isinstance(n, Call):
            result = mul(_outer_derivative(n), d(n.arg))
        elif not isinstance(n, Binary):  # a Const is constant, so returned above
            raise AssertionError(f"not a formula node: {n!r}")
        elif n.op in "+-":
            result = BUILDERS[n.op](d(n.left), d(n.right))
        elif n.op == "*":
            # (uv)' = u'v + uv'
            result = add(mul(d(n.left), n.right), mul(n.left, d(n.right)))
        elif n.op == "/":
            # (u/v)' = u'/v − u v'/v²
            result = sub(div(d(n.left), n.right), div(mul(n.left, d(n.right)), power(n.right, Const(2.0))))
        elif n.right.is_constant:
            # (u^p)' = p u^(p−1) u'
            result = mul(mul(n.right, power(n.left, sub(n.right, ONE))), d(n.left))
        elif n.left.is_constant:
            # (a^v)' = a^v ln(a) v'
            result = mul(mul(n, call("log", n.left)), d(n.right))
        else:
            # (u^v)' = u^v (v' ln u + v u'/u); the parser never builds this, derivatives never need it
            result = mul(n, add(mul(d(n.right), call("log", n.left)), div(mul(n.right, d(n.left)), n.left)))
        memo[id(n)] = result
        return result

    return d(e)
