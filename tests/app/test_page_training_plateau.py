"""The Training page offers ReduceLROnPlateau in its schedule choice: its settings in the URL, stepped
once per epoch on each lane's validation loss (a real tiny run through the job queue, in a temporary run
store: the runs_dir pattern of test_page_training.py, since the worker pool is one per process)."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

from optim_core.training.jobs import get_job_manager
from optim_core.training.store import RunStore
from tests.app.apptest import open_view
from tests.app.training_store import training_run_store

# 2 optimizers, 3 epochs on 200 digits, the narrowest model
TINY = {"lanes": "2", "epochs": "3", "width": "0.25", "subset": "200"}
PLATEAU = {
    "lrs": "reduce_lr_on_plateau",
    "lrs_mode": "min",
    "lrs_factor": "0.5",
    "lrs_patience": "0",
    "lrs_threshold": "0.1",
}


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-runs") as path:
        yield path


def training(query: dict | None = None) -> AppTest:
    return open_view("training", query, timeout=120)


def test_the_sidebar_offers_reduce_on_plateau_and_a_run_steps_it_on_each_lanes_val_loss(runs_dir):
    at = training({**TINY, **PLATEAU})
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert at.selectbox(key="lrs").value == "reduce_lr_on_plateau"
    assert any("once per epoch" in c.value for c in at.caption)
    assert not [r for r in at.radio if r.key == "lrs_unit"]  # always per epoch: no unit to pick
    at.button(key="tr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run = int(at.query_params["run"])
    get_job_manager().wait(run, timeout=120)
    store = RunStore(runs_dir)
    config = store.get_run(run).config
    assert config["schedule"] == "reduce_lr_on_plateau" and config["schedule_unit"] == "epoch"
    kwargs = config["schedule_kwargs"]
    assert (kwargs["mode"], kwargs["factor"], kwargs["patience"], kwargs["threshold"]) == ("min", 0.5, 0, 0.1)
    metrics = store.read_metrics(run)
    cuts = 0
    for lane in metrics["optimizer"].unique():
        rows = metrics[metrics["optimizer"] == lane]
        losses = rows[rows["name"] == "val_loss"].sort_values("epoch")["value"].tolist()
        lrs = rows[rows["name"] == "lr"].sort_values("step")
        assert len(losses) == 3
        # torch's ReduceLROnPlateau fed the lane's validation losses sets the LR of each epoch
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=float(lrs["value"].iloc[0]))
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=0.5, patience=0, threshold=0.1
        )
        for epoch, loss in enumerate(losses, start=1):
            assert set(lrs[lrs["epoch"] == epoch]["value"]) == {optimizer.param_groups[0]["lr"]}
            scheduler.step(loss)
        cuts += len(set(lrs["value"])) - 1
    assert cuts > 0
    # the run's link reopens its plateau settings in the sidebar
    again = training({"run": str(run)})
    assert again.selectbox(key="lrs").value == "reduce_lr_on_plateau"
    assert not again.exception
    # its caption names the schedule as the sidebar does, not by its code name
    captions = " ".join(c.value for c in again.caption)
    assert "schedule Reduce on plateau (ReduceLROnPlateau)" in captions
    assert "reduce_lr_on_plateau" not in captions
