"""Presenter mode and the view-only classroom link (`?view=watch`), for every page.

Presenter mode (`present=true`) is for the projector: large type, the sidebar a drawer closed at the
start, the figure first. A view-only link is for students following on their own screens: the figure
and what it shows, no controls. Its settings come from the URL alone (`ReadOnly`), so nothing a
student touches can drift from the shared view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import streamlit as st

from app.shared.settings import InvalidValue, Setting, UrlState

WATCH = "watch"
VIEW = Setting("view", "choice", "edit", "share.view", choices=("edit", WATCH))
# what a view-only link leaves out: the presenter's large type is for the projector
NOT_SHARED = ("present", VIEW.key)

# A view-only page has no sidebar and no button to open one.
WATCH_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
  { display: none !important; }
</style>
"""


def watching() -> bool:
    """Whether this run shows a view-only link (the setting is registered by app/main.py)."""
    return st.session_state.get(VIEW.key) == WATCH


def opened_as(setting: Setting) -> Any:
    """A setting's value before its widget is drawn: from the session, else from the URL (the page
    config, which comes first, needs presenter mode and the view)."""
    if setting.key in st.session_state:
        return setting.clean(st.session_state[setting.key])
    raw = st.query_params.get(setting.key)
    try:
        return setting.default if raw is None else setting.parse(raw)
    except InvalidValue:
        return setting.default  # reported when the setting is registered


class ReadOnly:
    """UrlState for a view-only page: `widget()` reads the setting from the URL and draws nothing."""

    def __init__(self, state: UrlState):
        self._state = state

    def widget(self, setting: Setting, where: Any = None, **kwargs: Any) -> Any:
        return self._state.register(setting)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)


def controls(state: UrlState) -> UrlState | ReadOnly:
    """What a page draws its settings with: the widgets, or on a view-only link the URL's values."""
    return ReadOnly(state) if watching() else state


def watch_link() -> str:
    """This view's view-only link: the address with the current settings and `view=watch`."""
    query = {k: st.query_params[k] for k in st.query_params if k not in NOT_SHARED}
    query[VIEW.key] = WATCH
    base = quote((st.context.url or "").split("?", 1)[0], safe=":/%")
    return f"{base}?{urlencode(query)}"
