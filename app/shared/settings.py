"""One declarative table of settings drives the widgets, the URL and the defaults.

A page declares `Setting`s (key, kind, default, range). `UrlState.widget(setting)` draws the widget with
the value taken, in order, from the live widget, the URL, the value the page had before the user
switched away, or the default. At the end of the run `UrlState.sync()` writes every value that differs
from its default back to the URL, so a copied link reproduces the view. A malformed or out-of-range URL
value falls back to the default with a visible notice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import streamlit as st

from app.shared.i18n import t
from app.shared.markdown import literal

# 1-1.2-1.5-2-2.5-3-4-5-6-7-8: ~11 values a decade, rounded so common LRs (3e-4, 5e-2, 1e-3) are on it.
_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)


@lru_cache(maxsize=64)  # a log slider reads its grid several times a run; a few ranges are in use
def log_grid(low: float, high: float) -> tuple[float, ...]:
    """The round log-spaced values in [low, high] (made once per range: a tuple, never changed)."""
    values = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for mantissa in _MANTISSAS:
            value = float(f"{mantissa}e{exponent}")
            if low * (1 - 1e-12) <= value <= high * (1 + 1e-12):
                values.append(value)
    return tuple(values)


class InvalidValue(ValueError):
    """A URL value that does not fit its setting; `reason` is already translated."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Setting:
    """One control: its URL key, kind, default and allowed values.

    kind: "choice" (one of `choices`), "bool", "int", "float", "log" (a float on a log grid between
    low and high), or "text" (at most `max_len` characters).
    label: an i18n key, or a callable returning the label (for labels built at run time).
    format: how a choice or log value is shown (the URL always holds the raw value).
    """

    key: str
    kind: str
    default: Any
    label: str | Callable[[], str]
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: Sequence[Any] = ()
    format: Callable[[Any], str] | None = None
    widget: str = ""
    help: str | None = None
    max_len: int = 200
    extra: dict = field(default_factory=dict)

    @property
    def grid(self) -> tuple[float, ...]:
        return log_grid(self.low, self.high) if self.kind == "log" else ()

    def label_text(self) -> str:
        return self.label() if callable(self.label) else t(self.label)

    def parse(self, raw: str) -> Any:
        """The value a URL string stands for; raises InvalidValue with a translated reason."""
        if self.kind == "text":
            if len(raw) > self.max_len:
                raise InvalidValue(t("url.reason.too_long"))
            return raw
        if self.kind == "bool":
            if raw.lower() in ("true", "1"):
                return True
            if raw.lower() in ("false", "0"):
                return False
            raise InvalidValue(t("url.reason.not_bool"))
        if self.kind == "choice":
            for choice in self.choices:
                if str(choice) == raw:
                    return choice
            raise InvalidValue(t("url.reason.choice"))
        try:
            number = float(raw)
        except ValueError:
            raise InvalidValue(t("url.reason.not_number")) from None
        if not math.isfinite(number) or not (self.low <= number <= self.high):
            raise InvalidValue(t("url.reason.range", low=self.low, high=self.high))
        if self.kind == "int":
            if number != int(number):
                raise InvalidValue(t("url.reason.not_integer"))
            return int(number)
        if self.kind == "log":
            # the nearest grid value; a link always lands on a value the slider can show
            return min(self.grid, key=lambda g: abs(math.log(g) - math.log(number)) if number > 0 else g)
        return number

    def encode(self, value: Any) -> str:
        if self.kind == "bool":
            return "true" if value else "false"
        if isinstance(value, float):
            return f"{value:.10g}"
        return str(value)

    def clean(self, value: Any) -> Any:
        """A value from session state (possibly stale after the choices changed), or the default."""
        try:
            return self.parse(self.encode(value))
        except InvalidValue:
            return self.default


GLOBAL_KEYS = ("lang", "present")
# a notice quotes at most this many characters of a URL's key or value (a link may carry kilobytes)
NOTICE_LIMIT = 200  # long enough for a legitimate value (six kept schedules), short for a pasted page


