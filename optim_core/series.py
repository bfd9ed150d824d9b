"""Turn a user-uploaded CSV file into numeric series, or say clearly why it cannot be done.

Accepted: UTF-8 (with or without a BOM) or GBK text; comma, semicolon or tab delimiters; an optional
header line (a first line made only of numbers is read as data, with columns named column_1, ...);
blank cells become NaN; with a semicolon or tab delimiter a decimal comma (``1,5``) is read as 1.5.
Every failure is a `SeriesError` whose `code` is stable, so the app can show its own translation.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from numbers import Integral

import numpy as np
import pandas as pd

DEFAULT_MAX_BYTES = 10 * 2**20
# tried in this order: UTF-8 first (a GBK decode of UTF-8 bytes would "succeed" as mojibake more often
# than the other way round); utf-8-sig also accepts a plain UTF-8 file without a BOM
ENCODINGS = ("utf-8-sig", "gbk")
# the delimiters we recognise; on a tie the earlier one wins
DELIMITERS = (",", ";", "\t")
# every code a SeriesError can carry
ERROR_CODES = (
    "empty",
    "too_large",
    "encoding",
    "malformed",
    "header_only",
    "no_rows",
    "no_numeric",
    "cell_too_long",
)


class SeriesError(ValueError):
    """A CSV that cannot become a numeric series: `str(err)` is the English message for the user,
    `err.code` one of ERROR_CODES, `err.params` the values the message quotes (for translations)."""

    def __init__(self, code: str, message: str, **params):
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.params = params


def _format_size(n_bytes: int) -> str:
    for unit, size in (("MB", 2**20), ("KB", 2**10)):
        if n_bytes >= size:
            amount = n_bytes / size
            # 3 significant digits, but never "1.23e+03"
            return f"{amount:.3g} {unit}" if amount < 1000 else f"{amount:.0f} {unit}"
    return f"{n_bytes} bytes"


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # NUL never occurs in a text CSV; it marks a binary file or UTF-16 (Excel's "Unicode text")
        if "\x00" not in text:
            return text
        break  # the other encodings would keep the NULs too
    raise SeriesError(
        "encoding",
        "Could not read the file as text: it is not UTF-8 or GBK encoded (it may be a binary file such as "
        "an Excel workbook, or another encoding). Save it as 'CSV UTF-8' and upload it again.",
        encodings=", ".join(ENCODINGS),
    )


def _split(line: str, delimiter: str) -> list[str]:
    # the csv module respects quotes, so "1,5";2 counts as two fields with ';'
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as err:
        # the one error a single line can raise here: a cell longer than the csv module's limit
        # (csv.field_size_limit(), 131,072 characters); no table of numbers has one
        limit = f"{csv.field_size_limit():,}"
        raise SeriesError(
            "cell_too_long",
            f"The first line holds a cell longer than {limit} characters: this is not a table of numbers.",
            limit=limit,
        ) from err


def _pick_delimiter(first_line: str) -> str:
    return max(DELIMITERS, key=lambda d: (len(_split(first_line, d)), -DELIMITERS.index(d)))


# how many cells of a text column are tried before the whole column is converted
_SAMPLE_CELLS = 64


def _parse_number(cell: str, decimal_comma: bool) -> bool:
    try:
        float(cell.replace(",", ".") if decimal_comma else cell)
    except ValueError:
        return False
    return True


def _sample_is_numeric(column: pd.Series, decimal_comma: bool) -> bool:
    """Whether the first few non-blank cells of a text column are numbers. A column pandas left as text is
    almost always really text (dates, labels), and one cell that is no number settles it, so this
    looks at a few cells before anything converts a million."""
    cells = (str(cell).strip() for cell in column.dropna().head(_SAMPLE_CELLS))
    return all(_parse_number(cell, decimal_comma) for cell in cells if cell)


def _to_numeric(column: pd.Series, decimal_comma: bool) -> pd.Series | None:
    """The column as float64 if every non-blank cell is a number, else None."""
    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(np.float64)
    if not _sample_is_numeric(column, decimal_comma):
        return None
    # the slow, exact path: numbers pandas did not recognise, e.g. with trailing spaces or a few decimal
    # commas among decimal points
    text = column.astype("string").str.strip()
    present = text.notna() & (text != "")
    numbers = pd.to_numeric(text.where(present), errors="coerce")
    if decimal_comma and numbers[present].isna().any():
        numbers = pd.to_numeric(text.where(present).str.replace(",", ".", regex=False), errors="coerce")
    if numbers[present].isna().any():
        return None
    return pd.Series(numbers.to_numpy(dtype=np.float64, na_value=np.nan), index=column.index)


def _malformed(err: Exception) -> SeriesError:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
    expected: int | None
    line: int | None
    saw: int | None
    if found:
        expected, line, saw = (int(group) for group in found.groups())
        message = f"Line {line} has {saw} cells, but the table has {expected} columns."
    elif isinstance(err, pd.errors.ParserWarning):
        expected = line = saw = None
        message = "The first data row has more cells than the header has column names."
    else:
        expected = line = saw = None
        message = f"The file is not a regular table ({str(err).strip()})."
    return SeriesError(
        "malformed",
        message + " Check the delimiter and that every row has as many cells as the header.",
        line=line,
        expected=expected,
        saw=saw,
    )


def _read_table(text: str, delimiter: str, names: list[str] | None, decimal: str = ".") -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # index_col=False: a first row with one cell too many is an error, not a silent row-label
            # column; pandas only warns about it, so the warning is raised here
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=0 if names is None else None,
                names=names,
                decimal=decimal,
                index_col=False,
                skipinitialspace=True,
                skip_blank_lines=True,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        raise _malformed(err) from None


def numeric_columns(df: pd.DataFrame) -> list[str]:
    """The names of the columns of `df` that hold numbers: a numeric, non-boolean dtype and at least one
    non-missing value (an all-blank column is no series)."""
    return [
        name
        for name in df.columns
        if pd.api.types.is_numeric_dtype(df[name])
        and not pd.api.types.is_bool_dtype(df[name])
        and df[name].notna().any()
    ]


def load_csv_series(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read the bytes of an uploaded CSV file into a DataFrame of its numeric columns (float64).

    Text columns (dates, labels) are left out; blank cells are NaN. Raises SeriesError with a
    user-facing message and a `code`: "too_large" (checked first, before anything is decoded),
    "empty", "encoding", "cell_too_long" (a first line with a cell over csv.field_size_limit()
    characters), "malformed" (a row with more cells than the header), "header_only", "no_rows" (rows
    without any value) or "no_numeric". Infinite values (inf, -inf) are kept: the app warns about them.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_csv_series expects the file's bytes, got {type(data).__name__}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, Integral) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    size = len(data)
    if size > max_bytes:
        raise SeriesError(
            "too_large",
            f"The file is {_format_size(size)}, larger than the {_format_size(max_bytes)} limit. "
            "Upload a shorter series (for example every 10th row).",
            size=_format_size(size),
            limit=_format_size(max_bytes),
        )
    text = _decode(bytes(data))
    # only the first two non-blank lines are needed here; pandas reads the rest
    lines = list(
        itertools.islice(
            (match.group() for match in re.finditer(r"[^\r\n]+", text) if match.group().strip()), 2
        )
    )
    if not lines:
        raise SeriesError("empty", "The file is empty.")

    delimiter = _pick_delimiter(lines[0])
    decimal_comma = delimiter != ","
    first_fields = [cell.strip() for cell in _split(lines[0], delimiter)]
    has_header = not all(cell and _parse_number(cell, decimal_comma) for cell in first_fields)
    if has_header and len(lines) == 1:
        raise SeriesError(
            "header_only",
            "The file has only a header line and no data rows below it.",
            header=", ".join(first_fields),
        )

    names = None if has_header else [f"column_{i + 1}" for i in range(len(first_fields))]
    frame = _read_table(text, delimiter, names)
    if decimal_comma:
        # "1,5" cells left pandas a text column: read once more with a decimal comma for those columns
        # (only those: the same pass would turn "1.5" columns into text)
        comma_columns = [
            name
            for name in frame.columns
            if not pd.api.types.is_numeric_dtype(frame[name])
            and frame[name].notna().any()
            and _sample_is_numeric(frame[name], True)
            and not _sample_is_numeric(frame[name], False)
        ]
        if comma_columns:
            reread = _read_table(text, delimiter, names, decimal=",")
            for name in comma_columns:
                frame[name] = reread[name]

    if frame.empty or frame.isna().all().all():
        raise SeriesError("no_rows", "The file has rows, but none of them holds a value.")

    columns = {}
    for name in frame.columns:
        numbers = _to_numeric(frame[name], decimal_comma)
        if numbers is not None:
            columns[name] = numbers
    numeric = pd.DataFrame(columns, index=frame.index)
    keep = numeric_columns(numeric)
    if not keep:
        found = ", ".join(str(name) for name in frame.columns)
        raise SeriesError(
            "no_numeric",
            f"No column holds numbers (found: {found}). The series needs at least one column of numbers.",
            columns=found,
        )
    return numeric[keep].reset_index(drop=True)


# Words that name a loss-like column, and a counter column (matched against the name's words, so
# "val_loss", "Train Loss" and "top1_error" are loss-like and "global_step" is a counter).
LOSS_WORDS = frozenset({"loss", "error", "err", "nll", "cost", "objective", "perplexity", "ppl"})
COUNTER_WORDS = frozenset(
    {"step", "steps", "epoch", "epochs", "iter", "iters", "iteration", "iterations", "it", "batch",
     "time", "timestamp", "seconds", "wall", "walltime", "index", "idx", "t", "n"}
)  # fmt: skip


def _words(name: object) -> set[str]:
    """The words of a column name: 'val_loss' -> {'val', 'loss'}; 'TrainLoss' -> {'train', 'loss'};
    'top1_error' -> {'top', '1', 'error'}."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))
    return {word for word in re.split(r"[^0-9a-zA-Z]+|(?<=[a-zA-Z])(?=[0-9])", spaced.lower()) if word}


def is_counter(name: object, values: pd.Series) -> bool:
    """Whether a column counts rather than measures: named like step/epoch/iteration/time, or its values
    strictly increase from row to row (a loss rarely does)."""
    if _words(name) & COUNTER_WORDS:
        return True
    finite = values.dropna().to_numpy(dtype=np.float64)
    return finite.size >= 2 and bool(np.all(np.diff(finite) > 0))


def series_column(df: pd.DataFrame) -> str:
    """The column of load_csv_series' frame to show first: the first named like a loss (loss, val_loss,
    train_loss, error, ...), else the first that is not a counter (step, epoch, time, ...), else the first.

    >>> series_column(pd.DataFrame({"step": [1, 2, 3], "loss": [2.0, 1.5, 1.2]}))
    'loss'
    >>> series_column(pd.DataFrame({"epoch": [1, 2, 3], "acc": [0.5, 0.7, 0.6]}))
    'acc'
    """
    if df.columns.empty:
        raise ValueError("the frame has no columns")
    for name in df.columns:
        if _words(name) & LOSS_WORDS:
            return name
    for name in df.columns:
        if not is_counter(name, df[name]):
            return name
    return df.columns[0]
