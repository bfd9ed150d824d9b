"""Typed reads from one parsed TOML table, each error naming the file and the field's dotted path.

fields = Fields("03-ravine.toml", table)
answers = fields.tables("answers")           # [Fields at "answers[0]", ...]
answers[2].text("text")                      # LessonError: 03-ravine.toml: answers[2].text.zh is missing
"""

from __future__ import annotations

import math
import re
from typing import Any

from .limits import MAX_TEXT_CHARS
from .schema import LANGUAGES, LessonError, Text

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_MISSING = object()


def _kind(value: Any) -> str:
    """A TOML value's type as a lesson author knows it."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    return "a table" if isinstance(value, dict) else names.get(type(value), type(value).__name__)


class Fields:
    """One table of a lesson file, at a dotted path ("" for the file's top level)."""

    def __init__(self, file: str, table: dict[str, Any], path: str = ""):
        self.file, self.table, self.path = file, table, path

    def where(self, key: str | None = None) -> str:
        if key is None:
            return self.path or "(top level)"
        if key.startswith("["):
            return f"{self.path}{key}"
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, problem: str) -> LessonError:
        return LessonError(f"{self.file}: {self.where(key)} {problem}")

    def only(self, *keys: str) -> None:
        """Every key of the table is one of `keys` (a misspelt field is an error, not ignored)."""
        for key in self.table:
            if key not in keys:
                raise self.error(key, f"is not a field here; valid fields: {', '.join(keys)}")

    def has(self, key: str) -> bool:
        return key in self.table

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self.table:
            if default is _MISSING:
                raise self.error(key, "is missing")
            return default
        return self.table[key]

    def table_at(self, key: str, default: Any = _MISSING) -> Fields:
        value = self.raw(key, default)
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {_kind(value)}")
        return Fields(self.file, value, self.where(key))

    def tables(self, key: str, low: int, high: int) -> list[Fields]:
        """An array of tables ([[key]] blocks) with low..high entries."""
        items = self.raw(key)
        if not isinstance(items, list):
            raise self.error(key, f"must be an array of tables, got {_kind(items)}")
        if not low <= len(items) <= high:
            raise self.error(key, f"has {len(items)} entries; it needs {low} to {high}")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.error(f"{key}[{i}]", f"must be a table, got {_kind(item)}")
        return [Fields(self.file, item, f"{self.where(key)}[{i}]") for i, item in enumerate(items)]

    def string(self, key: str, default: Any = _MISSING, *, max_chars: int = MAX_TEXT_CHARS) -> str:
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {_kind(value)}")
        if not value.strip():
            raise self.error(key, "is empty")
        if len(value) > max_chars:
            raise self.error(key, f"has {len(value)} characters; at most {max_chars}")
        return value

    def identifier(self, key: str, max_chars: int) -> str:
        value = self.string(key, max_chars=max_chars)
        if not ID_PATTERN.fullmatch(value):
            raise self.error(key, f"must use only letters, digits, '-' and '_', got {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...] | list[str], default: Any = _MISSING) -> str:
        value = self.raw(key, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def text(self, key: str) -> Text:
        """A text in every language: a table {en = "...", zh = "..."} (or key.en = ..., key.zh = ...)."""
        texts = self.table_at(key)
        texts.only(*LANGUAGES)
        return {lang: texts.string(lang) for lang in LANGUAGES}

    def integer(self, key: str, low: int, high: int, default: Any = _MISSING) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, got {_kind(value)}")
        if not low <= value <= high:
            raise self.error(key, f"must be in [{low}, {high}], got {value}")
        return value

    def number(self, key: str, low: float, high: float, default: Any = _MISSING, *, open_low=False) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(key, f"must be a finite number, got {_kind(value)}")
        if not low <= value <= high or (open_low and value == low):
            bracket = "(" if open_low else "["
            raise self.error(key, f"must be in {bracket}{low:g}, {high:g}], got {value!r}")
        return float(value)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {_kind(value)}")
        return value

    def plain_values(self, key: str) -> tuple[tuple[str, object], ...]:
        """A table of plain values (numbers, booleans, strings, arrays of numbers) as sorted pairs; what
        each value means is checked by the code that uses it (an optimizer, a schedule, a surface)."""
        table = self.table_at(key, {})
        pairs = []
        for name, value in table.table.items():
            if isinstance(value, list):
                if len(value) > 64 or not all(isinstance(v, int | float) for v in value):
                    raise table.error(name, "must be an array of at most 64 numbers")
                value = tuple(value)
            elif not isinstance(value, bool | int | float | str):
                raise table.error(name, f"must be a number, boolean or string, got {_kind(value)}")
            if isinstance(value, str) and len(value) > 64:
                raise table.error(name, "is longer than 64 characters")
            if isinstance(value, float) and not math.isfinite(value):
                raise table.error(name, "must be finite")
            pairs.append((name, value))
        return tuple(sorted(pairs))
