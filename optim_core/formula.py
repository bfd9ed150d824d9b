"""A user-typed f(x, y) as a Surface, read safely and differentiated exactly.

The text is never run. `ast.parse(text, mode="eval")` is used only as a parser (it builds a syntax tree
and executes nothing). That tree is then walked against a strict whitelist into a small expression tree
of our own:

    numbers, x, y, pi, e,  + - * / **,  unary -/+,  and one-argument calls of FUNCTIONS.

Anything else (names, attributes, subscripts, strings, lambdas, comprehensions, keywords, ...) is a
FormulaError that says what was wrong, where, and what is allowed. The raw text is checked before the
parser sees it: length, plain ASCII only (Python's parser NFKC-normalizes identifiers, so a fullwidth
'ｘ' would otherwise become 'x'), allowed characters, and parenthesis nesting (deep nesting can exhaust
the parser's recursion).

Derivatives are symbolic: `derivative(expr, "x")` applies the textbook rules and simplifies lightly
(0 + u = u, 1 * u = u, constants folded), so d/dx (x**2) prints as 2*x. Shared subtrees are reused, and
evaluation runs a flat list of steps with common subexpressions computed once.
"""

from __future__ import annotations

import ast
import math
import string
import unicodedata
from dataclasses import dataclass

import numpy as np

from optim_core.surfaces import Surface

MAX_LENGTH = 200  # characters of formula text
MAX_NODES = 100  # syntax nodes in the formula
MAX_DEPTH = 30  # nesting of the formula, and of its parentheses
MAX_EXPONENT = 10  # |p| in u**p when u depends on x or y
MAX_NUMBER = 1e6  # largest number literal
MAX_CRITICAL_POINTS = 64  # of each kind reported for a custom surface

DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}


def _sigmoid(u):
    # σ(u) = 1 / (1 + e^{-u}) = exp(-log(1 + e^{-u})); logaddexp never overflows
    return np.exp(-np.logaddexp(0.0, -u))


# the numeric meaning of every function a formula may call
_NUMPY_FUNCTIONS = {
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
FUNCTIONS = tuple(_NUMPY_FUNCTIONS)
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power}


class FormulaError(ValueError):
    """A formula that cannot be used, with what is wrong, where, and how to fix it.

    message: what is wrong ("unknown function 'foo'"); position: the 0-based column in the text, or
    None; hint: how to fix it, may be empty. str() joins them and names the column 1-based, as editors
    do: "unknown function 'foo' at column 5; allowed: sin, cos, ...".
    """

    def __init__(self, message: str, position: int | None = None, hint: str = ""):
        self.message = message
        self.position = position
        self.hint = hint
        where = "" if position is None else f" at column {position + 1}"
        super().__init__(f"{message}{where}" + (f"; {hint}" if hint else ""))


# ---------------------------------------------------------------------------------------------------
# the expression tree


@dataclass(frozen=True, eq=False)
class Expr:
    """A node of a formula. Immutable; compared by identity, printed as normalized formula text."""

    def children(self) -> tuple[Expr, ...]:
        return ()

    def __post_init__(self):
        # whether the subtree is free of x and y, kept on the node so it is never recomputed
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

    def children(self):
        return (self.arg,)


@dataclass(frozen=True, eq=False)
class Binary(Expr):
    op: str  # one of + - * / **
    left: Expr
    right: Expr

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True, eq=False)
class Call(Expr):
    func: str
    arg: Expr

    def children(self):
        return (self.arg,)


ZERO, ONE = Const(0.0), Const(1.0)

# ---------------------------------------------------------------------------------------------------
# printing

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
    own, left, right = _PRECEDENCE[e.op], _precedence(e.left), _precedence(e.right)
    if e.op == "**":
        # right-associative, and tighter than unary minus: (-x)**2, (x**2)**3, x**(-1)
        return _wrap(e.left, left <= own) + "**" + _wrap(e.right, right <= _NEGATIVE or _negated(e.right))
    sep = f" {e.op} " if own == 1 else e.op
    return _wrap(e.left, left < own) + sep + _wrap(e.right, right <= own or _negated(e.right))


def _wrap(e: Expr, parens: bool) -> str:
    return f"({to_text(e)})" if parens else to_text(e)


# ---------------------------------------------------------------------------------------------------
# building with light simplification


