"""optim_core.formula: values and exact derivatives against torch autograd, simplification, critical points.

The torch oracle reads the same formula text with its own small walk over Python's syntax tree, so it
shares nothing with the module's expression tree, differentiation or evaluation.
"""

import ast
import math
import time
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import optim_core
from optim_core.formula import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NUMBER,
    Binary,
    Const,
    FormulaError,
    derivative,
    evaluate,
    parse_expression,
    parse_formula,
    to_text,
)
from optim_core.surfaces import Surface, get_surface
from tests.parity.torch_reference import grad_or_zero

TORCH_FUNCTIONS = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "tanh": torch.tanh,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "abs": torch.abs,
    # torch.sign(NaN) is 0; NumPy's (and ours) is NaN: keep NaN so "f is undefined here" propagates alike
    "sign": lambda u: torch.where(torch.isnan(u), u, torch.sign(u)),
    "arctan": torch.atan,
    "atan": torch.atan,
    "sigmoid": torch.sigmoid,
}
TORCH_OPS = {
    ast.Add: torch.add,
    ast.Sub: torch.sub,
    ast.Mult: torch.mul,
    ast.Div: torch.div,
    ast.Pow: torch.pow,
}


def torch_value(text, x, y):
    """The formula evaluated by torch, walking Python's own syntax tree of the (trusted, test-made) text."""

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp):
            return TORCH_OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        if isinstance(node, ast.Constant):
            return torch.tensor(float(node.value), dtype=torch.float64)
        if isinstance(node, ast.Name):
            return {
                "x": x,
                "y": y,
                "pi": torch.tensor(math.pi, dtype=torch.float64),
                "e": torch.tensor(math.e, dtype=torch.float64),
            }[node.id]
        if isinstance(node, ast.Call):
            return TORCH_FUNCTIONS[node.func.id](walk(node.args[0]))
        raise AssertionError(ast.dump(node))

    return walk(ast.parse(text, mode="eval")) + 0 * x + 0 * y


def torch_derivatives(text, xs, ys):
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    f = torch_value(text, x, y)
    gx, gy = grad_or_zero(f, (x, y), create_graph=True)
    hxx, hxy = grad_or_zero(gx, (x, y))
    _, hyy = grad_or_zero(gy, (x, y))
    # force: torch's double backward of abs() returns a lazily-zero tensor
    return [t.detach().numpy(force=True) for t in (f, gx, gy, hxx, hxy, hyy)]


def assert_matches_torch(text, n=300, seed=0, low=-2.5, high=2.5):
    surface = parse_formula(text)
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(low, high, n), rng.uniform(low, high, n)
    expected = torch_derivatives(text, xs, ys)
    got = [surface.f(xs, ys), *surface.grad(xs, ys), *surface.hessian(xs, ys)]
    compared = 0
    # where f itself is undefined (log of a negative) derivatives mean nothing: torch's autograd reports
    # 0 through abs/sign of NaN there, we report NaN; only points where f is defined are compared
    defined = np.isfinite(expected[0])
    for label, g, e in zip(["f", "fx", "fy", "fxx", "fxy", "fyy"], got, expected, strict=True):
        assert g.shape == xs.shape
        # where torch gets a moderate finite number we must get the same number
        ok = defined & np.isfinite(e) & (np.abs(e) < 1e8)
        # rounding differs where terms cancel: allow 1e-9 of the typical size as well
        typical = 1.0 + float(np.median(np.abs(e[ok]))) if ok.any() else 1.0
        np.testing.assert_allclose(g[ok], e[ok], rtol=1e-9, atol=1e-9 * typical, err_msg=f"{text}: {label}")
        compared += int(ok.sum())
    return compared


