"""The Training page's landscape panel and the babysitting checks (issue 17): the checks' computations on
their own, then AppTest runs of a finished tiny digits run in a temporary run store."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from app.views.training.babysit import (
    filter_moments,
    filter_mosaic,
    first_layer_filters,
    initial_loss_verdict,
    initial_losses,
)
from app.views.training.frames import LaneView, RunSeries
from optim_core.training.config import RunConfig
from optim_core.training.jobs import get_job_manager
from optim_core.training.landscape.flat import flatten_parameters, parameter_shapes
from optim_core.training.landscape.paths import LanePath, Paths
from optim_core.training.trainer import Trainer
from tests.app.apptest import html_tables, open_view
from tests.app.training_store import training_run_store


# ---- the initial loss ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("loss", "classes", "verdict"),
    [
        (math.log(10), 10, "expected"),
        (2.45, 10, "expected"),  # 6 % above ln 10 = 2.303
        (2.2, 10, "expected"),
        (2.6, 10, "above"),  # 13 % above
        (3.45, 10, "above"),  # 50 % above
        (3.5, 10, "far_above"),
        (9.0, 10, "far_above"),
        (1.5, 10, "low"),
        (0.69, 2, "expected"),
        (float("nan"), 10, "not_finite"),
        (float("inf"), 3, "not_finite"),
    ],
)
def test_initial_loss_verdict(loss, classes, verdict):
    assert initial_loss_verdict(loss, classes) == verdict


def test_initial_loss_needs_two_classes():
    with pytest.raises(ValueError, match="2 classes"):
        initial_loss_verdict(0.0, 1)


def _series(rows: list[tuple[str, int, int, str, float]]) -> RunSeries:
    frame = pd.DataFrame(rows, columns=["optimizer", "step", "epoch", "name", "value"])
    frame.insert(0, "row", range(1, len(frame) + 1))
    return RunSeries().extended(frame)


def test_initial_losses_take_each_lanes_first_step():
    metrics = _series(
        [
            ("Adam", 2, 1, "train_loss", 1.0),
            ("Adam", 1, 1, "train_loss", 2.31),
            ("SGD", 1, 1, "train_loss", 7.0),
            ("SGD", 1, 1, "lr", 0.1),
        ]
    )
    lanes = [LaneView(k, k.lower(), k, 32) for k in ("Adam", "SGD", "RMSprop")]
    checks = initial_losses(metrics, lanes, 10)
    assert [(c.lane, c.loss, c.verdict) for c in checks] == [
        ("Adam", 2.31, "expected"),
        ("SGD", 7.0, "far_above"),
    ]
    assert checks[0].expected == pytest.approx(math.log(10))
    assert checks[1].ratio == pytest.approx(7.0 / math.log(10))


@pytest.mark.parametrize(("batch_norm", "verdicts"), [(False, {"expected"}), (True, {"expected", "above"})])
def test_a_real_runs_initial_loss(batch_norm, verdicts):
    """SmallCNN's initialisation on digits: without BatchNorm the first batch's loss is the chance level
    ln 10, as CS231n says; with it a little above (its unit-variance features feed the last layer)."""
    rows = []

    class Keep:
        def on_metrics(self, new):
            rows.extend(new)

        def on_epoch_end(self, trainer, epoch):
            pass

    config = RunConfig(
        optimizers=[{"name": "sgd"}], epochs=1, batch_size=64, max_samples=128, batch_norm=batch_norm
    )
    Trainer(config, callback=Keep()).run()
    frame = pd.DataFrame(rows, columns=["optimizer", "step", "epoch", "name", "value"])
    frame.insert(0, "row", range(1, len(frame) + 1))
    lanes = [LaneView(label, "sgd", label, 64) for label in frame["optimizer"].unique()]
    (check,) = initial_losses(RunSeries().extended(frame), lanes, 10)
    assert check.verdict in verdicts, check
    if batch_norm:
        assert check.loss > check.expected


# ---- first-layer filters -------------------------------------------------------------------------------
def test_first_layer_filters_shape_and_scale():
    shapes = [("conv.weight", (4, 3, 3, 3)), ("conv.bias", (4,))]
    rng = np.random.default_rng(0)
    flat = rng.normal(size=4 * 27 + 4).astype(np.float32)
    flat[27 * 2 : 27 * 3] = 0.25  # one constant filter
    filters = first_layer_filters(flat, shapes)
    assert filters.shape == (4, 3, 3)
    expected = flat[:108].reshape(4, 3, 3, 3).mean(axis=1)
    for i in (0, 1, 3):
        assert filters[i].min() == 0.0 and filters[i].max() == pytest.approx(1.0)
        span = expected[i].max() - expected[i].min()
        np.testing.assert_allclose(filters[i], (expected[i] - expected[i].min()) / span, atol=1e-6)
    assert (filters[2] == 0.5).all()


def test_first_layer_filters_need_a_convolution():
    with pytest.raises(ValueError, match="not a convolution"):
        first_layer_filters(np.zeros(10), [("fc.weight", (10, 1))])


def test_filter_mosaic_places_each_filter():
    filters = np.stack([np.full((3, 3), v, np.float32) for v in (0.0, 1.0, 0.5, 1.0, 0.0)])
    image = filter_mosaic(filters, columns=2, scale=2, gap=1)
    assert image.dtype == np.uint8
    assert image.shape == (3 * 6 + 4, 2 * 6 + 3)  # 3 rows, 2 columns of 6-pixel cells and the gaps
    assert image[1:7, 1:7].max() == 0 and image[1:7, 8:14].min() == 255
    assert image[15:21, 1:7].max() == 0  # the fifth filter: row 3, column 1
    assert (image[15:21, 8:14] == 128).all()  # no sixth filter: the gap's grey


def test_trained_filters_change_between_epochs():
    """The filters of a real lane at θ₀ and after each epoch (as the recorded paths hold them): the right
    shape, and they move from one moment to the next."""
    config = RunConfig(optimizers=[{"name": "adam"}], epochs=3, batch_size=32, max_samples=160, width=0.25)
    ends = []

    class Keep:
        def on_metrics(self, rows):
            pass

        def on_epoch_end(self, trainer, epoch):
            ends.append(flatten_parameters(next(iter(trainer.models().values()))))

    trainer = Trainer(config, callback=Keep())
    label, model = next(iter(trainer.models().items()))
    shapes, theta0 = tuple(parameter_shapes(model)), flatten_parameters(model)
    trainer.run()
    early = theta0 + 0.01  # a snapshot after an early step: never shown as an epoch
    weights = np.stack([early, *ends])
    lane = LanePath(
        label,
        weights,
        steps=np.array([1, 4, 8, 12]),
        epochs=np.array([1, 1, 2, 3]),
        train_loss=np.full(4, np.nan),
        epoch_end=np.array([False, True, True, True]),
    )
    paths = Paths(theta0, (lane,), shapes)
    moments = filter_moments(paths, label, at_most=4)
    assert [epoch for epoch, _ in moments] == [0, 1, 2, 3]
    assert [epoch for epoch, _ in filter_moments(paths, label, at_most=3)] == [0, 1, 3]
    assert [epoch for epoch, _ in filter_moments(paths, label, at_most=1)] == [0]
    pictures = [first_layer_filters(flat, list(shapes)) for _, flat in moments]
    assert all(p.shape == (4, 3, 3) for p in pictures)
    for before, after in zip(pictures, pictures[1:], strict=False):
        assert np.abs(after - before).max() > 1e-3
    mosaic = filter_mosaic(pictures[-1], columns=4)
    assert mosaic.shape == (3 * 6 + 2, 4 * 3 * 6 + 5)


# ---- the page --------------------------------------------------------------------------------------------
# 2 optimizers, 2 epochs of 4 steps on 200 digits, the narrowest model: a run takes well under a second
TINY = {"lanes": "2", "epochs": "2", "width": "0.25", "subset": "200"}


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    from app.views.training.landscape_requests import landscape_jobs

    with training_run_store(tmp_path_factory, "landscape-runs") as path:
        yield path
        landscape_jobs().shutdown()


@pytest.fixture(scope="module")
def finished_run(runs_dir) -> int:
    at = open_view("training", TINY, timeout=120)
    at.button(key="tr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    run = int(at.query_params["run"])
    record = get_job_manager().wait(run, timeout=120)
    assert record.status == "finished", record.error
    return run


def expander(at, label: str):
    found = [e for e in at.expander if e.label == label]
    assert found, [e.label for e in at.expander]
    return found[0]


def test_a_finished_run_shows_the_initial_loss_check_and_the_filters(finished_run):
    at = open_view("training", {"run": str(finished_run)}, timeout=120)
    checks = expander(at, "Checks: the initial loss and the first layer's filters")
    text = " ".join(m.value for m in checks.markdown) + " ".join(c.value for c in checks.caption)
    assert "$\\ln 10$ = 2.303" in text
    # both lanes share θ₀ and the first batch: one line for both
    assert "**SGD, SGD + momentum**: " in text
    assert "× $\\ln C$)" in text
    images = checks.get("image")
    assert len(images) == 2 * 3  # two lanes: θ₀ and the ends of epochs 1 and 2
    captions = [caption for image in images for caption in image.captions]
    assert captions[:3] == ["θ₀ (start)", "epoch 1", "epoch 2"]
    assert all(url.endswith(".png") for image in images for url in image.value)
    # both lanes start from θ₀: one picture; then they differ
    assert images[0].value == images[3].value and images[1].value != images[4].value


def _surface_of(run: int, plane, bounds, n: int = 5):
    """The surface the landscape worker computes, computed here (the figures' input)."""
    from optim_core.training.data.load import load_dataset
    from optim_core.training.landscape.grid import loss_surface, validation_subset
    from optim_core.training.model import SmallCNN

    record = get_job_manager().store.get_run(run)
    config = RunConfig.from_dict(record.config)
    data = load_dataset(config.dataset, max_samples=config.max_samples)
    x, y = validation_subset(data, 64)
    model = SmallCNN(tuple(data.x_val.shape[1:]), data.n_classes, width=config.width)
    (a0, a1), (b0, b1) = bounds
    return loss_surface(
        model, x, y, plane.origin, plane.u, plane.v, np.linspace(a0, a1, n), np.linspace(b0, b1, n)
    )


@pytest.mark.parametrize("kind", ["runs", "pca", "random"])
def test_the_maps_draw_every_lanes_path_in_its_colour(finished_run, kind):
    from app.shared import theme
    from app.views.training.landscape_figures import drawn_paths, grid_bounds, landscape_3d, landscape_map
    from optim_core.training.landscape.paths import load_paths
    from optim_core.training.landscape.planes import filter_normalized, pca, through_runs

    paths = load_paths(get_job_manager().store.checkpoint_dir(finished_run))
    labels = paths.labels
    plane = {
        "runs": lambda: through_runs(paths, *labels),
        "pca": lambda: pca(paths),
        "random": lambda: filter_normalized(paths, labels[0]),
    }[kind]()
    lanes = [
        LaneView(label, name, label, 64) for label, name in zip(labels, ("sgd", "momentum"), strict=True)
    ]
    styles = [{"colour": theme.optimizer_colour(lane.name), "dash": "solid"} for lane in lanes]
    drawn = drawn_paths(plane, paths, lanes, styles, "{label} · {fraction} off")
    assert [len(p.coords) for p in drawn] == [len(paths.points(label)) for label in labels]
    bounds = grid_bounds(drawn, (0.0, 0.0) if kind == "random" else None, half=plane.scale[0])
    surface = _surface_of(finished_run, plane, bounds)
    text = {key: key for key in ("a_title", "b_title", "metric", "theta0", "end")}
    text |= {"hover_step": "{step} {epoch}", "hover_recorded": "{loss}", "hover_surface": "{value}"}
    text |= {"hover_grid": "{value}"}
    for draw in (landscape_map, landscape_3d):
        figure = draw(surface, "loss", drawn, presenter=False, text=text).to_dict()
        lines = [trace for trace in figure["data"] if "lines" in trace.get("mode", "")]
        assert [trace["line"]["color"] for trace in lines] == [
            theme.optimizer_colour(n) for n in ("sgd", "momentum")
        ]
        assert [len(trace["x"]) for trace in lines] == [len(p.coords) for p in drawn]
    if kind == "runs":  # both lanes define the plane: their ends lie on it, at their exact coordinates
        ends = [p.coords[-1] for p in drawn]
        assert ends[0][1] == pytest.approx(0.0, abs=1e-6) and ends[0][0] > 0
        assert all(p.on_plane for p in drawn) and all(" off" not in p.label for p in drawn)
    else:
        assert all(" off" in p.label for p in drawn)
    picture = landscape_map(surface, "accuracy", drawn, presenter=True, text=text).to_dict()
    assert picture["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert picture["data"][0]["type"] == "heatmap" and len(picture["data"][0]["z"]) == 5


def wait_for(at, done, timeout: float = 120.0):
    import time

    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_landscape_is_computed_by_the_worker_and_draws_one_path_per_lane(finished_run, runs_dir):
    at = open_view("training", {"run": str(finished_run), "land_grid": "9"}, timeout=120)
    panel = expander(at, "Loss landscape")
    captions = " ".join(c.value for c in panel.caption)
    assert "Recorded paths: 2 lanes, 9 snapshots of 678 weights each" in captions
    assert "Not computed yet for this plane and grid" in captions
    assert at.selectbox(key="land_plane").value == "runs"
    table = html_tables(at)[-1]
    assert table.iloc[:, 0].tolist() == ["SGD", "SGD + momentum"] and set(table.iloc[:, 1]) == {"yes"}
    at.button(key="land_compute").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_for(at, lambda at: any(c.proto.id.endswith("land_map") for c in at.get("plotly_chart")))
    figure = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("land_map")).proto.spec)
    paths = [trace for trace in figure["data"] if trace.get("mode") == "lines+markers"]
    assert [trace["name"] for trace in paths] == ["SGD", "SGD + momentum"]
    assert [len(trace["x"]) for trace in paths] == [5, 5]  # θ₀ and 4 snapshots
    assert figure["data"][0]["type"] == "heatmap" and len(figure["data"][0]["z"]) == 9
    assert figure["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert "batch statistics of the 200 validation images" in " ".join(c.value for c in at.caption)
    assert at.query_params["land_grid"] == "9"
    # the 3D toggle redraws the same surface, no new job
    at.toggle(key="land_3d").set_value(True).run()
    figure = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("land_map")).proto.spec)
    assert figure["data"][0]["type"] == "surface"
    assert [t["name"] for t in figure["data"] if t["type"] == "scatter3d"] == ["SGD", "SGD + momentum"]


