"""A typed formula undefined (NaN or infinite) everywhere in its window is refused, saying so."""

from __future__ import annotations

import numpy as np
import pytest

from optim_core.formula import FormulaError, parse_formula
from optim_core.formula.messages import MESSAGES


@pytest.mark.parametrize(
    "text",
    [
        "log(-1 - x**2 - y**2)",  # NaN everywhere
        "sqrt(-1 - x**2)",
        "log(x - 4)",  # defined only right of the window
        "exp(exp(x + 10))",  # infinite everywhere
        "1/(x**2 + y**2)**0 * log(-exp(x))",
    ],
)
def test_undefined_everywhere_in_the_window_is_refused(text):
    with pytest.raises(FormulaError) as raised:
        parse_formula(text)
    error = raised.value
    assert error.key == "undefined_window" and error.hint_key == "hint.undefined_window"
    assert error.values == {"x0": -3.0, "x1": 3.0, "y0": -3.0, "y1": 3.0}
    assert "undefined (NaN or infinite) everywhere in the window x from -3 to 3, y from -3 to 3" in str(error)
    assert set(MESSAGES) >= {error.key, error.hint_key}


@pytest.mark.parametrize(
    "text",
    [
        "sqrt(x)",  # half the window
        "log(x*y)",  # two quadrants
        "sqrt(0.01 - x**2 - y**2)",  # a small disc round the centre
        "log(x - 2.95)",  # a sliver at the right edge
        "x**2 - y**2",
    ],
)
def test_defined_somewhere_in_the_window_is_accepted(text):
    surface = parse_formula(text)
    (x0, x1), (y0, y1) = surface.bounds
    x, y = np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101))
    with np.errstate(all="ignore"):
        assert np.isfinite(surface.f(x, y)).any()


def test_the_window_is_the_bounds_given():
    with pytest.raises(FormulaError):
        parse_formula("log(x - 4)")
    surface = parse_formula("log(x - 4)", bounds=((3.0, 6.0), (-1.0, 1.0)), start=(5.0, 0.0))
    assert np.isfinite(surface.f(5.0, 0.0))
    with pytest.raises(FormulaError) as raised:
        parse_formula("log(4 - x)", bounds=((5.0, 6.0), (-1.0, 1.0)))
    assert raised.value.values == {"x0": 5.0, "x1": 6.0, "y0": -1.0, "y1": 1.0}