def has_hidden_constant(text):
    """Whether some part that mentions x or y is constant anyway (x/x, y - y, x**2*x**-2).

    Its exact derivative is 0, and float64 leaves rounding residue there (1/x - x/x**2 ~ 1e-17) that the
    rest of the formula may multiply by 1e20: two correct programs then disagree by noise.
    """
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.uniform(-2.5, 2.5, 16), dtype=torch.float64)
    y = torch.tensor(rng.uniform(-2.5, 2.5, 16), dtype=torch.float64)
    for node in ast.walk(ast.parse(text, mode="eval").body):
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if not names & {"x", "y"}:
            continue
        v = torch_value(ast.unparse(node), x, y)
        v = v[torch.isfinite(v)]
        if len(v) > 1 and float(v.max() - v.min()) <= 1e-12 * (1 + float(v.abs().max())):
            return True
    return False


HAND_FORMULAS = [
    "x**2 - y**2 + 0.1*sin(5*x)",
    "x**2 + y**2",
    "x*y",
    "-x*y + 3",
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "x**3 - 3*x*y**2",
    "sin(x)*cos(y)",
    "tan(0.3*x) + exp(-x**2 - y**2)",
    "log(1 + x**2 + y**2)",
    "sqrt(1 + x**2) + sqrt(1 + y**2)",
    "tanh(2*x) * sinh(y/3) + cosh(x*y/4)",
    "abs(x) + abs(y - 1)",
    "arctan(x*y) + atan(x - y)",
    "sigmoid(3*x) - sigmoid(-y)",
    "sign(x)*y**2",
    "2**x + e**(-y**2) + pi*x",
    "x**-2 + y**-1",
    "x**0.5 + y**1.5",
    "(x - y)**10 / 1e6",
    "x/y",
    "1/(1 + x**2 + y**2)",
    "-(x + y)**3",
    "- - x + + y",
    "exp(sin(x*y)) / (2 + cos(x + y))",
    "x**pi",
    "(2*x)**(-3)",
    "1.5e-3 * x**4 - 1e2*y",
    "7",
    "x",
]


@pytest.mark.parametrize("text", HAND_FORMULAS)
def test_hand_written_formulas_match_torch(text):
    assert assert_matches_torch(text) > 0


def formulas(max_leaves=8):
    """Random formulas in the accepted grammar (they may still be rejected for a constant 1/0)."""
    leaves = st.sampled_from(["x", "y", "x", "y", "2", "0.5", "3", "1.5", "pi", "e"])

    def grow(children):
        return st.one_of(
            st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5", "-2", "1.5"])).map(
                lambda t: f"({t[0]})**{t[1]}"
            ),
            st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})"),
            children.map(lambda c: f"-({c})"),
            children.map(lambda c: f"2**({c})"),
        )

    return st.recursive(leaves, grow, max_leaves=max_leaves).filter(lambda s: len(s) <= MAX_LENGTH)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(), st.integers(0, 2**16))
def test_random_formulas_match_torch(text, seed):
    try:
        parse_expression(text)
    except FormulaError:
        assume(False)  # e.g. a constant subexpression that is 1/0
    assume(not has_hidden_constant(text))
    assert_matches_torch(text, n=40, seed=seed)


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("x/x + y", True),
        ("sin(y - y)*x", True),
        ("x**2*x**-2", True),
        ("x*y + 2", False),
        ("exp(x)/exp(x)", True),
    ],
)
def test_hidden_constant_filter(text, hidden):
    assert has_hidden_constant(text) is hidden


@settings(max_examples=60, deadline=None)
@given(formulas(max_leaves=6))
def test_normalized_text_parses_back_to_the_same_function(text):
    try:
        expr = parse_expression(text)
    except FormulaError:
        assume(False)
    again = parse_expression(to_text(expr))
    assert to_text(again) == to_text(expr)
    xs, ys = np.linspace(-2, 2, 9), np.linspace(2, -1.5, 9)
    np.testing.assert_allclose(evaluate(again, xs, ys), evaluate(expr, xs, ys), rtol=1e-12, equal_nan=True)


# --------------------------------------------------------------------------------------------------
# simplification