def test_the_line_between_two_lanes_and_the_other_planes(finished_run):
    at = open_view("training", {"run": str(finished_run), "land_plane": "pca", "land_grid": "5"}, timeout=120)
    notes = " ".join(c.value for c in at.caption)
    assert "explains" in notes and "of their variance" in notes
    table = html_tables(at)[-1]
    assert set(table.iloc[:, 1]) == {"no"}  # PCA: no lane defines the plane, every path is a projection
    at.button(key="land_interp").click().run()
    wait_for(at, lambda at: any(c.proto.id.endswith("land_line") for c in at.get("plotly_chart")))
    line = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("land_line")).proto.spec)
    loss = line["data"][0]
    assert len(loss["x"]) == 41 and loss["x"][0] == -0.5 and loss["x"][-1] == 1.5
    assert [trace["name"] for trace in line["data"][2:]] == ["SGD", "SGD + momentum"]
    assert "Barrier" in " ".join(m.value for m in at.markdown) or "No barrier" in " ".join(
        m.value for m in at.markdown
    )
    random = open_view(
        "training", {"run": str(finished_run), "land_plane": "random", "land_a": "2"}, timeout=120
    )
    assert "around SGD + momentum's end" in " ".join(c.value for c in random.caption)
    same = open_view("training", {"run": str(finished_run), "land_b": "1"}, timeout=120)
    assert "Choose two different lanes." in [i.value for i in same.info]
