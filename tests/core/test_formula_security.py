"""Hostile and malformed formulas: every one is refused with a FormulaError, quickly, and nothing runs.

While a formula is parsed, builtins.__import__, open, eval, exec and compile are replaced by recorders
that note who called them. ast.parse itself calls compile, so compile is allowed only with the flag that
makes it return a syntax tree (ast.PyCF_ONLY_AST). NumPy runs `import warnings` inside some functions;
an import is allowed only from outside the optim_core.formula package and only of a module that was
already loaded. Any other recorded call fails the test. The parser under attack is
optim_core/formula/parse.py.
"""

import ast
import builtins
import contextlib
import pathlib
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optim_core.formula as formula_module
from optim_core.formula import MAX_DEPTH, MAX_LENGTH, FormulaError, parse_formula
from optim_core.surfaces import Surface

TIME_LIMIT_S = 1.0
HYPOTHESIS = settings(max_examples=150, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
# every module of the optim_core.formula package (parse.py, the security boundary, among them)
FORMULA_FILES = frozenset(p.resolve() for p in pathlib.Path(formula_module.__file__).parent.glob("*.py"))


@contextlib.contextmanager
def recording_builtins():
    """Replace the code-running builtins with recorders that still work (so ast.parse can run)."""
    calls = []
    originals = {name: getattr(builtins, name) for name in ("__import__", "open", "eval", "exec", "compile")}
    loaded = set(sys.modules)

    def recorder(name):
        original = originals[name]

        def record(*args, **kwargs):
            caller = pathlib.Path(sys._getframe(1).f_code.co_filename).resolve()
            calls.append({"name": name, "args": args, "caller": caller, "loaded": loaded})
            return original(*args, **kwargs)

        return record

    for name in originals:
        setattr(builtins, name, recorder(name))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(builtins, name, original)


def assert_nothing_ran(calls):
    for call in calls:
        name, args, caller = call["name"], call["args"], call["caller"]
        assert caller not in FORMULA_FILES, f"{caller.name} called {name}{args!r}"
        if name == "compile":
            flags = args[3] if len(args) > 3 else 0
            assert flags & ast.PyCF_ONLY_AST, f"compile without PyCF_ONLY_AST: {args!r}"
        elif name == "__import__":
            assert args[0] in call["loaded"], f"{caller.name} imported a new module {args[0]!r}"
        else:
            raise AssertionError(f"{name} was called during parsing by {caller.name}: {args!r}")


def parse_guarded(text):
    """parse_formula(text) under the recorders; the result, or the FormulaError, and the time taken."""
    with recording_builtins() as calls:
        start = time.perf_counter()
        try:
            result = parse_formula(text)
        except FormulaError as err:
            result = err
        elapsed = time.perf_counter() - start
    assert_nothing_ran(calls)
    assert elapsed < TIME_LIMIT_S, f"{elapsed:.2f} s for {text[:80]!r}"
    return result


def assert_refused(text):
    result = parse_guarded(text)
    assert isinstance(result, FormulaError), f"accepted {text[:80]!r} as {getattr(result, 'title', result)}"
    assert result.message.strip() and str(result).strip()
    assert result.position is None or 0 <= result.position <= max(len(text), MAX_LENGTH)
    return result


HOSTILE = [
    # code execution and introspection
    "__import__('os')",
    "__import__('os').system('touch /tmp/pwned_formula')",
    "__import__(x).system(y)",
    "__import__",
    "().__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "x.__class__",
    "x.real",
    "sin.__globals__",
    "sin.__call__(x)",
    "(1).__add__(2)",
    "1 .real",
    "os.system(x)",
    "np.sin(x)",
    "math.sin(x)",
    "__builtins__",
    "__builtins__.eval",
    "open('f')",
    "open(x)",
    "exec('1')",
    "exec(x)",
    "eval('1')",
    "eval(x)",
    "compile(x, x, x)",
    "getattr(x, y)",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "input()",
    "print(x)",
    "breakpoint()",
    "exit()",
    "quit()",
    "help()",
    "type(x)",
    "object()",
    "sin(x)(y)",
    "x(y)",
    "pi(x)",
    "e(1)",
    # subscripts, lambdas, comprehensions, walrus, f-strings, containers
    "x[0]",
    "x[1:2]",
    "sin(x)[0]",
    "lambda: 1",
    "(lambda x: x)(1)",
    "lambda x: __import__(x)",
    "[x for x in y]",
    "{x for x in y}",
    "{x: 1 for x in y}",
    "(x for x in y)",
    "sin(x for x in y)",
    "(x := 1)",
    "(y := x) + y",
    "f'{x}'",
    "f\"{__import__('os')}\"",
    "b'x'",
    "'x'",
    '"x"',
    "r'x'",
    "'''x'''",
    "[x]",
    "{x}",
    "{}",
    "[]",
    "(x, y)",
    "x, y",
    "0,5*x",
    "*x",
    "sin(*x)",
    "sin(**x)",
    "sin(x=1)",
    # resource exhaustion
    "9**9**9",
    "x**99999",
    "x**9**9",
    "2**2**2**2**2**2",
    "10**400*x",
    "1e400*x",
    "1e999",
    "x**11",
    "x**-11",
    "(x**2)**(10**3)",
    "99999999999*x",
    "x" * 10_000,
    "x+" * 5_000 + "x",
    "(" * 5_000 + "x" + ")" * 5_000,
    "(" * 60 + "x" + ")" * 60,
    "-" * 199 + "x",
    "+-" * 99 + "x",
    "sin(" * 35 + "x" + ")" * 35,
    "x**" * 60 + "2",
    "x*" * 99 + "x",
    "2**(" * 40 + "x" + ")" * 40,
    "[" * 100,
    "(" * 199,
    ")" * 199,
    # unicode tricks
    "\uff58",  # fullwidth x
    "\uff58**2",
    "x + \uff59",
    "\uff53\uff49\uff4e(x)",  # fullwidth sin
    "s\u0456n(x)",  # Cyrillic i
    "\u0445",  # Cyrillic x
    "x\u200b+y",  # zero-width space
    "x\u200d",  # zero-width joiner
    "\u202ex+y",  # right-to-left override
    "\u200fx",  # right-to-left mark
    "x\u00a0+y",  # no-break space
    "x\u2212y",  # minus sign
    "x\u00b2",  # superscript two
    "\uff12*x",  # fullwidth 2
    "\u212f**x",  # script e
    "\u03c0*x",  # pi
    "x\ufeff",  # byte order mark
    "\u2028x",  # line separator
    "\U0001d465",  # mathematical italic x
    "x\u0301",  # combining acute accent
    "\u00e9",
    "\x00",
    "x\x00+y",
    "x\x1b[31m",
    # keywords and statements
    "import os",
    "from os import system",
    "def f(): pass",
    "class A: pass",
    "if x: y",
    "x if y else 1",
    "not x",
    "x and y",
    "x or y",
    "x is y",
    "x in y",
    "x not in y",
    "None",
    "True",
    "False",
    "True*x",
    "...",
    "yield x",
    "await x",
    "lambda",
    "return x",
    "pass",
    "del x",
    "global x",
    "assert x",
    "raise x",
    "with x: pass",
    "for x in y: pass",
    "while 1: pass",
    "async def f(): pass",
    "x = 1",
    "x += 1",
    "x; y",
    "import os\nx",
    "x\ny",
    "x\\\n+y",
    "x#comment",
    # empty and malformed
    "",
    " ",
    "   ",
    "\t",
    "\n",
    "\t \t",
    "x y",
    "2x",
    "x +",
    "+",
    "-",
    "x**",
    "**x",
    "(",
    ")",
    "()",
    "(x",
    "x)",
    ")(",
    "((x)",
    "x))",
    "sin(x",
    "sin x",
    "sin()",
    "sin(x, y)",
    "sin",
    "x..y",
    "1.2.3",
    "1e",
    "1_",
    "x @ y",
    "x % y",
    "x // y",
    "x << 1",
    "x >> 1",
    "x & y",
    "x | y",
    "~x",
    "x ^ y",
    "x^2",
    "x < y",
    "x == y",
    "x != y",
    "x!",
    "$x",
    "x?",
    "`x`",
    "x\\y",
    "1j",
    "1j*x",
    "x**y",
    "x**(x)",
    "(-1)**x",
    "0**x",
    "log(0)",
    "log(0)*x",
    "1/0",
    "x/0",
    "x/(1-1)",
    "x/(pi-pi)",
    "sqrt(-1) + x",
    "(-8)**(1/3)",
    "X",
    "Y",
    "PI",
    "Sin(x)",
    "SIN(x)",
    "exp",
    "xy",
    "x2",
    "__",
    "_",
    "self",
    "os",
    "foo(x)",
    "arcsin(x)",
    "x.y",
    "x if 1 else 2",
]


def test_there_are_enough_hand_written_cases():
    assert len(HOSTILE) >= 200
    assert len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:40]) for t in HOSTILE])
