"""The EMA page's third source: the training loss of a run the Training page saved in the run store.

The run here is real: a tiny Trainer run whose metrics go through the same RunStore calls a job uses.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optim_core.smoothing import ema
from optim_core.training.config import RunConfig
from tests.app.apptest import open_view
from tests.app.saved_run import finished_run


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A runs folder with a finished 2-optimizer run, and a queued one the page must not offer."""
    path = tmp_path_factory.mktemp("ema-runs")
    config = RunConfig(
        optimizers=[{"name": "sgd", "label": "SGD"}, {"name": "adam", "label": "Adam"}],
        epochs=2,
        width=0.25,
        max_samples=400,
        metrics_interval_s=0.0,
    )
    store, run = finished_run(path, config)
    queued = store.create_run(config.to_dict())
    losses = store.read_metrics(run, names=["train_loss"])
    series = {
        lane: rows.sort_values("step")["value"].to_numpy() for lane, rows in losses.groupby("optimizer")
    }
    return {"path": path, "run": run, "queued": queued, "series": series}


@pytest.fixture
def runs_env(saved, monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_RUNS_DIR", str(saved["path"]))
    return saved


def ema_page(query: dict) -> AppTest:
    return open_view("ema", query)


def series_chart(at: AppTest) -> dict:
    for chart in at.get("plotly_chart"):
        if chart.proto.id and chart.proto.id.endswith("ema_series"):
            return json.loads(chart.proto.spec)
    raise AssertionError("no series chart")


def trace(spec: dict, meta: str) -> np.ndarray:
    found = next(d for d in spec["data"] if d.get("meta") == meta)
    return np.array([np.nan if v is None else v for v in found["y"]], dtype=float)


def test_the_loss_of_a_saved_run_is_smoothed(runs_env):
    at = ema_page({"source": "run"})
    run = runs_env["run"]
    box = at.selectbox(key="ema_run")
    assert box.value == run
    assert len(box.options) == 1  # the queued run is not offered
    assert box.options[0].startswith(f"#{run} · finished · SGD, Adam")
    assert at.selectbox(key="ema_lane").value == "SGD"
    sgd = runs_env["series"]["SGD"]
    assert len(sgd) == 14  # 2 epochs of 7 steps (400 images, batch 64)
    spec = series_chart(at)
    assert trace(spec, "raw") == pytest.approx(sgd, rel=1e-5)
    assert trace(spec, "ema_hat") == pytest.approx(ema(sgd, 0.9), rel=1e-5)
    assert spec["layout"]["xaxis"]["title"]["text"] == "optimizer step t"
    assert "training loss (SGD)" in spec["layout"]["yaxis"]["title"]["text"]
    at.selectbox(key="ema_lane").set_value("Adam").run()
    assert trace(series_chart(at), "raw") == pytest.approx(runs_env["series"]["Adam"], rel=1e-5)
    assert at.query_params["ema_lane"] == "Adam" and at.query_params["source"] == "run"


def test_the_link_restores_run_and_optimizer(runs_env):
    at = ema_page({"source": "run", "ema_run": str(runs_env["run"]), "ema_lane": "Adam", "beta": "0.5"})
    spec = series_chart(at)
    adam = runs_env["series"]["Adam"]
    assert trace(spec, "raw") == pytest.approx(adam, rel=1e-5)
    assert trace(spec, "ema_hat") == pytest.approx(ema(adam, 0.5), rel=1e-5)


def test_without_saved_runs_the_page_says_so_and_shows_temperatures(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_RUNS_DIR", str(tmp_path))
    at = ema_page({"source": "run"})
    assert any("No finished or stopped training run" in i.value for i in at.info)
    assert len(trace(series_chart(at), "raw")) == 365


def test_chinese_source_label(runs_env):
    at = ema_page({"source": "run", "lang": "zh"})
    assert "训练运行的损失" in at.radio(key="source").options


def test_with_owner_visibility_another_students_run_is_not_offered(runs_env, monkeypatch):
    """OPTIM_LAB_RUN_VISIBILITY=owner: a run this session holds no key for is neither listed nor opened by
    a link naming its id; the instructor's token shows it."""
    monkeypatch.setenv("OPTIM_LAB_RUN_VISIBILITY", "owner")
    monkeypatch.setenv("OPTIM_LAB_ADMIN_TOKEN", "teacher-token")
    at = ema_page({"source": "run", "ema_run": str(runs_env["run"])})
    assert not [box for box in at.selectbox if box.key == "ema_run"]
    assert any("No finished or stopped training run" in i.value for i in at.info)
    assert len(trace(series_chart(at), "raw")) == 365  # the temperatures, not the hidden run's loss
    admin = ema_page({"source": "run", "admin": "teacher-token"})
    assert admin.selectbox(key="ema_run").value == runs_env["run"]
    assert "admin" not in admin.query_params and not admin.warning  # taken out of the URL, no notice
