"""The Schedules page's ReduceLROnPlateau watching the validation loss of a run the Training page saved.

The run is real: a tiny Trainer run whose metrics go through the same RunStore calls a job uses.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from optim_core.schedules import noisy_plateau_series, reduce_lr_on_plateau
from optim_core.training.config import RunConfig
from tests.app.apptest import open_view
from tests.app.saved_run import finished_run


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A runs folder with a finished 2-optimizer run of 6 epochs."""
    path = tmp_path_factory.mktemp("plateau-runs")
    config = RunConfig(
        optimizers=[{"name": "sgd", "label": "SGD"}, {"name": "adam", "label": "Adam"}],
        epochs=6,
        width=0.25,
        max_samples=300,
        metrics_interval_s=0.0,
    )
    store, run = finished_run(path, config)
    rows = store.read_metrics(run, names=["val_loss"])
    series = {lane: part.sort_values("epoch")["value"].tolist() for lane, part in rows.groupby("optimizer")}
    return {"path": path, "run": run, "series": series}


@pytest.fixture
def runs_env(saved, monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_RUNS_DIR", str(saved["path"]))
    return saved


def plateau(at: AppTest) -> list[dict]:
    for element in at.get("plotly_chart"):
        if element.proto.id and "plateau" in element.proto.id:
            return json.loads(element.proto.spec)["data"]
    raise AssertionError("no plateau chart")


def page_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error")
    return " ".join(e.value for kind in kinds for e in at.get(kind))


def test_plateau_watches_the_validation_loss_of_a_saved_run(runs_env):
    # a real loss improves by less than 10% an epoch here: with threshold 0.1 every epoch is a bad one
    query = {"plt_source": "run", "plt_patience": "0", "plt_factor": "0.5", "plt_threshold": "0.1"}
    at = open_view("schedules", query)
    run = runs_env["run"]
    assert at.selectbox(key="plt_run").value == run
    assert at.selectbox(key="plt_run").options[0].startswith(f"#{run} · finished · SGD, Adam")
    assert at.selectbox(key="plt_lane").value == "SGD"
    sgd = runs_env["series"]["SGD"]
    assert len(sgd) == 6  # one validation loss per epoch
    loss, lrs, *_ = plateau(at)
    assert loss["y"] == sgd and loss["name"] == f"Validation loss (SGD, run #{run})"
    expected = reduce_lr_on_plateau(sgd, lr=0.1, patience=0, factor=0.5, threshold=0.1)
    assert lrs["y"] == expected.tolist() and expected[-1] < 0.1  # the run's plateau cut the LR
    assert "will be selectable" not in page_text(at)  # the old promise is kept now
    assert not at.error and not at.exception
    at.selectbox(key="plt_lane").set_value("Adam").run()
    adam = runs_env["series"]["Adam"]
    loss, lrs, *_ = plateau(at)
    assert loss["y"] == adam
    assert lrs["y"] == reduce_lr_on_plateau(adam, lr=0.1, patience=0, factor=0.5, threshold=0.1).tolist()
    assert at.query_params["plt_lane"] == "Adam" and at.query_params["plt_source"] == "run"
    # the synthetic series' settings wait, unused, in the link: no "unknown setting" notice
    at = open_view("schedules", {"plt_source": "run", "plt_seed": "7"})
    assert not at.warning and at.query_params["plt_seed"] == "7"
    at.radio(key="plt_source").set_value("synthetic").run()
    assert plateau(at)[0]["y"] == noisy_plateau_series(100, 7).tolist()


def test_without_saved_runs_plateau_says_so_and_watches_the_synthetic_loss(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_RUNS_DIR", str(tmp_path))
    at = open_view("schedules", {"plt_source": "run"})
    assert any("No finished or stopped training run yet" in i.value for i in at.info)
    loss, *_ = plateau(at)
    assert loss["y"] == noisy_plateau_series(100, 0).tolist()


def test_chinese_source_labels(runs_env):
    at = open_view("schedules", {"plt_source": "run", "lang": "zh"})
    assert at.radio(key="plt_source").options == ["合成", "已保存的运行"]
    loss, *_ = plateau(at)
    assert loss["name"] == f"验证损失(SGD,运行 #{runs_env['run']})"


@pytest.mark.parametrize(
    "query",
    [
        {"plt_source": "run", "plt_run": "999999"},  # a run that is not there (or another store's)
        {"plt_source": "run", "plt_run": "../../etc/passwd"},
        {"plt_source": "run", "plt_run": str(10**30)},
        {"plt_source": "run", "plt_lane": "<script>alert(1)</script>"},
        {"plt_source": "**bold** $x$"},
    ],
)
def test_a_hostile_link_falls_back_with_a_notice(runs_env, query):
    at = open_view("schedules", query)
    assert not at.exception and not at.error
    assert at.warning  # the link's value is named and replaced by the default
    loss, *_ = plateau(at)
    if at.radio(key="plt_source").value == "run":
        assert at.selectbox(key="plt_run").value == runs_env["run"]
        assert loss["y"] == runs_env["series"][at.selectbox(key="plt_lane").value]
    else:
        assert loss["y"] == noisy_plateau_series(100, 0).tolist()
