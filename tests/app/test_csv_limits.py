"""The EMA page's CSV upload at the csv module's limits: an over-long cell and infinite values.

A first line with a cell over 131,072 characters (csv.field_size_limit()) raised `_csv.Error` to the user;
a column of `inf` was drawn as nothing, without a word.
"""

from __future__ import annotations

import numpy as np
import pytest

from optim_core.series import SeriesError, load_csv_series
from tests.app.test_page_ema import chart_spec, ema_page, trace, upload, values

LONG_CELL = 131_072 + 1


@pytest.mark.parametrize(
    "data",
    [
        b"x" * LONG_CELL + b"\n1\n2\n",  # a header cell
        b'"' + b"y" * LONG_CELL + b'",loss\n1,2\n',  # a quoted one
        b"1" * LONG_CELL + b",2\n3,4\n",  # a first data row
    ],
)
def test_a_cell_over_the_csv_limit_is_a_clear_error(data):
    with pytest.raises(SeriesError) as raised:
        load_csv_series(data)
    assert raised.value.code == "cell_too_long" and raised.value.params == {"limit": "131,072"}
    at = upload(ema_page(), "long.csv", data)
    assert not at.exception, [e.value for e in at.exception]
    (message,) = [e.value for e in at.error]
    assert "'long.csv' cannot be used" in message and "longer than 131,072 characters" in message
    assert "Showing the generated temperatures instead." in message


def test_a_cell_over_the_limit_in_chinese():
    at = upload(ema_page({"lang": "zh"}), "long.csv", b"x" * LONG_CELL + b"\n1\n")
    assert "超过 131,072 个字符" in at.error[0].value


def test_infinite_values_get_a_warning_and_the_rest_is_smoothed():
    at = upload(ema_page(), "inf.csv", b"loss\n1\ninf\n2\n-inf\n3\n")
    assert not at.exception and not at.error
    (warning,) = [w.value for w in at.warning]
    assert "2 of the 5 values in column 'loss' are infinite" in warning
    raw = values(trace(chart_spec(at, "ema_series"), "raw"))
    assert raw[[0, 2, 4]].tolist() == [1.0, 2.0, 3.0]


def test_a_column_of_inf_only_falls_back_with_a_warning():
    at = upload(ema_page(), "inf.csv", b"loss\ninf\ninf\n-inf\n")
    assert not at.exception and not at.error
    (warning,) = [w.value for w in at.warning]
    assert "'loss' holds no finite value" in warning and "generated temperatures" in warning
    assert np.isfinite(values(trace(chart_spec(at, "ema_series"), "raw"))).all()