@pytest.mark.parametrize(
    "text, var, expected",
    [
        ("x**2", "x", "2*x"),
        ("x**3", "x", "3*x**2"),
        ("3*x + y", "x", "3"),
        ("3*x + y", "y", "1"),
        ("x*y", "x", "y"),
        ("x*y", "y", "x"),
        ("x**2 - y**2", "y", "-2*y"),
        ("sin(x)", "x", "cos(x)"),
        ("cos(2*x)", "x", "-2*sin(2*x)"),
        ("exp(x)", "x", "exp(x)"),
        ("exp(y)", "x", "0"),
        ("log(x)", "x", "1/x"),
        ("x + 0*y", "y", "0"),
        ("e**x", "x", "e**x"),
        ("x**-1", "x", "-x**(-2)"),
        ("5", "x", "0"),
        ("pi*x", "x", "pi"),
    ],
)
def test_first_derivatives_are_simplified(text, var, expected):
    assert to_text(derivative(parse_expression(text), var)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x**2", "2"),
        ("x**3", "6*x"),
        ("sin(x)", "-sin(x)"),
        ("x*y", "0"),
        ("3*x + 2", "0"),
        ("exp(x)", "exp(x)"),
    ],
)
def test_second_derivatives_are_simplified(text, expected):
    e = parse_expression(text)
    assert to_text(derivative(derivative(e, "x"), "x")) == expected


@pytest.mark.parametrize(
    "text, normalized",
    [
        ("x**2 - y**2 + 0.1*sin(5*x)", "x**2 - y**2 + 0.1*sin(5*x)"),
        ("  x^2".replace("^", "**"), "x**2"),
        ("2*3*x", "6*x"),
        ("x*2", "2*x"),
        ("x + 0", "x"),
        ("1*x", "x"),
        ("x - -2", "x + 2"),
        ("x + -2", "x - 2"),
        ("--x", "x"),
        ("-(x - y)", "y - x"),
        ("+x", "x"),
        ("(x)", "x"),
        ("x**1", "x"),
        ("x**0", "1"),
        ("2**3", "8"),
        ("(x + y)*(x - y)", "(x + y)*(x - y)"),
        ("x - (y - 1)", "x - (y - 1)"),
        ("(-x)**2", "(-x)**2"),
        ("-x**2", "-x**2"),
        ("2*pi", "2*pi"),
        ("(-(x) * -(2))", "2*x"),
        ("-(2*x)", "-2*x"),
        ("-(-2*x)", "2*x"),
        ("-(x*-2)", "2*x"),
        ("-(x*y)", "-x*y"),
        ("x**(1/2)", "x**0.5"),
        ("1e-3*x", "0.001*x"),
        ("1_000*x", "1000*x"),
    ],
)
def test_normalized_text(text, normalized):
    assert to_text(parse_expression(text)) == normalized


def test_trees_stay_small():
    def size(e, seen=None):
        seen = set() if seen is None else seen
        if id(e) in seen:
            return 0
        seen.add(id(e))
        return 1 + sum(size(c, seen) for c in e.children())

    e = parse_expression("sin(sin(sin(sin(sin(sin(sin(sin(x))))))))")
    assert size(derivative(derivative(e, "x"), "x")) < 120
    e = parse_expression("x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x*x")
    assert size(derivative(derivative(e, "x"), "x")) < 200


# --------------------------------------------------------------------------------------------------
# the surface


def test_parse_formula_builds_a_custom_surface():
    s = parse_formula("x**2 - y**2 + 0.1*sin(5*x)")
    assert isinstance(s, Surface) and s.name == "custom"
    assert s.bounds == ((-3.0, 3.0), (-3.0, 3.0)) and s.start == (-2.0, 2.0)
    assert s.title == {
        "en": "f(x, y) = x**2 - y**2 + 0.1*sin(5*x)",
        "zh": "f(x, y) = x**2 - y**2 + 0.1*sin(5*x)",
    }
    assert set(s.description) == {"en", "zh"} and "x**2 - y**2 + 0.1*sin(5*x)" in s.description["zh"]
    assert optim_core.parse_formula is parse_formula and optim_core.FormulaError is FormulaError