def _plain(e: Expr, value: float | None = None) -> bool:
    """A numeric constant (not a named one like pi), optionally equal to `value`."""
    return isinstance(e, Const) and e.name is None and (value is None or e.value == value)


def _fold(op, *args) -> Const | None:
    # Constants are folded in float64 exactly as evaluation would compute them. A result that is not
    # finite (1/0, log(0), 9**9**9) is left unfolded for the parser to report, and one beyond MAX_NUMBER
    # (2**512) is left as it is so the normalized text still parses.
    with np.errstate(all="ignore"):
        value = float(op(*(np.float64(a.value) for a in args)))
    return Const(value) if abs(value) <= MAX_NUMBER else None


def _negated(e: Expr) -> bool:
    """Whether e reads as "-something": a Neg, a negative number, or a product led by one."""
    if isinstance(e, Neg) or (_plain(e) and e.value < 0):
        return True
    return isinstance(e, Binary) and e.op in ("*", "/") and _negated(e.left)


# The sign of a product sits on its leftmost factor: -(u*v) is built as (-u)*v, and u*(-v) as (-u)*v.
# All of these are exact in floating point (negation only flips the sign bit), and the normalized text
# then reads back to the same tree.


def add(a: Expr, b: Expr) -> Expr:
    if _plain(a, 0):
        return b
    if _plain(b, 0):
        return a
    if _plain(a) and _plain(b) and (c := _fold(np.add, a, b)):
        return c
    if _negated(b):  # a + (-u) = a - u
        return sub(a, neg(b))
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if _plain(b, 0):
        return a
    if _plain(a, 0):
        return neg(b)
    if _plain(a) and _plain(b) and (c := _fold(np.subtract, a, b)):
        return c
    if _negated(b):  # a - (-u) = a + u
        return add(a, neg(b))
    return Binary("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    if _plain(a, 0) or _plain(b, 0):
        return ZERO
    if _plain(a, 1):
        return b
    if _plain(b, 1):
        return a
    if _plain(a, -1):
        return neg(b)
    if _plain(b, -1):
        return neg(a)
    if _plain(a) and _plain(b) and (c := _fold(np.multiply, a, b)):
        return c
    if _plain(b) and not _plain(a):
        return mul(b, a)  # the number first: 2*x, not x*2
    if isinstance(b, Neg):
        return mul(neg(a), b.arg)
    if _plain(a) and isinstance(b, Binary) and b.op == "*" and _plain(b.left):
        return mul(_fold(np.multiply, a, b.left) or Binary("*", a, b.left), b.right)
    return Binary("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if _plain(b, 1):
        return a
    if _plain(a, 0):
        return ZERO
    if _plain(a) and _plain(b) and (c := _fold(np.true_divide, a, b)):
        return c
    if isinstance(b, Neg):
        return div(neg(a), b.arg)
    return Binary("/", a, b)


def neg(a: Expr) -> Expr:
    if isinstance(a, Neg):
        return a.arg
    if _plain(a):
        return ZERO if a.value == 0 else Const(-a.value)
    if isinstance(a, Binary) and a.op == "-":  # -(u - v) = v - u
        return sub(a.right, a.left)
    if isinstance(a, Binary) and a.op in ("*", "/"):  # -(u v) = (-u) v
        return _BUILD[a.op](neg(a.left), a.right)
    return Neg(a)


def power(a: Expr, b: Expr) -> Expr:
    if _plain(b, 0):
        return ONE
    if _plain(b, 1):
        return a
    if _plain(a, 1):
        return ONE
    if _plain(a) and _plain(b) and (c := _fold(np.power, a, b)):
        return c
    return Binary("**", a, b)


def call(func: str, a: Expr) -> Expr:
    if isinstance(a, Const) and (c := _fold(_NUMPY_FUNCTIONS[func], a)):
        return c
    return Call(func, a)


_BUILD = {"+": add, "-": sub, "*": mul, "/": div, "**": power}

# ---------------------------------------------------------------------------------------------------
# derivatives


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
        if isinstance(n, Var):
            result = ONE if n.name == var else ZERO
        elif isinstance(n, Neg):
            result = neg(d(n.arg))
        elif isinstance(n, Call):
            result = mul(_outer_derivative(n), d(n.arg))
        elif n.op in "+-":
            result = _BUILD[n.op](d(n.left), d(n.right))
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


# ---------------------------------------------------------------------------------------------------
# evaluation


def _payload(node: Expr):
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Binary):
        return node.op
    if isinstance(node, Call):
        return node.func
    return None


class _Program:
    """Expressions flattened into steps in dependency order; equal subtrees become one step."""

    def __init__(self, roots: list[Expr]):
        self.steps: list[tuple[str, object, tuple[int, ...]]] = []
        slot_of_node: dict[int, int] = {}
        slot_of_step: dict[tuple, int] = {}
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
                elif kind == "Binary":
                    values.append(_BINARY[payload](values[args[0]], values[args[1]]))
                else:
                    values.append(_NUMPY_FUNCTIONS[payload](values[args[0]]))
        return [values[i] for i in self.outputs]


def _shaped(x, y, values) -> tuple:
    """Each value as a fresh float array of the common shape of x and y (a NumPy scalar for scalars)."""
    zeros = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)))
    return tuple((zeros + v)[()] for v in values)


