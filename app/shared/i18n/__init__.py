"""The translation layer: every UI string goes through `t(key)`, in English and 简体中文.

Strings live beside each other per page (`app/shared/i18n/<page>.py`, each a dict key -> (en, zh)), so a
missing translation is visible at a glance and a test checks that every key has both.
"""

from __future__ import annotations

import re
from importlib import import_module

import streamlit as st

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
_MODULES = (
    "common",
    "optimizers",
    "playground",
    "schedules",
    "ema",
    "training",
    "analysis",
    "model_tricks",  # Training: residual blocks, drop path, the best weights
    "radam_plateau",  # RAdam's rectification, critical points, ReduceLROnPlateau in training
    "live_charts",  # the Training page's live charts
    "ownership",  # who controls a run: capability links, the admin token, quotas
    "uploads",  # uploaded and server-folder datasets, their limits
    "notices",  # notices about links and typed text
    "landscape",  # Training: a finished run's loss landscape, the babysitting checks
    "loss_surfaces",  # MSE vs cross-entropy surfaces and their side-by-side view
    "lessons",  # the Lessons page: predict, reveal, explain
    "presenter",  # presenter mode on a projector, keyboard shortcuts, view-only links
    "classroom",  # class mode: join codes, votes, the tally
)


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


# the words of a formula: \text{ (weight decay)}, \textbf{for}, \text{ else }; their spaces, brackets and
# colons stay as they are, and words that are names (lr, betas, three\_phase) have no key and stay too
_LATEX_WORDS = re.compile(r"(\\text(?:bf)?\{)([\s(#:]*)([^{}]*?)([\s):]*)\}")


def latex_key(words: str) -> str:
    """The i18n key of a formula's words: "weight decay" -> "latex.weight_decay"."""
    return "latex." + re.sub(r"\W+", "_", words).strip("_")


def latex(text: str) -> str:
    """LaTeX from optim_core (an algorithm, a formula) with its words in the session's language: each
    comma-separated part of a \\text{...} or \\textbf{...} that has a `latex.*` key is translated."""
    if language() == DEFAULT_LANGUAGE:
        return text

    def words(match: re.Match) -> str:
        command, lead, body, trail = match.groups()
        parts = [STRINGS.get(latex_key(part), (part, part))[1] for part in body.split(", ")]
        return command + lead + ", ".join(parts) + trail + "}"

    return _LATEX_WORDS.sub(words, text)
