"""What one browser session of the Training page keeps between reruns: the open run (run=<id> in the URL),
the metrics of the runs on screen read so far, and the one callback buttons use to set a value."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.shared.settings import Setting
from app.views.training.frames import empty_metrics, merge_metrics
from app.views.training.resources import job_manager

RUN = Setting("run", "int", 0, "tr.run", low=0, high=10**12)  # the open run; 0: none
_METRICS = "_tr_metrics"  # session state: run id -> (the last row read, its metrics frame)


def presenter() -> bool:
    """Presenter mode (app/main.py's global setting): larger type, panels one under the other."""
    return bool(st.session_state.get("present", False))


def set_value(key: str, value) -> None:
    """A button's on_click: set a widget's value before the rerun draws it."""
    st.session_state[key] = value


def metrics_of(run: int) -> pd.DataFrame:
    """The run's metrics: what this session read before plus the rows written since."""
    cache = st.session_state.setdefault(_METRICS, {})
    since, frame = cache.get(run, (0, None))
    new = job_manager().store.read_metrics(run, since_row=since)
    if len(new):
        since, frame = int(new["row"].max()), merge_metrics(frame, new)
    elif frame is None:
        frame = empty_metrics()
    cache[run] = (since, frame)
    return frame


def forget_metrics(run: int) -> None:
    """Read the run's metrics anew (its steps after a checkpoint are redone, or it is gone)."""
    st.session_state.get(_METRICS, {}).pop(run, None)


def keep_metrics_of(*runs: int) -> None:
    """Keep only these runs' metrics in this session."""
    cached = st.session_state.get(_METRICS, {})
    for stale in [k for k in cached if k not in runs]:
        del cached[stale]
