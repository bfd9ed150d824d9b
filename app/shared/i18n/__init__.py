"""The translation layer: every UI string goes through `t(key)`, in English and 简体中文.

Strings live beside each other per page (`app/shared/i18n/<page>.py`, each a dict key -> (en, zh)), so a
missing translation is visible at a glance and a test checks that every key has both.
"""

from __future__ import annotations

from importlib import import_module

import streamlit as st

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
_MODULES = ("common", "optimizers", "playground", "schedules", "ema", "training", "analysis")


def _load() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for name in _MODULES:
        try:
            strings = import_module(f"app.shared.i18n.{name}").STRINGS
        except ModuleNotFoundError:
            continue
        duplicated = table.keys() & strings.keys()
        if duplicated:
            raise KeyError(f"i18n keys defined twice: {sorted(duplicated)}")
        table.update(strings)
    return table


STRINGS = _load()


def language() -> str:
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, /, **values) -> str:
    """The string `key` in the session's language, formatted with `values`."""
    en, zh = STRINGS[key]
    text = zh if language() == "zh" else en
    return text.format(**values) if values else text


def pick(texts: dict[str, str]) -> str:
    """Choose from a {"en": ..., "zh": ...} dict that optim_core provides (titles, descriptions)."""
    return texts.get(language()) or texts.get("en", "")
