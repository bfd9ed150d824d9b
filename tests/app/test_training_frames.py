"""Unit tests of the Training page's frames: a run's metrics read in pieces (RunSeries), shared by the
server's sessions (SharedMetrics), and thinned for the charts (thin_index, step_frame)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.views.training.frames import LaneView, RunSeries, points_per_lane, step_frame, thin_index
from app.views.training.session import SharedMetrics
from optim_core.smoothing import ema

LANES = [LaneView("SGD", "sgd", "SGD", 64), LaneView("Adam", "adam", "Adam", 64)]


def rows(lane: str, steps, first_row: int, name: str = "train_loss", per_epoch: int = 100) -> pd.DataFrame:
    steps = np.asarray(list(steps))
    return pd.DataFrame(
        {
            "row": np.arange(first_row, first_row + len(steps)),
            "optimizer": lane,
            "step": steps,
            "epoch": (steps - 1) // per_epoch + 1,
            "name": name,
            "value": np.sin(steps) + steps / 100.0,
        }
    )


def test_metrics_read_in_pieces_equal_one_read():
    whole = pd.concat([rows("SGD", range(1, 301), 1), rows("Adam", range(1, 301), 301)], ignore_index=True)
    once = RunSeries().extended(whole)
    pieces = RunSeries()
    for start in range(0, len(whole), 37):
        pieces = pieces.extended(whole.iloc[start : start + 37])
    assert pieces.rows == once.rows == 600
    for lane in ("SGD", "Adam"):
        a, b = once.get(lane, "train_loss"), pieces.get(lane, "train_loss")
        assert a.step.tolist() == b.step.tolist() == list(range(1, 301))
        assert a.value.tolist() == b.value.tolist()
    assert pieces.extended(whole.iloc[:0]) is pieces  # no new rows: the same object
    assert not once.has("lr") and once.has("train_loss") and once.size() == 600


def test_a_resumed_run_rewrites_the_steps_after_its_checkpoint():
    read = RunSeries().extended(rows("SGD", range(1, 151), 1))  # read up to step 150, then stopped
    rewritten = rows("SGD", range(101, 121), 1000)  # resumed from the checkpoint at step 100
    rewritten["value"] = -1.0
    after = read.extended(rewritten)
    series = after.get("SGD", "train_loss")
    assert series.step.tolist() == list(range(1, 121))  # steps 121-150 of the first part are gone
    assert (series.value[100:] == -1.0).all() and (series.value[:100] != -1.0).all()
    assert read.get("SGD", "train_loss").step.tolist() == list(range(1, 151))  # the old one unchanged


def test_thinning_keeps_a_spike_the_first_and_the_last_point():
    values = np.linspace(1.0, 0.1, 10_000)
    values[4321] = 50.0  # a spike (a diverging step) between two every-k-th points
    values[7777] = -3.0
    kept = thin_index(values, 200)
    assert len(kept) <= 202
    assert {0, 4321, 7777, 9999} <= set(kept.tolist())
    assert (np.diff(kept) > 0).all()
    assert thin_index(values[:150], 200).tolist() == list(range(150))


def test_step_frame_thins_each_lane_and_smooths_over_all_points():
    metrics = RunSeries().extended(
        pd.concat([rows("SGD", range(1, 2001), 1), rows("Adam", range(1, 2001), 2001)], ignore_index=True)
    )
    limit = points_per_lane(len(LANES))
    frame = step_frame(metrics, "train_loss", LANES, beta=0.9, max_points=limit).to_pandas()
    for lane in ("SGD", "Adam"):
        own = frame[frame["lane"] == lane]
        assert 0.8 * limit <= len(own) <= limit + 2
        assert own["x"].iloc[0] == 1 and own["x"].iloc[-1] == 2000
        full = metrics.get(lane, "train_loss").value
        at = own["x"].to_numpy().astype(int) - 1
        assert own["y"].tolist() == pytest.approx(full[at].tolist(), rel=1e-6)
        assert own["smooth"].tolist() == pytest.approx(ema(full, 0.9)[at].tolist(), rel=1e-6)
    assert frame["lane"].cat.categories.tolist() == ["SGD", "Adam"]


def test_the_shared_metrics_keep_the_runs_viewed_lately():
    class Store:
        path = "/runs"

        def __init__(self):
            self.reads = []

        def read_metrics(self, run, since_row=0):
            self.reads.append((run, since_row))
            return rows("SGD", range(1, 11), 1) if since_row == 0 else rows("SGD", [], 11)

    store, shared = Store(), SharedMetrics(max_runs=2, max_values=25)
    assert shared.read(store, 1).size() == 10
    assert shared.read(store, 1).rows == 10
    assert store.reads == [(1, 0), (1, 10)]  # the second viewer asks only for newer rows
    shared.read(store, 2)
    shared.read(store, 3)  # over max_values: the least recently viewed run goes
    assert shared.read(store, 1).rows == 10 and store.reads[-1] == (1, 0)  # read again from the start
    shared.forget(store, 1)
    shared.read(store, 1)
    assert store.reads[-1] == (1, 0)


def test_polls_within_the_freshness_window_share_one_read_of_the_store():
    """30 viewers polling a run every 1.5 s: a poll takes the rows another viewer read less than max_age
    ago; a read that is not a poll (max_age 0: a finished run drawn once) always asks the store."""

    class Store:
        path = "/runs"

        def __init__(self):
            self.reads, self.written = [], 10

        def read_metrics(self, run, since_row=0):
            self.reads.append(since_row)
            return rows("SGD", range(since_row + 1, self.written + 1), since_row + 1)

    store, shared = Store(), SharedMetrics()
    assert shared.read(store, 1, max_age=60.0).rows == 10  # the first read always asks
    store.written = 12
    for _ in range(5):  # other viewers' polls within the window: no store read, the same snapshot
        assert shared.read(store, 1, max_age=60.0).rows == 10
    assert store.reads == [0]
    assert shared.read(store, 1).rows == 12  # not a poll: fresh
    store.written = 13
    assert shared.read(store, 1, max_age=0.0).rows == 13 and store.reads == [0, 10, 12]