def test_saddle_at_the_origin_of_x2_minus_y2():
    s = parse_formula("x**2 - y**2")
    assert s.minima == () and s.saddles == ((0.0, 0.0),)


@pytest.mark.parametrize(
    "text, minima, saddles",
    [
        ("x**2 + y**2", [(0, 0)], []),
        ("(x - 1)**2 + 2*(y + 0.5)**2", [(1, -0.5)], []),
        ("x**3 - 3*x*y**2", [], [(0, 0)]),  # degenerate: classified by f around it
        ("x**4 + y**4", [(0, 0)], []),  # degenerate minimum
        ("sin(x)", [], []),  # lines of critical points are not isolated
        ("x**2", [], []),
        ("7", [], []),
        ("(x**2 - 1)**2 + y**2", [(-1, 0), (1, 0)], [(0, 0)]),
    ],
)
def test_critical_points(text, minima, saddles):
    s = parse_formula(text)
    assert len(s.minima) == len(minima) and len(s.saddles) == len(saddles), (s.minima, s.saddles)
    for got, want in ((s.minima, minima), (s.saddles, saddles)):
        for p in want:
            assert any(math.hypot(p[0] - q[0], p[1] - q[1]) < 1e-6 for q in got), (p, got)


def test_typed_himmelblau_has_the_built_in_critical_points():
    built_in = get_surface("himmelblau")
    typed = parse_formula("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", bounds=built_in.bounds)
    for got, want in ((typed.minima, built_in.minima), (typed.saddles, built_in.saddles)):
        assert len(got) == len(want) == 4
        for p in want:
            assert any(math.hypot(p[0] - q[0], p[1] - q[1]) < 1e-9 for q in got)
    values = [float(typed.f(*p)) for p in typed.minima]
    assert max(values) < 1e-20


def test_bounds_and_start():
    s = parse_formula("x*y", bounds=((0, 6), (-1, 1)))
    assert s.bounds == ((0.0, 6.0), (-1.0, 1.0)) and s.start == pytest.approx((1.0, 2 / 3), abs=1e-15)
    assert parse_formula("x*y", start=(0.5, -1)).start == (0.5, -1.0)
    for bad in [((1, 0), (0, 1)), ((0, 1),), ((0, math.inf), (0, 1)), "wide", ((0, 1), (2, 2))]:
        with pytest.raises(ValueError, match="bounds"):
            parse_formula("x", bounds=bad)
    with pytest.raises(ValueError, match="outside"):
        parse_formula("x", start=(5, 0))
    with pytest.raises(ValueError, match="start"):
        parse_formula("x", start="here")


def test_vectorized_shapes_and_scalars():
    s = parse_formula("x + 0*y")  # ignores y: results must still have the grid's shape
    X, Y = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    for v in [s.f(X, Y), *s.grad(X, Y), *s.hessian(X, Y)]:
        assert v.shape == (3, 4) and v.dtype == np.float64
    for v in [s.f(0.5, 1.0), *s.grad(0.5, 1.0), *s.hessian(0.5, 1.0)]:
        assert np.ndim(v) == 0
    assert s.grad(np.zeros((2, 1)), np.zeros((1, 5)))[0].shape == (2, 5)
    const = parse_formula("3")
    assert const.f(X, Y).shape == (3, 4) and np.all(const.f(X, Y) == 3)


def test_overflow_and_domain_errors_give_inf_or_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = parse_formula("exp(exp(x)) + log(y) + 1/x + sqrt(y) + cosh(100*x)")
        xs, ys = np.array([1000.0, 0.0, 1.0]), np.array([1.0, 1.0, -1.0])
        f = s.f(xs, ys)
        assert f[0] == np.inf and np.isinf(f[1]) and np.isnan(f[2])
        s.grad(xs, ys), s.hessian(xs, ys)
        assert np.isnan(parse_formula("sigmoid(x)").f(np.nan, 0.0))
        assert parse_formula("sigmoid(x)").f(-1000.0, 0.0) == 0.0
        assert parse_formula("sigmoid(x)").f(1000.0, 0.0) == 1.0


