"""Where the Playground's controls go: beside the map at a desk, in a drawer on a projector, nowhere on a
view-only link; and the player keys (← → step, Space plays) through app/shared/shortcuts.py.

Presenter mode gives the first screen to the step row and the map: the optimizers' cards move into the
sidebar (a drawer, closed at the start, one card per row so "SGD + momentum" is never cut) and the LR
sliders into an expander under the map. Space plays the run on the server: each tick of the fragment
moves the inspected step on, so the arrows and the readout play along with the map; the Plotly player
inside the figure still animates in the browser without the server.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import streamlit as st

from app.shared import shortcuts
from app.shared.controls import slot_settings
from app.shared.i18n import t
from app.shared.optimizer_labels import optimizer_label
from app.shared.settings import Setting

PLAYING = "_pg_playing"  # session only: a played run is not part of a link
TICK_S = 0.4  # seconds between two steps of a played run
TICKS = 40  # a played run takes about this many ticks, whatever its length (40 × 0.4 s = 16 s)
LR_PER_ROW_PRESENTING = 2


def playing() -> bool:
    return bool(st.session_state.get(PLAYING, False))


def tick_every() -> float | None:
    """The fragment's run_every: a tick while a run plays, none otherwise."""
    return TICK_S if playing() else None


def nudge(delta: int, steps: int) -> None:
    st.session_state["t"] = min(max(st.session_state.get("t", steps) + delta, 0), steps)


def toggle_play(steps: int) -> None:
    """Space: play from the inspected step (from 0 when it is at the end), or pause. The fragment's tick is
    set when the page runs, so the page reruns."""
    if not playing() and st.session_state.get("t", steps) >= steps:
        st.session_state["t"] = 0
    st.session_state[PLAYING] = not playing()
    st.session_state["_pg_rerun_page"] = True


def advance(steps: int) -> bool:
    """One tick of a played run: the inspected step moves on; at the end the run stops. True when it
    stopped (the page then reruns to drop the tick)."""
    if not playing():
        return False
    now = st.session_state.get("t", steps)
    st.session_state["t"] = min(now + max(1, -(-steps // TICKS)), steps)
    if st.session_state["t"] >= steps:
        st.session_state[PLAYING] = False
        return True
    return False


def slot_columns(n_slots: int, presenting: bool) -> list:
    """Where each optimizer's card goes: the sidebar drawer one per row on a projector; else up to four
    in a row or rows of three (the LR sliders under them use `lr_columns`, so each sits under its card)."""
    if presenting:
        return [st.sidebar.container() for _ in range(n_slots)]
    return _rows(n_slots, n_slots if n_slots <= 4 else 3)


def lr_columns(n_slots: int, presenting: bool) -> list:
    """Where the LR sliders go: under their cards, or on a projector two in a row in the drawer under the
    map (the one of the fragment's drawers: a fragment cannot write to the sidebar)."""
    if presenting:
        with st.expander(t("present.lr_drawer"), icon=":material/tune:"):
            return _rows(n_slots, LR_PER_ROW_PRESENTING)
    return _rows(n_slots, n_slots if n_slots <= 4 else 3)


def _rows(n: int, per_row: int) -> list:
    columns: list = []
    for first in range(1, n + 1, per_row):
        columns += st.columns(per_row)[: n - first + 1]
    return columns


@lru_cache(maxsize=256)  # slots × rules × surfaces' scales in use: a few hundred small objects at most
def lr_setting(i: int, name: str, scales: tuple[float, float]) -> Setting:
    """Optimizer i's LR slider, named after its rule: with more than four optimizers the sliders sit in
    rows of their own below the cards. Made once, as every change of the map's fragment reads it."""
    setting = next(s for s in slot_settings(i, name, scales) if s.key == f"o{i}_lr")
    return dataclasses.replace(setting, label=lambda: t("pg.lr_of", name=optimizer_label(name)))


def step_setting(steps: int) -> Setting:
    """The inspected step, 0 to the run's length (its default: the end)."""
    return Setting("t", "int", steps, "pg.inspect", low=0, high=steps, widget="slider")


def step_row(state, setting: Setting, steps: int, presenting: bool) -> None:
    """The inspected step: step back (←), play / pause (Space), step forward (→) and the slider. On a
    projector one slim row: the buttons show their keys, the slider its value and no label."""
    keys, scrub = st.columns([2, 5] if presenting else [1, 3], vertical_alignment="bottom")
    with keys.container(horizontal=True, gap="small"):
        shortcuts.button(
            shortcuts.STEP_BACK,
            "",
            key="step_back",
            icon=":material/chevron_left:",
            on_click=nudge,
            args=(-1, steps),
        )
        shortcuts.button(
            shortcuts.PLAY_PAUSE,
            t("fig.pause") if playing() else t("fig.play"),
            key="step_play",
            icon=":material/pause:" if playing() else ":material/play_arrow:",
            on_click=toggle_play,
            args=(steps,),
            type="primary" if playing() else "secondary",
        )
        shortcuts.button(
            shortcuts.STEP_FORWARD,
            "",
            key="step_fwd",
            icon=":material/chevron_right:",
            on_click=nudge,
            args=(1, steps),
        )
    state.widget(setting, scrub, label_visibility="collapsed" if presenting else "visible")
