"""reduce_lr_on_plateau equals torch's ReduceLROnPlateau epoch for epoch; the built-in loss series."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from optim_core import reduce_lr_on_plateau
from optim_core.schedules import PLATEAU, ScheduleError, noisy_plateau_series


def torch_plateau_lrs(metrics, lr: float, **kwargs) -> np.ndarray:
    """The LR used in each epoch of a torch loop that calls scheduler.step(metric) after the epoch."""
    param = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
        lrs = []
        for metric in metrics:
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step(metric)
    return np.array(lrs)


LOSS = noisy_plateau_series(300, seed=0)
ACCURACY = 1.0 - noisy_plateau_series(300, seed=3) / 3.0
STEPPED = np.repeat(
    [1.0, 0.8, 0.79995, 0.7, 0.7, 0.69], 25
)  # plateaus, one "improvement" below rel threshold

CASES = [
    (LOSS, 0.1, {}),
    (LOSS, 0.1, {"patience": 3, "factor": 0.5, "cooldown": 5}),
    (noisy_plateau_series(300, seed=7, noise=0.1), 1.0, {"patience": 2, "factor": 0.7, "cooldown": 10}),
    (LOSS, 0.1, {"threshold_mode": "abs", "threshold": 0.01, "patience": 4}),
    (ACCURACY, 0.1, {"mode": "max", "patience": 5, "factor": 0.5}),
    (
        ACCURACY,
        0.5,
        {"mode": "max", "threshold_mode": "abs", "threshold": 0.002, "patience": 3, "cooldown": 2},
    ),
    (LOSS, 0.1, {"patience": 1, "factor": 0.3, "min_lr": 0.004}),
    (LOSS, 0.1, {"patience": 0, "factor": 0.9, "eps": 0.012}),  # cuts of 0.01 are below eps: skipped
    (STEPPED, 0.1, {"patience": 10, "factor": 0.5, "threshold": 1e-3}),
    (
        STEPPED,
        0.1,
        {
            "patience": 0,
            "factor": 0.5,
            "cooldown": 3,
            "min_lr": 0.01,
            "threshold_mode": "abs",
            "threshold": 0.0,
        },
    ),
    (np.array([2.0, np.nan, 1.0, np.inf, 1.0, 1.0, 0.5, np.nan, np.nan]), 0.1, {"patience": 1}),
]


@pytest.mark.parametrize(("metrics", "lr", "kwargs"), CASES, ids=[str(c[2])[:50] for c in CASES])
def test_matches_torch(metrics, lr, kwargs):
    theirs = torch_plateau_lrs(metrics, lr, **kwargs)
    ours = reduce_lr_on_plateau(metrics, lr=lr, **kwargs)
    assert ours.shape == (len(metrics),) and ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_cases_do_cut_the_lr():
    # a parity test on a flat LR line would prove little
    cut = [len(np.unique(reduce_lr_on_plateau(m, lr=lr, **kw))) > 1 for m, lr, kw in CASES]
    assert sum(cut) >= len(CASES) - 1  # only the eps case may stay flat


def test_element_t_is_the_lr_before_step_t():
    lrs = reduce_lr_on_plateau([1.0, 2.0, 2.0], lr=0.1, patience=0)
    # epoch 0 sets the best; epoch 1 is worse -> cut after it, seen in epoch 2
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01])


def test_min_lr_is_a_floor_and_cooldown_waits():
    lrs = reduce_lr_on_plateau(np.ones(40), lr=1.0, patience=0, factor=0.5, cooldown=4, min_lr=0.1)
    assert lrs.min() == pytest.approx(0.1)
    cut_epochs = np.flatnonzero(np.diff(lrs)) + 1
    assert np.all(np.diff(cut_epochs) == 5)  # one cut, then 4 cooldown epochs, then the next cut


def test_printed_torch_code_runs_and_matches():
    kwargs = {"lr": 0.2, "mode": "min", "patience": 2, "cooldown": 1, "factor": 0.5}
    namespace = {"model": torch.nn.Linear(2, 1).double()}
    exec(PLATEAU.torch_code(kwargs), namespace)  # noqa: S102 - our own generated snippet
    optimizer, scheduler = namespace["optimizer"], namespace["scheduler"]
    theirs = []
    for metric in LOSS:
        theirs.append(optimizer.param_groups[0]["lr"])
        scheduler.step(metric)
    np.testing.assert_allclose(reduce_lr_on_plateau(LOSS, **kwargs), theirs, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"factor": 1.0}, "factor must be in"),
        ({"factor": 1.5}, "factor must be in"),
        ({"factor": -0.1}, "factor must be in"),
        ({"mode": "avg"}, "mode must be one of 'min', 'max'"),
        ({"threshold_mode": "pct"}, "threshold_mode must be one of 'rel', 'abs'"),
        ({"patience": -1}, "patience must be >= 0"),
        ({"cooldown": 1.5}, "cooldown must be an integer"),
        ({"lr": -0.1}, "lr must be in"),
        ({"min_lr": -1e-3}, "min_lr must be in"),
        ({"eps": -1.0}, "eps must be in"),
        ({"threshold": -1e-4}, "threshold must be in"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ScheduleError, match=match):
        reduce_lr_on_plateau(LOSS, **kwargs)
    with pytest.raises(ValueError, match=match):
        PLATEAU.torch_code(kwargs)


@pytest.mark.parametrize("metrics", [[], np.ones((3, 2)), 5.0])
def test_bad_metrics_raise_value_error(metrics):
    with pytest.raises(ValueError, match="metrics must be a non-empty 1-D"):
        reduce_lr_on_plateau(metrics)


def test_noisy_plateau_series_is_seeded_and_plateaus():
    series = noisy_plateau_series(400, seed=5)
    assert series.shape == (400,) and series.dtype == np.float64 and np.all(series > 0)
    np.testing.assert_array_equal(series, noisy_plateau_series(400, seed=5))
    assert not np.allclose(series, noisy_plateau_series(400, seed=6))
    # falls fast from about 2.0, then is flat (up to noise) around 0.4
    assert series[:5].mean() > 1.5
    late = series[240:]
    assert abs(late.mean() - 0.4) < 0.01 and abs(np.polyfit(np.arange(late.size), late, 1)[0]) < 1e-4
    assert np.std(late / 0.4) == pytest.approx(0.03, rel=0.2)
    np.testing.assert_array_equal(
        noisy_plateau_series(50, seed=1, noise=0.0), 0.4 + 1.6 * np.exp(-np.arange(50) / 5.0)
    )


@pytest.mark.parametrize(
    ("args", "match"),
    [((0, 1), "n must be >= 1"), ((10, -1), "seed must be >= 0"), ((10.5, 1), "n must be an integer")],
)
def test_noisy_plateau_series_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        noisy_plateau_series(*args)
