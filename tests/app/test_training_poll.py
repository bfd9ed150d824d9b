"""Budget tests of the Training page's poll (issue 15): what a viewer of a running run costs the server.

Every viewer of a queued or running run reruns the page's fragment every 1.5 s. A poll of a run of 3 lanes x
2,000 steps must send at most 50 kB (bytes are deterministic; its CPU time is a benchmark figure, printed by
tests/benchmarks/bench_training_poll.py, not asserted here), and viewers share one copy of a run's metrics.

The page's worker pool is the process's one JobManager: the runs_dir fixture of test_page_training.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from app.views.training.frames import RunSeries
from optim_core.training.store import RunStore
from tests.app.apptest import open_view
from tests.app.training_store import training_run_store
from tests.benchmarks.bench_scripts import load_bench


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-poll-runs") as path:
        yield path


@pytest.fixture(scope="module")
def bench():
    return load_bench("bench_training_poll")


def loss_steps(at) -> dict[str, float]:
    """The last step the loss chart draws, per lane."""
    for chart in at.get("vega_lite_chart"):
        if json.loads(chart.proto.spec).get("name") == "tr_chart_loss":
            frame = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas()
            return frame.groupby("lane", observed=True)["x"].max().to_dict()
    raise AssertionError("no loss chart")


def test_a_poll_of_a_running_run_sends_at_most_50_kB(runs_dir, bench):
    store = RunStore(runs_dir)
    steps = 2000
    run = bench.running_run(store, steps)
    at, meter = bench.open_running(run)
    try:
        for i in range(2):
            bench.write_steps(store, run, steps + i * bench.STEPS_PER_POLL, bench.STEPS_PER_POLL)
            bench.next_poll()  # polls are 1.5 s apart: each reads the rows written since
            at.run()
            assert not at.exception, [e.value for e in at.exception]
    finally:
        bench.close(meter)
        store.mark_status(run, "stopped")  # no run of this process stays "running" after the test
    first, *polls = meter.polls
    assert len(polls) == 2
    for poll in polls:
        assert poll["bytes"] <= bench.TARGET_BYTES, poll
        # no help from the browser's cache of large messages: a poll is small by itself
        assert poll["bytes_uncached"] <= bench.TARGET_BYTES, poll
    # each poll drew the steps the run added since the one before
    newest = steps + 2 * bench.STEPS_PER_POLL
    assert loss_steps(at) == {label: newest for label in bench.lane_labels(store, run)}


def test_viewers_of_a_run_share_one_copy_of_its_metrics(runs_dir, bench):
    from app.views.training.session import shared_metrics

    store = RunStore(runs_dir)
    run = bench.running_run(store, 300)
    first, meter = bench.open_running(run)
    try:
        second = open_view("training", {"run": str(run)}, timeout=120)
        bench.write_steps(store, run, 300, bench.STEPS_PER_POLL)
        first.run()
        second.run()
    finally:
        bench.close(meter)
        store.mark_status(run, "stopped")
    held = shared_metrics().read(store, run)
    assert held.rows == int(store.read_metrics(run)["row"].max())
    assert held.size() == len(store.read_metrics(run))
    # a session keeps no copy of its own
    for at in (first, second):
        assert not [key for key, value in at.session_state.items() if holds_metrics(value)]


def holds_metrics(value) -> bool:
    if isinstance(value, (pd.DataFrame, RunSeries)):
        return True
    if isinstance(value, dict):
        return any(holds_metrics(v) for v in value.values())
    return isinstance(value, (tuple, list)) and any(holds_metrics(v) for v in value)
