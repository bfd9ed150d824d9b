"""Param (optim_core/params.py): range text, checks and their messages, the caller's error type."""

import math

import numpy as np
import pytest

from optim_core.params import KINDS, Param


class CustomError(ValueError):
    pass


@pytest.mark.parametrize(
    ("param", "text"),
    [
        (Param("eps", 1e-8, "float", 1e-12, 1.0, log_scale=True), "in [1e-12, 1]"),
        (Param("beta", 0.9, "float", 0.0, 1.0, high_open=True), "in [0, 1)"),
        (Param("d", 0.5, "float", 0.0, math.inf, low_open=True), "in (0, inf)"),
        (Param("lr", 0.1, "float", 0.0, math.inf), "in [0, inf)"),  # an infinite end is never included
        (Param("x", 0.0, "float", -math.inf, math.inf), "in (-inf, inf)"),
        (Param("curvature", 1.0, low=0.0, low_open=True), "> 0"),
        (Param("steps", 10, "int", low=1), ">= 1"),
        (Param("top", 1.0, high=5.0), "<= 5"),
        (Param("top", 1.0, high=5.0, high_open=True), "< 5"),
        (Param("angle", 0.0), ""),
        (Param("flag", False, "bool"), "True or False"),
        (Param("mode", "min", "choice", choices=("min", "max")), "one of 'min', 'max'"),
    ],
)
def test_range_text(param, text):
    assert param.range_text() == text


def test_an_unknown_kind_is_refused():
    with pytest.raises(AssertionError, match="kind"):
        Param("x", 0, "string")
    assert set(KINDS) == {"float", "int", "bool", "choice", "betas", "int_list"}


def test_contains_respects_open_ends_and_missing_bounds():
    beta = Param("beta", 0.9, "float", 0.0, 1.0, high_open=True)
    assert beta.contains(0.0) and beta.contains(0.999) and not beta.contains(1.0) and not beta.contains(-0.1)
    positive = Param("k", 1.0, low=0.0, low_open=True)
    assert positive.contains(1e300) and not positive.contains(0.0)
    assert Param("angle", 0.0).contains(-1e9)


def test_check_returns_the_clean_type():
    assert Param("x", 0.0, "float", 0.0, 1.0).check(np.float32(0.5)) == 0.5
    assert type(Param("x", 0.0, "float", 0.0, 1.0).check(1)) is float
    steps = Param("steps", 1, "int", low=1).check(10.0)
    assert steps == 10 and type(steps) is int
    assert Param("n", 1, "int", low=0).check(np.int64(3)) == 3
    assert Param("n", 1, "int", low=0).check(10**30) == 10**30  # exact, not through a float
    assert Param("flag", False, "bool").check(np.bool_(True)) is True
    assert Param("mode", "min", "choice", choices=("min", "max")).check("max") == "max"
    assert Param("betas", (0.9, 0.999), "betas", 0.0, 1.0, high_open=True).check([0.5, np.float64(0.9)]) == (
        0.5,
        0.9,
    )
    milestones = Param("milestones", (), "int_list", low=0).check([3, 10.0, np.int64(20)])
    assert milestones == (3, 10, 20) and all(type(m) is int for m in milestones)


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (Param("lr", 0.1, "float", 1e-6, 10.0), 0.0, "lr must be in [1e-06, 10], got 0.0"),
        (
            Param("lr", 0.1, "float", 1e-6, 10.0),
            "0.1",
            "lr must be a finite number in [1e-06, 10], got '0.1'",
        ),
        (Param("lr", 0.1, "float", 1e-6, 10.0), True, "lr must be a finite number in [1e-06, 10], got True"),
        (
            Param("lr", 0.1, "float", 1e-6, 10.0),
            math.nan,
            "lr must be a finite number in [1e-06, 10], got nan",
        ),
        (Param("angle", 0.0), math.inf, "angle must be a finite number, got inf"),
        (Param("steps", 1, "int", low=1), 0, "steps must be >= 1, got 0"),
        (Param("steps", 1, "int", low=1), 2.5, "steps must be an integer >= 1, got 2.5"),
        (Param("steps", 1, "int", low=1), "3", "steps must be an integer >= 1, got '3'"),
        (Param("flag", False, "bool"), 1, "flag must be True or False, got 1"),
        (
            Param("mode", "min", "choice", choices=("min", "max")),
            "avg",
            "mode must be one of 'min', 'max', got 'avg'",
        ),
        (
            Param("betas", (0.9, 0.999), "betas", 0.0, 1.0, high_open=True),
            0.9,
            "betas must be a pair, each in",
        ),
        (
            Param("betas", (0.9, 0.999), "betas", 0.0, 1.0, high_open=True),
            (0.9, 1.0),
            "betas[1] must be in [0, 1)",
        ),
        (Param("m", (), "int_list", low=0), "30,80", "m must be a list of integers, got '30,80'"),
        (Param("m", (), "int_list", low=0), [5, -1], "m[1] must be >= 0, got -1"),
        (Param("m", (), "int_list", low=0), [5, 5], "m must be strictly increasing, got [5, 5]"),
    ],
)
def test_check_names_what_is_valid(param, value, message):
    with pytest.raises(ValueError) as caught:
        param.check(value)
    assert str(caught.value).startswith(message)


def test_check_raises_the_callers_error_and_names_the_value_its_way():
    param = Param("b", 100.0, low=0.0, low_open=True)
    with pytest.raises(CustomError, match=r"^parameter 'b' must be > 0, got 0\.0$"):
        param.check(0, where="parameter 'b'", error=CustomError)