class UrlState:
    """The URL-backed settings of one script run: one page plus the global controls."""

    def __init__(self, page: str = ""):
        self.settings: dict[str, Setting] = {}
        self.notices: list[str] = []
        self.set_page(page)

    def set_page(self, page: str) -> None:
        """Which page's remembered values to use (global settings are registered before it is known)."""
        self.page = page
        self._shadow = st.session_state.setdefault("_url_shadow", {}).setdefault(page, {})

    # -- reading -------------------------------------------------------------------------------
    def _initial(self, setting: Setting) -> Any:
        params = st.query_params
        if setting.key in params:
            raw = params[setting.key]
            try:
                return setting.parse(raw)
            except InvalidValue as bad:
                self.notices.append(
                    t(
                        "url.bad_value",
                        key=setting.key,
                        value=literal(raw, limit=NOTICE_LIMIT),
                        reason=bad.reason,
                        default=setting.default,
                    )
                )
                return setting.default
        if setting.key in self._shadow:
            return setting.clean(self._shadow[setting.key])
        return setting.default

    def register(self, setting: Setting) -> Any:
        """Make `setting` part of this page's URL and put its starting value into session state."""
        self.settings[setting.key] = setting
        # Pages share one session state: a key that another page last used ("steps" on two pages)
        # starts afresh from the URL here rather than carrying that page's value over.
        owners = st.session_state.setdefault("_url_owner", {})
        owner = "" if setting.key in GLOBAL_KEYS else self.page
        if setting.key in st.session_state and owners.get(setting.key) == owner:
            st.session_state[setting.key] = setting.clean(st.session_state[setting.key])
        else:
            st.session_state[setting.key] = self._initial(setting)
        owners[setting.key] = owner
        return st.session_state[setting.key]

    def value(self, key: str) -> Any:
        return st.session_state[key]

    # -- drawing -------------------------------------------------------------------------------
    def widget(self, setting: Setting, where=None, **kwargs) -> Any:
        """Draw the widget for `setting` (in `where`, default the main area) and return its value."""
        self.register(setting)
        where = where or st
        label = setting.label_text()
        help_text = t(setting.help) if setting.help else None
        common = dict(key=setting.key, help=help_text, **kwargs)
        kind, style = setting.kind, setting.widget
        if kind == "bool":
            return where.toggle(label, **common)
        if kind == "choice":
            fmt = setting.format or str
            if style == "radio":
                return where.radio(label, setting.choices, format_func=fmt, horizontal=True, **common)
            if style == "segmented":
                return (
                    where.segmented_control(
                        label, setting.choices, format_func=fmt, selection_mode="single", **common
                    )
                    or setting.default
                )
            return where.selectbox(label, setting.choices, format_func=fmt, **common)
        if kind == "log":
            fmt = setting.format or (lambda v: f"{v:g}")
            return where.select_slider(label, setting.grid, format_func=fmt, **common)
        if kind == "text":
            return where.text_input(label, max_chars=setting.max_len, **common)
        number = int if kind == "int" else float
        bounds = dict(min_value=number(setting.low), max_value=number(setting.high))
        if setting.step is not None:
            bounds["step"] = number(setting.step)
        if style == "slider":
            return where.slider(label, **bounds, **common)
        return where.number_input(label, **bounds, **common)

    # -- writing -------------------------------------------------------------------------------
    def sync(self) -> None:
        """Write the non-default values to the URL and remember them for when the user comes back."""
        wanted: dict[str, str] = {}
        for key, setting in self.settings.items():
            value = st.session_state.get(key, setting.default)
            if key not in GLOBAL_KEYS:
                self._shadow[key] = value
            if value != setting.default:
                wanted[key] = setting.encode(value)
        current = {key: st.query_params[key] for key in st.query_params}
        owners = st.session_state.get("_url_owner", {})
        for key in current:
            # a setting this page drew before but hides now (clip_norm with clipping off) is dropped quietly
            if key not in self.settings and key not in wanted and owners.get(key) != self.page:
                self.notices.append(t("url.unknown_key", key=literal(key, limit=NOTICE_LIMIT)))
        if current != wanted:
            st.query_params.from_dict(wanted)

    def forget(self, key: str) -> None:
        """Drop what this page remembered for `key`, so its default applies again."""
        self._shadow.pop(key, None)

    def forget_prefix(self, prefix: str, keep: str = "") -> None:
        """Drop every value whose key starts with `prefix` (but `keep`) from the session, this page's
        memory and the URL, so their defaults apply again: a slot given a new optimizer starts from that
        optimizer's own defaults (a link that names them still sets them when it is opened)."""
        remembered = [*self._shadow, *st.session_state]
        for key in [k for k in remembered if isinstance(k, str) and k.startswith(prefix) and k != keep]:
            st.session_state.pop(key, None)
            self.forget(key)
        for key in [k for k in st.query_params if k.startswith(prefix) and k != keep]:
            del st.query_params[key]

    def reset_page(self) -> None:
        """Forget every page setting (the globals stay), so the next run starts from the defaults."""
        for key in list(self.settings):
            if key not in GLOBAL_KEYS:
                st.session_state.pop(key, None)
        self._shadow.clear()


def current() -> UrlState:
    """The UrlState of this run (created by app/main.py before the page runs)."""
    return st.session_state["_url_state"]