def test_hostile_input_is_refused(text):
    assert_refused(text)


def test_import_payload_leaves_no_file(tmp_path):
    target = pathlib.Path(tmp_path) / "pwned"
    for text in [
        f"__import__('os').system('touch {target}')",
        f"open('{target}', 'w')",
        f"exec(\"open('{target}', 'w')\")",
        f"[__import__('os').system('touch {target}') for x in (1,)]",
        f"(lambda: __import__('os').system('touch {target}'))()",
    ]:
        assert_refused(text)
    assert not target.exists()


@pytest.mark.parametrize(
    "text",
    [
        "__import__(x).system(y)",
        "sin.__globals__",
        "x.real",
        "globals()",
        "(x for x in y)",
        "not x",
        "x and y",
        "9**9**9",
        "True*x",
        "x if y else 1",
    ],
)
def test_refused_at_the_syntax_tree_the_parser_really_ran(text):
    # these pass the character checks, so ast.parse does run: compile is called, and only for a tree
    with recording_builtins() as calls, pytest.raises(FormulaError):
        parse_formula(text)
    assert "compile" in [call["name"] for call in calls]
    assert_nothing_ran(calls)


def test_recorders_do_notice_a_real_call():
    # the guard itself can fail: calls made while recording are seen
    with recording_builtins() as calls:
        builtins.eval("1 + 1")
    with pytest.raises(AssertionError, match="eval was called"):
        assert_nothing_ran(calls)
    with recording_builtins() as calls:
        builtins.compile("1 + 1", "<test>", "eval")
    with pytest.raises(AssertionError, match="PyCF_ONLY_AST"):
        assert_nothing_ran(calls)
    saved = sys.modules.pop("colorsys", None)  # a small module without side effects
    try:
        with recording_builtins() as calls:
            builtins.__import__("colorsys")
    finally:
        if saved is not None:
            sys.modules["colorsys"] = saved
    with pytest.raises(AssertionError, match="new module 'colorsys'"):
        assert_nothing_ran(calls)


