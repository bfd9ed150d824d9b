"""The declarative settings table: parsing URL values, the log grid and encoding."""

import math

import pytest

from app.shared.settings import InvalidValue, Setting, log_grid


def test_log_grid_is_sorted_round_and_bounded():
    grid = log_grid(1e-4, 10.0)
    assert grid[0] == pytest.approx(1e-4) and grid[-1] == pytest.approx(10.0)
    assert list(grid) == sorted(grid)
    for common in (3e-4, 1e-3, 0.01, 0.05, 0.1, 1.0):
        assert any(math.isclose(common, g) for g in grid)


@pytest.mark.parametrize("raw", ["abc", "nan", "inf", "-1", "1e9", ""])
def test_float_rejects_bad_values(raw):
    setting = Setting("x", "float", 0.5, "pg.steps", low=0.0, high=1.0)
    with pytest.raises(InvalidValue):
        setting.parse(raw)


def test_int_choice_bool_text():
    assert Setting("n", "int", 3, "pg.steps", low=1, high=6).parse("4") == 4
    with pytest.raises(InvalidValue):
        Setting("n", "int", 3, "pg.steps", low=1, high=6).parse("4.5")
    choice = Setting("c", "choice", "a", "pg.steps", choices=("a", "b"))
    assert choice.parse("b") == "b"
    with pytest.raises(InvalidValue):
        choice.parse("__import__('os')")
    assert Setting("b", "bool", False, "pg.steps").parse("true") is True
    with pytest.raises(InvalidValue):
        Setting("b", "bool", False, "pg.steps").parse("yes please")
    with pytest.raises(InvalidValue):
        Setting("s", "text", "", "pg.steps", max_len=5).parse("x" * 6)


def test_log_values_snap_to_the_grid_and_round_trip():
    lr = Setting("lr", "log", 0.01, "pg.steps", low=1e-4, high=10.0)
    assert lr.parse("0.0501") == pytest.approx(0.05)
    for value in lr.grid:
        assert lr.parse(lr.encode(value)) == value
