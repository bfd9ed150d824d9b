"""Reading formula text: the whitelist parser, and the security boundary of the formula package.

The text is never run. `ast.parse(text, mode="eval")` is used only as a parser (it builds a syntax tree
and executes nothing). That tree is then walked against a strict whitelist into an expression tree
(expr.py):

    numbers, x, y, pi, e,  + - * / **,  unary -/+,  and one-argument calls of FUNCTIONS.

Anything else (names, attributes, subscripts, strings, lambdas, comprehensions, keywords, ...) is a
FormulaError that says what was wrong, where, and what is allowed. The raw text is checked before the
parser sees it: length, plain ASCII only (Python's parser NFKC-normalizes identifiers, so a fullwidth
'ｘ' would otherwise become 'x'), allowed characters, and parenthesis nesting (deep nesting can exhaust
the parser's recursion). Size and depth of the syntax tree are checked before it is read, without
recursion. tests/core/test_formula_security.py attacks this module.
"""

from __future__ import annotations

import ast
import math
import string
import unicodedata
from typing import cast

from .evaluate import evaluate
from .expr import BUILDERS, Const, Expr, Var, call, is_literal, neg
from .vocabulary import CONSTANTS, FUNCTIONS, MAX_NUMBER, VARIABLES

MAX_LENGTH = 200  # characters of formula text
MAX_NODES = 100  # syntax nodes in the formula
MAX_DEPTH = 30  # nesting of the formula, and of its parentheses
MAX_EXPONENT = 10  # |p| in u**p when u depends on x or y
# MAX_NUMBER (vocabulary.py): the largest number literal


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
        # the first character between the operands that is not a space or a parenthesis;
        # ast.parse sets end_col_offset on every node it builds (typeshed allows None for hand-made ones)
        start = cast(int, node.left.end_col_offset) + self.lead
        for i in range(start, node.right.col_offset + self.lead):
            if self.text[i] not in " \t()":
                return i
        return start

    def read(self, node) -> Expr:
        e = self._read(node)
        if e.is_constant and not is_literal(e):
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
        return BUILDERS[op](left, right)

    def _number(self, node: ast.Constant) -> Expr:
        v, col = node.value, self.column(node)
        if type(v) is complex:
            raise FormulaError("complex numbers are not supported", col)
        # bool is a subclass of int: exclude it (and None, ..., str, bytes)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
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
