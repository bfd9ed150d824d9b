"""Budget tests of the Training page's poll on a long run (issue 15): what a viewer is sent stays bounded
however many epochs the run has trained, and the thinned charts still show what matters.

bench_classroom's run (digits at batch 64: an epoch every 23 steps, several epochs a second) had trained
hundreds of epochs by the end of a class: every poll re-sent every epoch of both validation charts, 70-81 kB
a poll. Bytes are deterministic; CPU is a benchmark figure (tests/benchmarks/bench_training_poll.py --long).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from app.views.training.frames import LaneView, RunSeries, epoch_frame, points_per_lane, step_frame
from app.views.training.thinning import SIMPLIFY_SHARE, early_index, simplify_index
from optim_core.training.store import RunStore
from tests.app.training_store import training_run_store
from tests.benchmarks.bench_scripts import load_bench

LONG_BUDGET = 35_000  # issue 15's 50 kB, with room for a run longer still and Streamlit's own messages
LANES = [LaneView("SGD", "sgd", "SGD", 64), LaneView("Adam", "adam", "Adam", 64)]
MODELS = {"raw": "raw", "ema": "EMA"}


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-poll-long-runs") as path:
        yield path


@pytest.fixture(scope="module")
def bench():
    return load_bench("bench_training_poll")


def chart_frames(at) -> dict[str, pd.DataFrame]:
    """Each Vega-Lite chart's data by its spec name."""
    out = {}
    for chart in at.get("vega_lite_chart"):
        name = json.loads(chart.proto.spec).get("name")
        out[name] = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas()
    return out


