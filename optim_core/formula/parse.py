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
from .messages import AT_COLUMN, CHAR_HINTS, MESSAGES, NODE_MESSAGES
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

    Built with `of(key, ...)` it also carries `key`, `hint_key` and `values` (messages.py), so the app
    can say it in another language; `key` is None for an error built from English text.
    """

    def __init__(self, message: str, position: int | None = None, hint: str = ""):
        self.message = message
        self.position = position
        self.hint = hint
        self.key: str | None = None
        self.hint_key: str | None = None
        self.values: dict[str, object] = {}
        where = "" if position is None else AT_COLUMN.format(column=position + 1)
        super().__init__(f"{message}{where}" + (f"; {hint}" if hint else ""))

    @classmethod
    def of(cls, key: str, position: int | None = None, hint_key: str | None = None, **values) -> FormulaError:
        """The error MESSAGES[key] with the hint MESSAGES[hint_key], both filled in with `values`."""
        hint = MESSAGES[hint_key].format(**values) if hint_key else ""
        error = cls(MESSAGES[key].format(**values), position, hint)
        error.key, error.hint_key, error.values = key, hint_key, values
        return error


_ALLOWED_CHARS = frozenset(string.ascii_letters + string.digits + " \t" + "+-*/().,_")
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FUNCTION_LIST = ", ".join(FUNCTIONS)


def _check_text(text: str) -> None:
    """Everything that can be checked before the parser runs."""
    if not isinstance(text, str):
        raise FormulaError.of("not_text", kind=type(text).__name__)
    if len(text) > MAX_LENGTH:
        raise FormulaError.of("too_long", MAX_LENGTH, "hint.length", length=len(text), limit=MAX_LENGTH)
    if not text.strip(" \t"):
        raise FormulaError.of("empty", None, "hint.type_expression")
    for i, ch in enumerate(text):
        if ch in _ALLOWED_CHARS:
            continue
        if ord(ch) > 127:
            # checked on the raw text: the parser would quietly turn a fullwidth 'ｘ' into 'x'
            name = unicodedata.name(ch, "unnamed character")
            raise FormulaError.of("non_ascii", i, "hint.ascii", code=f"{ord(ch):04X}", name=name)
        if ch == "^":
            raise FormulaError.of("caret", i, "hint.power")
        raise FormulaError.of("character", i, CHAR_HINTS.get(ch, "hint.characters"), char=ch)
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
            if len(opened) > MAX_DEPTH:
                raise FormulaError.of("parentheses_deep", i, "hint.simplify_formula", depth=MAX_DEPTH)
        elif ch == ")":
            if not opened:
                raise FormulaError.of("unmatched", i, "hint.remove_paren")
            opened.pop()
    if opened:
        raise FormulaError.of("never_closed", opened[-1], "hint.close_paren")


def _syntax_error(err: SyntaxError, lead: int) -> FormulaError:
    position = err.offset - 1 + lead if err.offset and err.lineno == 1 else None
    msg = err.msg or "invalid syntax"
    if "decimal literal" in msg:
        return FormulaError.of("number_into_name", position, "hint.times")
    if "forgot a comma" in msg or msg == "invalid syntax":
        return FormulaError.of("syntax", position, "hint.operator")
    return FormulaError.of("syntax_detail", position, detail=msg)


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
                raise FormulaError.of("not_finite", self.column(node), "hint.finite", text=self.source(node))
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
            raise FormulaError.of("not_keyword", col)
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        hint = "hint.decimal" if isinstance(node, ast.Tuple) else None
        raise FormulaError.of(NODE_MESSAGES.get(type(node), "node"), col, hint, node=type(node).__name__)

    def _binary(self, node: ast.BinOp) -> Expr:
        op = _SYMBOLS.get(type(node.op))
        if op is None:
            key = "floor_division" if isinstance(node.op, ast.FloorDiv) else "operator"
            raise FormulaError.of(key, self.operator_column(node), "hint.operators")
        left, right = self.read(node.left), self.read(node.right)
        where = self.operator_column(node)
        if op == "/" and right.is_constant and float(evaluate(right, 0.0, 0.0)) == 0:
            raise FormulaError.of("division_by_zero", where)
        if op == "**":
            if right.is_constant and not left.is_constant:
                p = float(evaluate(right, 0.0, 0.0))
                if not abs(p) <= MAX_EXPONENT:
                    raise FormulaError.of(
                        "exponent_large", where, "hint.exponent", power=p, limit=MAX_EXPONENT
                    )
            elif not right.is_constant and left.is_constant:
                if not float(evaluate(left, 0.0, 0.0)) > 0:
                    raise FormulaError.of("positive_base", where, "hint.base")
            elif not right.is_constant:
                raise FormulaError.of("exponent_varies", where, "hint.exp_log")
        return BUILDERS[op](left, right)

    def _number(self, node: ast.Constant) -> Expr:
        v, col = node.value, self.column(node)
        if type(v) is complex:
            raise FormulaError.of("complex", col)
        # bool is a subclass of int: exclude it (and None, ..., str, bytes)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise FormulaError.of("not_number", col, "hint.numbers", text=self.source(node))
        if not abs(v) <= MAX_NUMBER:  # also false for inf and nan
            raise FormulaError.of(
                "number_large", col, "hint.number_limit", text=self.source(node), limit=MAX_NUMBER
            )
        return Const(float(v))

    def _name(self, node: ast.Name) -> Expr:
        name, col = node.id, self.column(node)
        if name in VARIABLES:
            return Var(name)
        if name in CONSTANTS:
            return Const(CONSTANTS[name], name)
        if name in FUNCTIONS:
            raise FormulaError.of("needs_argument", col, "hint.call", name=name)
        lowercase = name.lower() in VARIABLES or name.lower() in CONSTANTS
        raise FormulaError.of("unknown_name", col, "hint.lowercase" if lowercase else "hint.names", name=name)

    def _call(self, node: ast.Call) -> Expr:
        col = self.column(node)
        if not isinstance(node.func, ast.Name):
            raise FormulaError.of("listed_functions", col, "hint.functions", functions=_FUNCTION_LIST)
        name = node.func.id
        if name not in FUNCTIONS:
            if name in VARIABLES or name in CONSTANTS:
                raise FormulaError.of("not_function", col, "hint.product", name=name)
            raise FormulaError.of(
                "unknown_function", col, "hint.functions", name=name, functions=_FUNCTION_LIST
            )
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise FormulaError.of("one_argument", col, "hint.call", name=name)
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
        raise FormulaError.of("too_complex", None, "hint.simplify") from None
    count, stack = 0, [(tree.body, 1)]
    while stack:  # size and depth first, without recursion, so reading it below cannot recurse too deep
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError.of("too_many_parts", None, "hint.simplify", limit=MAX_NODES)
        if depth > MAX_DEPTH:
            raise FormulaError.of("nested_deep", node.col_offset + lead, "hint.simplify", depth=MAX_DEPTH)
        stack.extend(
            (child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)
        )
    return _Reader(text, lead).read(tree.body)