def test_the_package_never_calls_code_running_builtins():
    assert {p.name for p in FORMULA_FILES} >= {"__init__.py", "parse.py", "evaluate.py"}
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "open", "globals", "locals", "vars"}
    for path in sorted(FORMULA_FILES):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden, (
                    f"{path.name} calls {node.func.id}() at line {node.lineno}"
                )
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"literal_eval", "system", "popen"}, (path.name, node.attr)


def test_unicode_is_refused_before_python_normalizes_it():
    # Python's parser would read the fullwidth name as plain 'x' (NFKC); the raw-text check refuses it
    assert ast.dump(ast.parse("\uff58", mode="eval").body) == ast.dump(ast.parse("x", mode="eval").body)
    err = assert_refused("x + \uff58")
    assert err.position == 4 and "U+FF58" in err.message


# --------------------------------------------------------------------------------------------------
# generated cases

VALID = ["x", "x**2 - y**2", "sin(x)*y", "0.5*(x + y)", "exp(-x**2)", "abs(x - y)", "2**x", "pi*y"]
SNIPPETS = [
    "__import__('os')",
    "x.__class__",
    "().__class__",
    "x[0]",
    "lambda: x",
    "[x for x in y]",
    "(x := 2)",
    "f'{x}'",
    "open('f')",
    "eval('x')",
    "exec('x')",
    "globals()",
    "os",
    "sys",
    "x if y else x",
    "not x",
    "x and y",
    "None",
    "True",
    "b'x'",
    "'s'",
    "{}",
    "x == y",
    "x ^ y",
    "foo(x)",
    "x // y",
    "sin(x, y)",
    "x**x",
    "x**99",
    "1e400",
    "9**9**9",
    "\uff58",
    "\u200b",
    "x\u2212y",
    "1j",
    "...",
    "import os",
    "x = 1",
    "x; y",
    "yield x",
    "await x",
    "*x",
    "sin.__doc__",
    "getattr(x, 'y')",
]


