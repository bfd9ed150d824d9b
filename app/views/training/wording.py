"""Counted phrases in the page's language: "1 optimizer step", "2 optimizer steps"."""

from __future__ import annotations

from app.shared.i18n import STRINGS, t


def counted(key: str, count: int | None, /, **values) -> str:
    """The string `key`, or its singular form `key.one` when count is 1 (English has one; Chinese none)."""
    singular = f"{key}.one"
    return t(singular if count == 1 and singular in STRINGS else key, **values)
