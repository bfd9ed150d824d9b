"""optim_core.series: uploaded CSV bytes -> numeric columns, or a SeriesError with a stable code."""

import csv
import math
import time

import numpy as np
import pandas as pd
import pytest

from optim_core import series
from optim_core.series import ERROR_CODES, SeriesError, load_csv_series, numeric_columns


def error_of(data: bytes, **kwargs) -> SeriesError:
    with pytest.raises(SeriesError) as info:
        load_csv_series(data, **kwargs)
    err = info.value
    assert isinstance(err, ValueError) and err.code in ERROR_CODES and str(err)
    return err


# ---- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_empty(data):
    err = error_of(data)
    assert err.code == "empty" and "empty" in str(err)


def test_too_large_states_the_limit():
    err = error_of(b"1,2\n" * 300, max_bytes=1000)
    assert err.code == "too_large"
    assert "1000 bytes" in str(err) and err.params["limit"] == "1000 bytes"
    # exactly at the limit is fine
    assert len(load_csv_series(b"x\n" + b"1\n" * 499, max_bytes=1000)) == 499


def test_fifty_megabytes_rejected_before_any_parsing(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("a file over the limit was decoded or parsed")

    monkeypatch.setattr(series, "_decode", must_not_run)
    monkeypatch.setattr(series.pd, "read_csv", must_not_run)
    data = b"1.5,2.5\n" * (50 * 2**20 // 8)
    start = time.perf_counter()
    err = error_of(data)
    elapsed = time.perf_counter() - start
    assert err.code == "too_large"
    assert "50 MB" in str(err) and "10 MB limit" in str(err)
    assert elapsed < 0.05, f"rejecting 50 MB took {elapsed:.3f} s"


def test_latin1_binary_garbage_is_an_encoding_error():
    data = "température;café\n".encode("latin-1") + bytes(range(128, 256)) + b"\x00\x01\xff\xfe"
    err = error_of(data)
    assert err.code == "encoding"
    assert "UTF-8" in str(err) and "GBK" in str(err)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_is_an_encoding_error(encoding):
    # UTF-16 (Excel's "Unicode text") either fails both decoders or decodes to text full of NULs
    assert error_of("a,b\n1,2\n".encode(encoding)).code == "encoding"


def test_header_only():
    for data in (b"time,loss\n", b"time,loss", b"\n\ntime;loss\r\n\r\n"):
        err = error_of(data)
        assert err.code == "header_only" and "header" in str(err)


def test_no_rows():
    err = error_of(b"a,b\n,\n , \n,\n")
    assert err.code == "no_rows"


@pytest.mark.parametrize(
    "data",
    [
        b"name,city\nada,london\nalan,manchester\n",
        b"date;label\n2024-01-01;x\n2024-01-02;y\n",
        b"flag,other\nTrue,yes\nFalse,no\n",
    ],
)
def test_only_text_columns(data):
    err = error_of(data)
    assert err.code == "no_numeric"
    assert "No column holds numbers" in str(err)
    assert err.params["columns"].split(", ")[0] in {"name", "date", "flag"}


def test_ragged_rows_are_malformed():
    err = error_of(b"a,b\n1,2\n3,4,5\n")
    assert err.code == "malformed" and "Line 3 has 3 cells" in str(err)
    assert err.params == {"line": 3, "expected": 2, "saw": 3}
    # a first data row one cell too long must not silently become a row-label column
    assert error_of(b"a,b\n1,2,3\n4,5,6\n").code == "malformed"


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="bytes"):
        load_csv_series("a,b\n1,2\n")
    with pytest.raises(ValueError, match="max_bytes"):
        load_csv_series(b"a\n1\n", max_bytes=0)


def test_every_code_is_reachable():
    cases = {
        "empty": b"",
        "too_large": b"1\n" * 10,
        "encoding": b"\xff\xfe\x00\x81",
        "malformed": b"a\n1\n2,3\n",
        "header_only": b"a\n",
        "no_rows": b"a,b\n,\n",
        "no_numeric": b"a\nx\n",
        "cell_too_long": b"abcdefghi\n1\n",  # with the csv module's cell limit set to 8 below
    }
    assert set(cases) == set(ERROR_CODES)
    previous = csv.field_size_limit(8)
    try:
        for code, data in cases.items():
            assert error_of(data, max_bytes=16).code == code
    finally:
        csv.field_size_limit(previous)


# ---- happy paths ---------------------------------------------------------------------------------------


def test_comma_csv_with_blanks_and_a_text_column():
    df = load_csv_series(b"step,loss,note,acc\n1,0.9,start,0.1\n2,,,0.2\n3,0.5,end,\n")
    assert list(df.columns) == ["step", "loss", "acc"]
    assert all(dtype == np.float64 for dtype in df.dtypes)
    np.testing.assert_array_equal(df["loss"], [0.9, np.nan, 0.5])
    np.testing.assert_array_equal(df["step"], [1.0, 2.0, 3.0])
    assert list(df.index) == [0, 1, 2]


@pytest.mark.parametrize("delimiter", [b",", b";", b"\t"])
def test_delimiters(delimiter):
    data = delimiter.join([b"x", b"y"]) + b"\n" + delimiter.join([b"1.5", b"-2"]) + b"\n"
    df = load_csv_series(data)
    assert list(df.columns) == ["x", "y"]
    np.testing.assert_array_equal(df.to_numpy(), [[1.5, -2.0]])


def test_gbk_file_with_a_chinese_header():
    data = "日期,温度,湿度\n一月,3.5,80\n二月,4.25,\n".encode("gbk")
    with pytest.raises(UnicodeDecodeError):  # so this really goes through the GBK fallback
        data.decode("utf-8")
    df = load_csv_series(data)
    assert list(df.columns) == ["温度", "湿度"]
    np.testing.assert_array_equal(df["温度"], [3.5, 4.25])
    assert math.isnan(df["湿度"][1])


def test_utf8_with_bom_crlf_and_blank_lines():
    data = "\ufeffzeit;wert\r\n\r\n1;2,5\r\n2;3,75\r\n\r\n".encode()
    df = load_csv_series(data)
    assert list(df.columns) == ["zeit", "wert"]  # the BOM is not part of the first name
    np.testing.assert_array_equal(df["wert"], [2.5, 3.75])  # decimal commas with ';'


def test_decimal_comma_only_where_the_delimiter_allows_it():
    df = load_csv_series(b"a;b\n1,5;2.5\n3,25;1\n")
    np.testing.assert_array_equal(df.to_numpy(), [[1.5, 2.5], [3.25, 1.0]])
    # with ',' as the delimiter "1,5" is two cells
    np.testing.assert_array_equal(load_csv_series(b"a,b\n1,5\n").to_numpy(), [[1.0, 5.0]])


def test_headerless_numbers():
    df = load_csv_series(b"0.9\n0.7\n\n0.4\n")
    assert list(df.columns) == ["column_1"]
    np.testing.assert_array_equal(df["column_1"], [0.9, 0.7, 0.4])
    assert list(load_csv_series(b"1,2\n").columns) == ["column_1", "column_2"]


def test_missing_markers_infinities_and_spaces():
    df = load_csv_series(b"a,b,c\n1,NA, 7 \n2,inf,8\n,-inf, 9\n")
    np.testing.assert_array_equal(df["a"], [1.0, 2.0, np.nan])
    np.testing.assert_array_equal(df["b"], [np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(df["c"], [7.0, 8.0, 9.0])


def test_a_mostly_numeric_column_with_one_word_is_text():
    df = load_csv_series(b"x,y\n" + b"1,2\n" * 200 + b"oops,3\n")
    assert list(df.columns) == ["y"]


def test_numeric_columns():
    df = pd.DataFrame(
        {
            "int": [1, 2],
            "float": [0.5, np.nan],
            "text": ["a", "b"],
            "flag": [True, False],
            "blank": [np.nan, np.nan],
        }
    )
    assert numeric_columns(df) == ["int", "float"]
    assert numeric_columns(pd.DataFrame()) == []


def test_a_large_file_within_the_limit_loads():
    rows = 200_000
    data = b"step;loss;tag\n" + b"".join(b"%d;%d,5;t\n" % (i, i % 7) for i in range(rows))
    assert len(data) < series.DEFAULT_MAX_BYTES
    start = time.perf_counter()
    df = load_csv_series(data)
    elapsed = time.perf_counter() - start
    assert df.shape == (rows, 2)
    assert df["loss"][8] == 1.5
    assert elapsed < 2.0, f"loading {len(data) / 2**20:.1f} MB took {elapsed:.2f} s"


def test_ordinary_columns_never_take_the_cell_by_cell_path(monkeypatch):
    # numbers (decimal point or, with ';', decimal comma) are parsed by pandas' C reader and text
    # columns are recognised from a few cells: converting a million cells one by one is the slow path
    def slow_path(*args, **kwargs):
        raise AssertionError("pd.to_numeric was called")

    monkeypatch.setattr(series.pd, "to_numeric", slow_path)
    data = b"step;loss;acc;tag\n" + b"".join(b"%d;0,%d;0.%d;run-%d\n" % (i, i, i, i) for i in range(1, 500))
    df = load_csv_series(data)
    assert list(df.columns) == ["step", "loss", "acc"]
    assert df["loss"][0] == 0.1 and df["acc"][1] == 0.2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"step,loss\n1,2.5\n2,2.1\n3,1.9\n", "loss"),  # not the step counter, which draws a straight line
        (b"epoch,train_acc,val_loss\n1,0.5,2.0\n2,0.6,1.8\n3,0.7,1.9\n", "val_loss"),
        (b"iteration;TrainLoss\n1;2,5\n2;2,1\n", "TrainLoss"),
        (b"global_step,top1_error\n10,0.5\n20,0.4\n", "top1_error"),
        (
            b"epoch,time,accuracy\n1,0.5,0.61\n2,1.1,0.60\n3,1.6,0.64\n",
            "accuracy",
        ),  # no loss: the first measure
        (b"n,value\n0,3.5\n1,3.2\n", "value"),
        (b"1,5.0\n2,4.1\n3,4.3\n", "column_2"),  # headerless: column_1 increases row by row, a counter
        (b"a,b\n1,10\n2,20\n", "a"),  # every column is a counter: the first one
    ],
)
def test_series_column_prefers_a_loss_over_a_counter(data, expected):
    assert series.series_column(load_csv_series(data)) == expected


def test_series_column_needs_a_column():
    with pytest.raises(ValueError, match="no columns"):
        series.series_column(pd.DataFrame())