def evaluate(e: Expr, x, y):
    """e at (x, y), vectorized; inf / nan where it overflows or leaves its domain."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return _shaped(x, y, _Program([e])(x, y))[0]


# ---------------------------------------------------------------------------------------------------
# reading text

_ALLOWED_CHARS = frozenset(string.ascii_letters + string.digits + " \t" + "+-*/().,_")
_ALLOWED_TEXT = "allowed: letters, digits, spaces and + - * / ** ( ) ."
_CHAR_HINTS = {
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "[": "indexing is not allowed",
    "]": "indexing is not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    "=": "type only the expression, e.g. x**2 + y**2 (no assignments or comparisons)",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "!": "comparisons are not allowed",
    ";": "type a single expression",
    ":": "slices, lambdas and ':=' are not allowed",
    "\n": "write the formula on one line",
    "\r": "write the formula on one line",
    "%": "'%' (remainder) is not supported",
    "#": "comments are not allowed",
    "@": "'@' is not allowed",
    "\\": "backslashes are not allowed",
}
_NODE_MESSAGES = {
    ast.Attribute: "attribute access ('.name') is not allowed",
    ast.Subscript: "indexing with [ ] is not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.IfExp: "'if ... else' is not allowed",
    ast.Tuple: "a comma separates two expressions here",
    ast.List: "lists are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FUNCTION_LIST = ", ".join(FUNCTIONS)


def _check_text(text: str) -> None:
    """Everything that can be checked before the parser runs."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"formula is too long ({len(text)} characters)", MAX_LENGTH, f"at most {MAX_LENGTH} are allowed"
        )
    if not text.strip(" \t"):
        raise FormulaError("formula is empty", None, "type an expression in x and y, e.g. x**2 - y**2")
    for i, ch in enumerate(text):
        if ch in _ALLOWED_CHARS:
            continue
        if ord(ch) > 127:
            # checked on the raw text: the parser would quietly turn a fullwidth 'ｘ' into 'x'
            name = unicodedata.name(ch, "unnamed character")
            raise FormulaError(
                f"non-ASCII character U+{ord(ch):04X} ({name})",
                i,
                "type the formula in plain ASCII, e.g. x**2 - y**2",
            )
        if ch == "^":
            raise FormulaError("'^' is not a power here", i, "write x**2 for x squared")
        raise FormulaError(f"character {ch!r} is not allowed", i, _CHAR_HINTS.get(ch, _ALLOWED_TEXT))
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
            if len(opened) > MAX_DEPTH:
                raise FormulaError(
                    f"parentheses nested more than {MAX_DEPTH} deep", i, "simplify the formula"
                )
        elif ch == ")":
            if not opened:
                raise FormulaError("unmatched ')'", i, "remove it or add a matching '('")
            opened.pop()
    if opened:
        raise FormulaError("'(' is never closed", opened[-1], "add a matching ')'")


def _syntax_error(err: SyntaxError, lead: int) -> FormulaError:
    position = err.offset - 1 + lead if err.offset and err.lineno == 1 else None
    msg = err.msg or "invalid syntax"
    if "decimal literal" in msg:
        return FormulaError("a number runs into a name", position, "write 2*x, not 2x")
    if "forgot a comma" in msg or msg == "invalid syntax":
        return FormulaError(
            "invalid syntax", position, "check for a missing operator, e.g. 2*x or x*y (not 'x y')"
        )
    return FormulaError(f"invalid syntax ({msg})", position)


