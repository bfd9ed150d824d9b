"""What one browser session of the Training page keeps between reruns, and the run metrics all sessions
share: the open run (run=<id> in the URL), and the one callback buttons use to set a value.

The metrics read so far of the runs on screen live once per process (SharedMetrics), not once per
session: a class watching one run reads and decodes each new row once, and a session that ends leaves
nothing behind.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import streamlit as st

from app.shared.settings import Setting
from app.views.training.frames import RunSeries
from app.views.training.resources import job_manager

RUN = Setting("run", "int", 0, "tr.run", low=0, high=10**12)  # the open run; 0: none
# A poll takes a running run's rows as another viewer read them up to this long ago, instead of asking
# the store again: 30 viewers polling every 1.5 s then cost ~2 store reads a second, not 20, and each
# snapshot's charts are built once for all of them (charts.memo). A viewer is at most this much later.
POLL_FRESHNESS_S = 0.5


def presenter() -> bool:
    """Presenter mode (app/main.py's global setting): larger type, panels one under the other."""
    return bool(st.session_state.get("present", False))


def set_value(key: str, value) -> None:
    """A button's on_click: set a widget's value before the rerun draws it."""
    st.session_state[key] = value


class SharedMetrics:
    """The RunSeries of the runs viewed lately, by (run store, run), least recently viewed dropped first:
    at most max_runs runs and max_values values in all (the run viewed now is always kept)."""

    def __init__(self, max_runs: int = 8, max_values: int = 2_000_000):  # 2M values: 32 MB
        self.max_runs, self.max_values = max_runs, max_values
        self._runs: OrderedDict[tuple[str, int], RunSeries] = OrderedDict()
        self._lock = threading.Lock()  # one reader of the store at a time: the others then find its rows
        self._read_at: dict[tuple[str, int], float] = {}  # when each run's rows were last read

    def read(self, store, run: int, max_age: float = 0.0) -> RunSeries:
        """The run's metrics: what was read before plus the rows written since; with max_age > 0, what
        was read at most max_age seconds ago, without asking the store."""
        key = (str(store.path), run)
        with self._lock:
            series = self._runs.get(key, RunSeries())
            now = time.monotonic()
            if key not in self._runs or now - self._read_at.get(key, -float("inf")) >= max_age:
                series = series.extended(store.read_metrics(run, since_row=series.rows))
                self._read_at[key] = now
            self._runs[key] = series
            self._runs.move_to_end(key)
            while len(self._runs) > 1 and self._over():
                gone, _ = self._runs.popitem(last=False)  # the least recently viewed
                self._read_at.pop(gone, None)
        return series

    def _over(self) -> bool:
        values = sum(series.size() for series in self._runs.values())
        return len(self._runs) > self.max_runs or values > self.max_values

    def forget(self, store, run: int) -> None:
        with self._lock:
            self._runs.pop((str(store.path), run), None)
            self._read_at.pop((str(store.path), run), None)


@st.cache_resource(show_spinner=False)
def shared_metrics() -> SharedMetrics:
    """The process's one SharedMetrics."""
    return SharedMetrics()


def metrics_of(run: int, polling: bool = False) -> RunSeries:
    """The run's metrics: what the server read before plus the rows written since (polling: as read by
    any viewer within POLL_FRESHNESS_S)."""
    return shared_metrics().read(job_manager().store, run, POLL_FRESHNESS_S if polling else 0.0)


def forget_metrics(run: int) -> None:
    """Read the run's metrics anew (its steps after a checkpoint are redone, or it is gone)."""
    shared_metrics().forget(job_manager().store, run)