def test_a_poll_of_a_long_run_stays_small_and_its_charts_end_at_the_newest_step(runs_dir, bench):
    store = RunStore(runs_dir)
    per_epoch, per_poll = bench.LONG_STEPS_PER_EPOCH, bench.LONG_STEPS_PER_POLL
    steps = bench.LONG_EPOCHS * per_epoch
    run = bench.running_run(store, steps, per_epoch)
    at, meter = bench.open_running(run)
    try:
        for i in range(2):  # each poll brings a new epoch
            bench.write_steps(store, run, steps + i * per_poll, per_poll, per_epoch)
            bench.next_poll()
            at.run()
            assert not at.exception, [e.value for e in at.exception]
    finally:
        bench.close(meter)
        store.mark_status(run, "stopped")
    first, *polls = meter.polls
    assert len(polls) == 2
    for poll in polls:
        assert poll["bytes"] <= LONG_BUDGET, poll
        assert poll["bytes_uncached"] <= LONG_BUDGET, poll
    newest = steps + 2 * per_poll
    stored = store.read_metrics(run)
    shown = chart_frames(at)
    for lane, rows in stored.groupby("optimizer"):
        loss = shown["tr_chart_loss"][shown["tr_chart_loss"]["lane"] == lane]
        assert loss["x"].max() == newest
        acc = shown["tr_chart_acc"][shown["tr_chart_acc"]["lane"] == lane]
        val_acc = rows[rows["name"] == "val_acc"]
        assert acc["epoch"].max() == val_acc["epoch"].max() == (newest // per_epoch)
        # thinned, yet the best epoch and the lowest validation loss are drawn
        assert len(acc) <= points_per_lane(3, per_epoch=True) + 2 < len(val_acc)
        assert acc["acc"].max() == pytest.approx(val_acc["value"].max(), rel=1e-6)
        val_loss = shown["tr_chart_val_loss"][shown["tr_chart_val_loss"]["lane"] == lane]
        lowest = rows[rows["name"] == "val_loss"]["value"].min()
        assert val_loss["loss"].min() == pytest.approx(lowest, rel=1e-6)
    # each validation chart is sent its own column only
    assert "loss" not in shown["tr_chart_acc"] and "acc" not in shown["tr_chart_val_loss"]


def epochs(lane: str, values: np.ndarray, name: str, first_row: int) -> pd.DataFrame:
    epoch = np.arange(1, len(values) + 1)
    return pd.DataFrame(
        {
            "row": np.arange(first_row, first_row + len(values)),
            "optimizer": lane,
            "step": epoch * 10,
            "epoch": epoch,
            "name": name,
            "value": values,
        }
    )


def test_epoch_frames_of_a_long_run_keep_the_best_the_worst_and_the_last_epoch():
    rng = np.random.default_rng(0)
    acc = 0.9 - 0.5 * np.exp(-np.arange(1, 1001) / 50) + 0.01 * rng.random(1000)
    acc[612] = 0.99  # the best epoch, between two buckets' ends
    acc[377] = 0.05  # a collapse
    metrics = RunSeries().extended(
        pd.concat([epochs("SGD", acc, "val_acc", 1), epochs("Adam", acc[::-1], "val_acc", 1001)])
    )
    limit = 40
    frame = epoch_frame(metrics, LANES, MODELS, "acc", max_points=limit).to_pandas()
    assert list(frame.columns) == ["epoch", "lane", "model", "acc"]
    sgd = frame[frame["lane"] == "SGD"]
    assert len(sgd) <= limit + 2
    assert {1, 378, 613, 1000} <= set(sgd["epoch"].tolist())
    assert sgd["acc"].max() == pytest.approx(0.99) and sgd["acc"].min() == pytest.approx(0.05)
    assert (np.diff(sgd["epoch"]) > 0).all()
    # a run of no more epochs than the chart draws is drawn whole
    assert len(epoch_frame(metrics, LANES, MODELS, "acc", max_points=1000).to_pandas()) == 2000
    assert len(epoch_frame(metrics, LANES, MODELS, "acc", max_points=999).to_pandas()) < 1000


def lr_rows(lane: str, values: np.ndarray, first_row: int) -> pd.DataFrame:
    steps = np.arange(1, len(values) + 1)
    return pd.DataFrame(
        {
            "row": np.arange(first_row, first_row + len(values)),
            "optimizer": lane,
            "step": steps,
            "epoch": (steps - 1) // 100 + 1,
            "name": "lr",
            "value": values,
        }
    )


def test_a_learning_rate_is_sent_as_the_points_its_line_needs():
    steps = np.arange(1, 3001)
    cosine = 1e-4 + 0.5 * (0.1 - 1e-4) * (1 + np.cos(np.pi * steps / 3000))
    metrics = RunSeries().extended(
        pd.concat([lr_rows("SGD", np.full(3000, 0.05), 1), lr_rows("Adam", cosine, 3001)])
    )
    limit = points_per_lane(2)
    frame = step_frame(metrics, "lr", LANES, positive=True, max_points=limit, simplify=True).to_pandas()
    constant = frame[frame["lane"] == "SGD"]
    assert constant["x"].tolist() == [1, 3000] and constant["y"].tolist() == pytest.approx([0.05, 0.05])
    schedule = frame[frame["lane"] == "Adam"]
    assert schedule["x"].iloc[0] == 1 and schedule["x"].iloc[-1] == 3000
    assert 5 < len(schedule) < limit / 2
    # the line through the kept points is within the tolerance of the thinned line (log10, as drawn)
    thinned = step_frame(metrics, "lr", LANES, positive=True, max_points=limit).to_pandas()
    thinned = thinned[thinned["lane"] == "Adam"]
    assert len(thinned) > 2 * len(schedule)
    full = np.log10(thinned["y"].to_numpy(float))
    drawn = np.interp(thinned["x"], schedule["x"], np.log10(schedule["y"].to_numpy(float)))
    assert np.abs(drawn - full).max() <= SIMPLIFY_SHARE * np.ptp(full) * (1 + 1e-6)


def test_simplify_keeps_a_step_and_the_ends():
    x = np.arange(10.0)
    y = np.array([1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])  # a step schedule
    assert simplify_index(x, y).tolist() == [0, 3, 4, 9]
    assert simplify_index(x[:2], y[:2]).tolist() == [0, 1]


def test_a_long_runs_validation_curve_keeps_its_first_epochs():
    """Uniform buckets of a 1,000-epoch run would draw its first 40 epochs, where it learns, as 2 points."""
    loss = 0.1 + 2.4 * np.exp(-np.arange(1000) / 4.0)
    metrics = RunSeries().extended(epochs("SGD", loss, "val_loss", 1))
    frame = epoch_frame(metrics, LANES[:1], MODELS, "loss", max_points=50).to_pandas()
    assert len(frame) <= 52
    early = frame[frame["epoch"] <= 20]
    assert len(early) >= 6
    # between the points drawn, the line is never far from the curve
    drawn = np.interp(np.arange(1, 1001), frame["epoch"], frame["loss"].to_numpy(float))
    assert np.abs(drawn - loss).max() < 0.05 * np.ptp(loss)
    # geometric buckets: 1, 2, 3-4, 5-9, 10-19, ...: the first points alone
    kept = early_index(np.arange(100.0)[::-1], 6).tolist()
    assert kept[:4] == [0, 1, 2, 3] and kept[-1] == 99 and len(kept) <= 14
