"""The app's keyboard shortcuts: one table of keys, one mechanism (Streamlit's own `st.button(shortcut=)`).

Every page binds a key through `button()`, so a key means one thing everywhere and its button shows it.
No hand-written JavaScript: Streamlit 1.67 listens for the key and clicks the button, and ignores it while
the focus is in a text field. Streamlit keeps R (rerun) and C (clear cache) for itself and refuses them,
so revealing a lesson's answer is V.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.shared.i18n import t


@dataclass(frozen=True)
class Shortcut:
    """A key (Streamlit's spelling, e.g. "Left", "Space", "N"), the i18n keys of what it does and of its
    name in a legend."""

    keys: str
    help_key: str
    name_key: str


STEP_BACK = Shortcut("Left", "keys.step_back", "keys.name.left")
STEP_FORWARD = Shortcut("Right", "keys.step_forward", "keys.name.right")
PLAY_PAUSE = Shortcut("Space", "keys.play_pause", "keys.name.space")
NEXT = Shortcut("N", "keys.next", "keys.name.n")
PREVIOUS = Shortcut("P", "keys.previous", "keys.name.p")
REVEAL = Shortcut("V", "keys.reveal", "keys.name.v")

ALL = (STEP_BACK, STEP_FORWARD, PLAY_PAUSE, NEXT, PREVIOUS, REVEAL)


def button(shortcut: Shortcut, label: str, *, key: str, where: Any = None, **kwargs: Any) -> bool:
    """`st.button` (in `where`, the page by default) that the shortcut's key also presses; its help
    says what the key does. The other arguments go to st.button (on_click, args, width, type, ...)."""
    kwargs.setdefault("help", t(shortcut.help_key))
    return (where or st).button(label, key=key, shortcut=shortcut.keys, **kwargs)


def legend(*shortcuts: Shortcut) -> str:
    """The keys a page offers, as one line of text: "← step back · → step forward · …"."""
    return " · ".join(f"{t(s.name_key)} {t(s.help_key)}" for s in shortcuts)