@HYPOTHESIS
@given(
    st.sampled_from(VALID), st.sampled_from(SNIPPETS), st.sampled_from(["+", "*", "-", "/", "call", "wrap"])
)
def test_hostile_snippet_inside_a_valid_formula_is_refused(valid, snippet, how):
    if how == "call":
        text = f"sin({valid} + {snippet})"
    elif how == "wrap":
        text = f"({snippet}) * ({valid})"
    else:
        text = f"{valid} {how} {snippet}"
    assert_refused(text)


NON_ASCII = st.characters(min_codepoint=128, max_codepoint=0x10FFFF, exclude_categories=("Cs",))


@HYPOTHESIS
@given(st.sampled_from(VALID), st.data())
def test_any_non_ascii_character_is_refused_where_it_is(valid, data):
    i = data.draw(st.integers(0, len(valid)))
    ch = data.draw(NON_ASCII)
    err = assert_refused(valid[:i] + ch + valid[i:])
    assert err.position == i and f"U+{ord(ch):04X}" in err.message


@HYPOTHESIS
@given(st.sampled_from(["(", "sin(", "abs(", "-(", "2**(", "x*("]), st.integers(MAX_DEPTH + 1, 5_000))
def test_deep_nesting_is_refused(opening, depth):
    assert_refused(opening * depth + "x" + ")" * depth)


@HYPOTHESIS
@given(st.integers(MAX_LENGTH + 1, 20_000), st.sampled_from(["x", "1", " ", "(", "x+", "sin(x)*"]))
def test_long_text_is_refused(length, unit):
    assert_refused((unit * length)[:length])


TOKENS = ["x", "y", "1", "2.5", "+", "-", "*", "/", "**", "(", ")", " ", "sin", "pi", ",", "."]


@HYPOTHESIS
@given(
    st.lists(st.sampled_from(TOKENS), max_size=40),
    st.sampled_from(
        [
            "import",
            "lambda",
            "__class__",
            "[",
            "]",
            "'",
            "=",
            ":",
            ";",
            "@",
            "%",
            "^",
            "{",
            "\\",
            "\n",
            "if",
            "for",
        ]
    ),
)
def test_token_soup_with_one_forbidden_token_is_refused(tokens, poison):
    middle = len(tokens) // 2
    text = "".join(tokens[:middle]) + " " + poison + " " + "".join(tokens[middle:])
    assert_refused(text)


@HYPOTHESIS
@given(st.text(max_size=300))
def test_arbitrary_text_is_either_a_surface_or_a_formula_error(text):
    result = parse_guarded(text)
    assert isinstance(result, (Surface, FormulaError))
    if isinstance(result, FormulaError):
        assert result.message.strip()


@HYPOTHESIS
@given(st.text(alphabet="xy0123456789.+-*/() e_pisnco", max_size=MAX_LENGTH))
def test_formula_like_text_is_either_a_surface_or_a_formula_error(text):
    result = parse_guarded(text)
    assert isinstance(result, (Surface, FormulaError))