class _Reader:
    """Turns the whitelisted part of a Python syntax tree into an Expr; everything else is an error."""

    def __init__(self, text: str, lead: int):
        self.text, self.lead = text, lead

    def column(self, node) -> int | None:
        return node.col_offset + self.lead if hasattr(node, "col_offset") else None

    def source(self, node) -> str:
        return self.text[self.column(node) : node.end_col_offset + self.lead]

    def operator_column(self, node: ast.BinOp) -> int:
        # the first character between the operands that is not a space or a parenthesis
        start = node.left.end_col_offset + self.lead
        for i in range(start, node.right.col_offset + self.lead):
            if self.text[i] not in " \t()":
                return i
        return start

    def read(self, node) -> Expr:
        e = self._read(node)
        if e.is_constant and not _plain(e):
            value = float(evaluate(e, 0.0, 0.0))
            if not math.isfinite(value):
                raise FormulaError(
                    f"{self.source(node)!r} is not a finite number",
                    self.column(node),
                    "check for division by zero, log of 0, or overflow",
                )
        return e

    def _read(self, node) -> Expr:
        col = self.column(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return neg(self.read(node.operand))
            if isinstance(node.op, ast.UAdd):
                return self.read(node.operand)
            raise FormulaError("'not' is not allowed", col)
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        message = _NODE_MESSAGES.get(type(node), f"{type(node).__name__} is not allowed")
        hint = "decimals use a point: 0.5, not 0,5" if isinstance(node, ast.Tuple) else ""
        raise FormulaError(message, col, hint)

    def _binary(self, node: ast.BinOp) -> Expr:
        op = _SYMBOLS.get(type(node.op))
        if op is None:
            raise FormulaError(
                "'//' is not supported"
                if isinstance(node.op, ast.FloorDiv)
                else "this operator is not supported",
                self.operator_column(node),
                "use + - * / and **",
            )
        left, right = self.read(node.left), self.read(node.right)
        where = self.operator_column(node)
        if op == "/" and right.is_constant and float(evaluate(right, 0.0, 0.0)) == 0:
            raise FormulaError("division by zero", where)
        if op == "**":
            if right.is_constant and not left.is_constant:
                p = float(evaluate(right, 0.0, 0.0))
                if not abs(p) <= MAX_EXPONENT:
                    raise FormulaError(
                        f"exponent {p:g} is too large",
                        where,
                        f"powers of x and y must lie between -{MAX_EXPONENT} and {MAX_EXPONENT}",
                    )
            elif not right.is_constant and left.is_constant:
                if not float(evaluate(left, 0.0, 0.0)) > 0:
                    raise FormulaError(
                        "a power with x or y in the exponent needs a positive base",
                        where,
                        "e.g. 2**x or e**(-x**2)",
                    )
            elif not right.is_constant:
                raise FormulaError(
                    "the exponent cannot depend on x or y when the base does",
                    where,
                    "write exp(g*log(f)) for f**g",
                )
        return _BUILD[op](left, right)

    def _number(self, node: ast.Constant) -> Expr:
        v, col = node.value, self.column(node)
        if type(v) is complex:
            raise FormulaError("complex numbers are not supported", col)
        if type(v) not in (int, float):  # bool is a subclass of int; exclude it (and None, ..., bytes)
            raise FormulaError(f"{self.source(node)!r} is not a number", col, "use numbers, x, y, pi and e")
        if not abs(v) <= MAX_NUMBER:  # also false for inf and nan
            raise FormulaError(
                f"number {self.source(node)} is too large", col, f"numbers may be at most {MAX_NUMBER:g}"
            )
        return Const(float(v))

    def _name(self, node: ast.Name) -> Expr:
        name, col = node.id, self.column(node)
        if name in VARIABLES:
            return Var(name)
        if name in CONSTANTS:
            return Const(CONSTANTS[name], name)
        if name in FUNCTIONS:
            raise FormulaError(f"function {name!r} needs an argument", col, f"e.g. {name}(x)")
        lowercase = name.lower() in VARIABLES or name.lower() in CONSTANTS
        raise FormulaError(
            f"unknown name {name!r}",
            col,
            "names are lowercase: x, y, pi, e" if lowercase else "allowed names: x, y, pi, e",
        )

    def _call(self, node: ast.Call) -> Expr:
        col = self.column(node)
        if not isinstance(node.func, ast.Name):
            raise FormulaError("only the listed functions can be called", col, f"allowed: {_FUNCTION_LIST}")
        name = node.func.id
        if name not in FUNCTIONS:
            if name in VARIABLES or name in CONSTANTS:
                raise FormulaError(f"{name!r} is not a function", col, f"write {name}*(...) for a product")
            raise FormulaError(f"unknown function {name!r}", col, f"allowed: {_FUNCTION_LIST}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise FormulaError(f"{name}() takes exactly one argument", col, f"e.g. {name}(x)")
        return call(name, self.read(node.args[0]))


def parse_expression(text: str) -> Expr:
    """The formula as an expression tree, or FormulaError. Nothing in the text is ever executed."""
    _check_text(text)
    body = text.strip(" \t")
    lead = len(text) - len(text.lstrip(" \t"))
    try:
        # a parser only: mode="eval" accepts one expression, and ast.parse builds a tree, not code
        tree = ast.parse(body, mode="eval")
    except SyntaxError as err:
        raise _syntax_error(err, lead) from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise FormulaError("formula is too complex to read", None, "simplify it") from None
    count, stack = 0, [(tree.body, 1)]
    while stack:  # size and depth first, without recursion, so reading it below cannot recurse too deep
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(f"formula has more than {MAX_NODES} parts", None, "simplify it")
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"formula is nested more than {MAX_DEPTH} deep", node.col_offset + lead, "simplify it"
            )
        stack.extend(
            (child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)
        )
    return _Reader(text, lead).read(tree.body)


# ---------------------------------------------------------------------------------------------------
# critical points of a custom surface


def find_critical_points(f, grad, hessian, bounds, grid: int = 48, max_seeds: int = 256):
    """Isolated minima and saddles of f inside bounds: (minima, saddles), each sorted by f.

    Seeds are the grid points where |∇f| is locally smallest; Newton's method on ∇f = 0 refines them.
    A point is classified by its Hessian's eigenvalues, or, where the Hessian is degenerate (x⁴, a monkey
    saddle), by whether f rises all around it or both rises and falls. Maxima, and critical points that
    are not isolated (the line x = 0 of f = x²), are left out.
    """
    (x0, x1), (y0, y1) = bounds
    span = max(x1 - x0, y1 - y0)
    X, Y = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    gx, gy = grad(X, Y)
    with np.errstate(all="ignore"):
        g2 = gx * gx + gy * gy
    g2 = np.where(np.isfinite(g2), g2, np.inf)
    padded = np.pad(g2, 1, constant_values=np.inf)
    seed = np.isfinite(g2)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                seed &= g2 <= padded[1 + di : 1 + di + grid, 1 + dj : 1 + dj + grid]
    order = np.argsort(g2[seed])[:max_seeds]
    px, py = X[seed][order], Y[seed][order]
    # |∇f| is "zero" relative to its typical size on the grid (the middle value; np.median would
    # import numpy.ma on first use)
    finite = np.sort(np.sqrt(g2[np.isfinite(g2)]))
    tolerance = 1e-8 * (1.0 + (float(finite[finite.size // 2]) if finite.size else 0.0))

    with np.errstate(all="ignore"):
        for _ in range(40):
            gx, gy = grad(px, py)
            hxx, hxy, hyy = hessian(px, py)
            det = hxx * hyy - hxy * hxy
            size = hxx * hxx + 2 * hxy * hxy + hyy * hyy
            regular = np.abs(det) > 1e-12 * size
            # Newton: [dx, dy] = −H⁻¹ ∇f; where H is singular, a gradient step scaled by |H| instead
            scale = np.where(size > 0, np.sqrt(size), 1.0)
            dx = np.where(regular, -(hyy * gx - hxy * gy) / np.where(regular, det, 1.0), -gx / scale)
            dy = np.where(regular, -(hxx * gy - hxy * gx) / np.where(regular, det, 1.0), -gy / scale)
            length = np.hypot(dx, dy)
            shrink = np.where(length > 0.1 * span, 0.1 * span / np.where(length > 0, length, 1.0), 1.0)
            px, py = px + shrink * dx, py + shrink * dy
            if not np.any(length > 1e-13 * span):
                break
        gx, gy = grad(px, py)
    margin = 1e-9 * span
    keep = (
        (np.hypot(gx, gy) <= tolerance)
        & (px >= x0 - margin)
        & (px <= x1 + margin)
        & (py >= y0 - margin)
        & (py <= y1 + margin)
    )
    points: list[tuple[float, float]] = []
    for p in zip(np.clip(px[keep], x0, x1).tolist(), np.clip(py[keep], y0, y1).tolist(), strict=True):
        if all(math.hypot(p[0] - q[0], p[1] - q[1]) > 1e-6 * span for q in points):
            points.append(p)

    minima, saddles = [], []
    angles = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    for x, y in points:
        hxx, hxy, hyy = (float(v) for v in hessian(x, y))
        if not all(math.isfinite(v) for v in (hxx, hxy, hyy)):
            continue
        mean, radius = (hxx + hyy) / 2, math.hypot((hxx - hyy) / 2, hxy)
        low, high = mean - radius, mean + radius
        tol = 1e-8 * (1.0 + max(abs(low), abs(high)))
        if low > tol:
            minima.append((x, y))
        elif low < -tol and high > tol:
            saddles.append((x, y))
        elif abs(low) <= tol or abs(high) <= tol:
            # degenerate: look at f itself on a small circle
            r = 1e-3 * span
            with np.errstate(all="ignore"):
                f0 = float(f(x, y))
                change = f(x + r * np.cos(angles), y + r * np.sin(angles)) - f0
            small = 1e-12 * (1.0 + abs(f0))
            if np.all(change > small):
                minima.append((x, y))
            elif np.any(change > small) and np.any(change < -small):
                saddles.append((x, y))

    def by_value(pts):
        return tuple(sorted(pts, key=lambda p: (round(float(f(*p)), 12), p))[:MAX_CRITICAL_POINTS])

    return by_value(minima), by_value(saddles)


# ---------------------------------------------------------------------------------------------------
# the surface


def _check_bounds(bounds) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = bounds
        x0, x1, y0, y1 = (float(v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}") from None
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be finite with min < max, got {bounds!r}")
    return (x0, x1), (y0, y1)


def parse_formula(text: str, *, bounds=DEFAULT_BOUNDS, start=None) -> Surface:
    """A Surface named "custom" for the user-typed f(x, y), with exact derivatives.

    bounds: ((x_min, x_max), (y_min, y_max)), default ((-3, 3), (-3, 3)). start: default one sixth in
    from the top-left corner, (-2, 2) for the default bounds. Raises FormulaError (a ValueError) for a
    formula that cannot be used and ValueError for bad bounds or start.

    >>> s = parse_formula("x**2 - y**2 + 0.1*sin(5*x)")
    >>> s.title["en"]
    'f(x, y) = x**2 - y**2 + 0.1*sin(5*x)'
    """
    expr = parse_expression(text)
    (x0, x1), (y0, y1) = _check_bounds(bounds)
    if start is None:
        start = (x0 + (x1 - x0) / 6, y1 - (y1 - y0) / 6)
    try:
        sx, sy = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y), got {start!r}") from None
    if not (x0 <= sx <= x1 and y0 <= sy <= y1):
        raise ValueError(f"start {start!r} lies outside the bounds {bounds!r}")

    fx, fy = derivative(expr, "x"), derivative(expr, "y")
    value, gradient = _Program([expr]), _Program([fx, fy])
    curvature = _Program([derivative(fx, "x"), derivative(fx, "y"), derivative(fy, "y")])

    def run(program, x, y):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return _shaped(x, y, program(x, y))

    def f(x, y):
        return run(value, x, y)[0]

    def grad(x, y):
        return run(gradient, x, y)

    def hessian(x, y):
        return run(curvature, x, y)

    minima, saddles = find_critical_points(f, grad, hessian, ((x0, x1), (y0, y1)))
    formula = to_text(expr)
    return Surface(
        name="custom",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((x0, x1), (y0, y1)),
        start=(sx, sy),
        title={"en": f"f(x, y) = {formula}", "zh": f"f(x, y) = {formula}"},
        description={
            "en": f"Your own surface f(x, y) = {formula}, with exact symbolic derivatives.",
            "zh": f"自定义曲面 f(x, y) = {formula},导数为精确的符号导数。",
        },
        minima=minima,
        saddles=saddles,
    )