def test_parse_is_fast():
    texts = [
        "x**2 - y**2 + 0.1*sin(5*x)",
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        "sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)",
        "sigmoid(x)*tanh(y)/(1 + x**2) + abs(x - y)**1.5",
        "1",
    ]
    for text in texts:
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            parse_formula(text)
            best = min(best, time.perf_counter() - t0)
        assert best < 0.2, (text, best)


# --------------------------------------------------------------------------------------------------
# limits and messages


def test_limits_are_inclusive():
    parse_formula("x" + " " * (MAX_LENGTH - 1))
    parse_formula(f"x**{MAX_EXPONENT} + y**-{MAX_EXPONENT}")
    parse_formula(f"{MAX_NUMBER:.0f}*x")
    parse_formula("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    with pytest.raises(FormulaError, match="too long"):
        parse_formula("x" + " " * MAX_LENGTH)
    with pytest.raises(FormulaError, match="exponent 11 is too large"):
        parse_formula(f"x**{MAX_EXPONENT + 1}")
    with pytest.raises(FormulaError, match="exponent -11 is too large"):
        parse_formula(f"y**(-{MAX_EXPONENT + 1})")
    with pytest.raises(FormulaError, match="too large"):
        parse_formula(f"{MAX_NUMBER:.0f}1*x")
    with pytest.raises(FormulaError, match="nested"):
        parse_formula("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "text, position, fragments",
    [
        ("x + foo(x)", 4, ["unknown function 'foo' at column 5", "allowed: sin, cos, tan"]),
        ("x^2", 1, ["'^' is not a power", "x**2"]),
        ("2x", None, ["2*x"]),
        ("x y", 2, ["invalid syntax", "missing operator"]),
        ("(x + y", 0, ["never closed"]),
        ("x + y)", 5, ["unmatched ')'"]),
        ("ｘ", 0, ["non-ASCII", "U+FF58", "FULLWIDTH LATIN SMALL LETTER X"]),
        ("X + y", 0, ["unknown name 'X'", "lowercase"]),
        ("x(y + 1)", 0, ["'x' is not a function", "x*(...)"]),
        ("sin", 0, ["needs an argument", "sin(x)"]),
        ("sin(x, y)", 0, ["exactly one argument"]),
        ("x / 0", 2, ["division by zero"]),
        ("log(0) + x", 0, ["'log(0)' is not a finite number"]),
        ("x**y", 1, ["exponent cannot depend"]),
        ("(-2)**x", 4, ["positive base"]),
        ("0,5*x", 0, ["comma", "0.5"]),
        ("", None, ["empty"]),
        ("x // 2", 2, ["'//'"]),
        ("1j*x", 0, ["complex"]),
        ("True*x", 0, ["not a number"]),
    ],
)
def test_error_messages_say_what_and_where(text, position, fragments):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    err = info.value
    assert isinstance(err, ValueError) and err.message
    if position is not None:
        assert err.position == position
    for fragment in fragments:
        assert fragment in str(err), str(err)


def test_formula_error_text_and_attributes():
    err = FormulaError("unknown function 'foo'", 4, "allowed: sin")
    assert str(err) == "unknown function 'foo' at column 5; allowed: sin"
    assert (err.message, err.position, err.hint) == ("unknown function 'foo'", 4, "allowed: sin")
    assert str(FormulaError("formula is empty")) == "formula is empty"


def test_expression_nodes_are_immutable():
    e = parse_expression("2*x")
    assert isinstance(e, Binary) and isinstance(e.left, Const)
    with pytest.raises(AttributeError):
        e.op = "+"
    with pytest.raises(ValueError, match="x or y"):
        derivative(e, "z")
