"""Course-notes formulas against their closed forms, the registry the app reads, and bad input."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import optim_core
from optim_core.schedules import PLATEAU, SCHEDULES, ScheduleError, schedule_fn

T = np.arange(400, dtype=np.float64)


# Each formula written out again here, independently of optim_core.
@pytest.mark.parametrize(
    ("name", "kwargs", "lr", "expected"),
    [
        ("inverse_time", {}, 0.1, 0.1 / (1 + 0.01 * T)),
        ("inverse_time", {"k": 0.5}, 1.0, 1.0 / (1 + 0.5 * T)),
        ("inverse_time", {"k": 0.0}, 0.3, np.full_like(T, 0.3)),
        ("exponential_budget", {}, 0.1, 0.1 * 0.01 ** (T / 300)),
        ("exponential_budget", {"d": 0.5, "T": 100}, 1.0, 0.5 ** (T / 100)),
        ("exponential_budget", {"d": 0.001, "T": 37}, 0.2, 0.2 * np.exp(T / 37 * np.log(0.001))),
        ("power", {}, 0.1, 0.1 * (1 - np.minimum(T, 300) / 300) ** 2),
        ("power", {"T": 100, "p": 1.0}, 1.0, np.clip(1 - T / 100, 0, None)),
        ("power", {"T": 250, "p": 0.5}, 0.4, 0.4 * np.sqrt(np.clip(1 - T / 250, 0, None))),
        ("inverse_sqrt", {}, 0.1, 0.1 / np.sqrt(T + 1)),
        ("inverse_sqrt", {}, 1.0, (T + 1) ** -0.5),
        ("inverse_sqrt", {}, 0.02, 0.02 / np.sqrt(T + 1)),
        ("staircase", {}, 0.1, 0.1 * 0.5 ** np.floor(T / 50)),
        ("staircase", {"d": 0.1, "s": 7}, 1.0, 0.1 ** np.floor(T / 7)),
        ("staircase", {"d": 0.9, "s": 1}, 0.3, 0.3 * 0.9**T),
    ],
)
def test_formula_matches_closed_form(name, kwargs, lr, expected):
    np.testing.assert_allclose(
        optim_core.lr_curve(name, T.size, lr=lr, **kwargs), expected, rtol=1e-12, atol=1e-300
    )


def cosine(lr, eta_min, u, period):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * u / period)) / 2


@pytest.mark.parametrize(
    ("kwargs", "lr", "expected"),
    [
        ({}, 0.1, np.where(T < 10, 0.1 * (0.1 + 0.9 * T / 10), 0.1 / np.sqrt(np.maximum(T - 10, 0) + 1))),
        (
            {
                "warmup_steps": 50,
                "start_factor": 0.01,
                "schedule": "cosine_annealing_lr",
                "schedule_kwargs": {"T_max": 350, "eta_min": 1e-3},
            },
            1.0,
            np.where(T < 50, 0.01 + 0.99 * T / 50, cosine(1.0, 1e-3, T - 50, 350)),
        ),
        (
            {
                "warmup_steps": 1,
                "start_factor": 0.5,
                "schedule": "staircase",
                "schedule_kwargs": {"d": 0.2, "s": 100},
            },
            0.3,
            np.where(T < 1, 0.15, 0.3 * 0.2 ** np.floor((T - 1) / 100)),
        ),
        (
            {
                "warmup_steps": 30,
                "start_factor": 1.0,
                "schedule": "exponential_lr",
                "schedule_kwargs": {"gamma": 0.99},
            },
            0.1,
            np.where(T < 30, 0.1, 0.1 * 0.99 ** (T - 30)),
        ),
    ],
)
def test_warmup_matches_closed_form(kwargs, lr, expected):
    np.testing.assert_allclose(optim_core.lr_curve("warmup", T.size, lr=lr, **kwargs), expected, rtol=1e-12)


def test_formulas_behave_as_the_notes_say():
    budget = optim_core.lr_curve("exponential_budget", 201, lr=0.1, d=0.01, T=200)
    assert budget[200] == pytest.approx(0.1 * 0.01, rel=1e-12)
    assert optim_core.lr_curve("power", 200, T=150)[150:].max() == 0.0
    np.testing.assert_allclose(
        optim_core.lr_curve("staircase", 300, d=0.3, s=40),
        optim_core.lr_curve("step_lr", 300, step_size=40, gamma=0.3),
        rtol=1e-15,
    )


# --- the registry the app reads ------------------------------------------------------------------------


def test_names_and_labels():
    assert {
        "step_lr",
        "multi_step_lr",
        "constant_lr",
        "linear_lr",
        "exponential_lr",
        "polynomial_lr",
        "cosine_annealing_lr",
        "cosine_annealing_warm_restarts",
        "cyclic_lr",
        "one_cycle_lr",
        "sequential_lr",
        "inverse_time",
        "exponential_budget",
        "power",
        "inverse_sqrt",
        "staircase",
        "warmup",
    } == set(SCHEDULES)
    for name, spec in [*SCHEDULES.items(), (PLATEAU.name, PLATEAU)]:
        assert spec.name == name
        assert spec.label["en"] and spec.label["zh"] and spec.latex


def test_latex_has_one_source():
    for spec in SCHEDULES.values():
        assert spec.latex in spec.build.__doc__
    assert PLATEAU.latex in optim_core.reduce_lr_on_plateau.__doc__


@pytest.mark.parametrize("spec", [*SCHEDULES.values(), PLATEAU], ids=lambda s: s.name)
def test_param_specs_describe_real_arguments(spec):
    accepted = inspect.signature(spec.build or optim_core.reduce_lr_on_plateau).parameters
    for param in spec.params:
        assert param.name in accepted and param.name != "lr"
        assert param.kind in {"float", "int", "bool", "choice", "int_list"}
        if param.kind == "choice":
            assert param.default in param.choices
        if param.kind in {"float", "int"} and param.default is not None:
            assert param.low <= param.default <= param.high
        if not param.required:  # the widget starts at torch's (or the function's) own default
            assert accepted[param.name].default == param.default


@pytest.mark.parametrize("name", [n for n in SCHEDULES if n != "sequential_lr"])
def test_widget_defaults_give_a_curve(name):
    kwargs = {p.name: p.default for p in SCHEDULES[name].params if p.default is not None}
    curve = optim_core.lr_curve(name, 300, **kwargs)
    assert curve.shape == (300,) and curve.dtype == np.float64
    assert np.all(np.isfinite(curve)) and np.all(curve >= 0)


MULTIPLIER_CASES = {
    "step_lr": {"step_size": 9},
    "multi_step_lr": {"milestones": [3, 50]},
    "constant_lr": {},
    "linear_lr": {"end_factor": 0.3},
    "exponential_lr": {"gamma": 0.97},
    "polynomial_lr": {"total_iters": 60},
    "cosine_annealing_lr": {"T_max": 40, "eta_min": 0.0},
    "cosine_annealing_warm_restarts": {"T_0": 9, "T_mult": 2},
    "inverse_time": {},
    "exponential_budget": {},
    "power": {},
    "inverse_sqrt": {},
    "staircase": {},
    "sequential_lr": {
        "schedulers": [("linear_lr", {}), ("exponential_lr", {"gamma": 0.9})],
        "milestones": [5],
    },
    "warmup": {},
}


def test_lr_one_gives_the_multiplier_curve():
    assert set(MULTIPLIER_CASES) == {n for n, s in SCHEDULES.items() if s.uses_lr}
    for name, kwargs in MULTIPLIER_CASES.items():
        np.testing.assert_allclose(
            optim_core.lr_curve(name, 120, lr=0.3, **kwargs),
            0.3 * optim_core.lr_curve(name, 120, lr=1.0, **kwargs),
            rtol=1e-12,
            err_msg=name,
        )


def test_absolute_schedules_ignore_lr():
    for name, kwargs in [
        ("cyclic_lr", {"base_lr": 0.01, "max_lr": 1.0, "step_size_up": 5}),
        ("one_cycle_lr", {"max_lr": 1.0, "total_steps": 50}),
    ]:
        assert not SCHEDULES[name].uses_lr
        np.testing.assert_array_equal(
            optim_core.lr_curve(name, 50, lr=0.3, **kwargs), optim_core.lr_curve(name, 50, lr=1.0, **kwargs)
        )


def test_schedule_fn_is_the_curve_per_step():
    kwargs = {"T_0": 7, "T_mult": 2, "eta_min": 0.01}
    lr_at = schedule_fn("cosine_annealing_warm_restarts", **kwargs)
    curve = optim_core.lr_curve("cosine_annealing_warm_restarts", 100, **kwargs)
    assert [lr_at(t) for t in range(100)] == curve.tolist()
    assert lr_at(np.int64(21)) == curve[21]
    for bad_step in (-1, 2.5, "3"):
        with pytest.raises(ValueError, match="step"):
            lr_at(bad_step)


def test_one_cycle_is_defined_up_to_total_steps():
    assert optim_core.lr_curve("one_cycle_lr", 101, max_lr=1.0, total_steps=100).shape == (101,)
    with pytest.raises(ValueError, match="0..100"):
        optim_core.lr_curve("one_cycle_lr", 102, max_lr=1.0, total_steps=100)


# --- bad input -----------------------------------------------------------------------------------------

ERRORS = [
    ("no_such_schedule", {}, "valid choices: step_lr, multi_step_lr"),
    ("step_lr", {"step_size": 10, "gama": 0.5}, "unknown argument.*gama.*valid: lr, step_size, gamma"),
    ("step_lr", {}, "missing required argument.*step_size"),
    ("step_lr", {"step_size": 0}, "step_size must be >= 1"),
    ("step_lr", {"step_size": 10, "lr": -0.1}, "lr must be in"),
    ("step_lr", {"step_size": 10, "lr": float("nan")}, "lr must be a finite number"),
    ("exponential_lr", {"gamma": 0.0}, "gamma must be in"),
    ("multi_step_lr", {"milestones": [30, 30]}, "strictly increasing"),
    ("multi_step_lr", {"milestones": [50, 20]}, "strictly increasing"),
    ("multi_step_lr", {"milestones": [-1, 20]}, r"milestones\[0\] must be >= 0"),
    ("multi_step_lr", {"milestones": 30}, "list of integers"),
    ("constant_lr", {"factor": 1.5}, "factor must be in"),
    ("constant_lr", {"total_iters": 0}, "total_iters must be >= 1"),
    ("linear_lr", {"start_factor": 0.0}, "start_factor must be in"),
    ("polynomial_lr", {"total_iters": 0}, "total_iters must be >= 1"),
    ("cosine_annealing_lr", {"T_max": 0}, "T_max must be >= 1"),
    ("cosine_annealing_warm_restarts", {"T_0": 0}, "T_0 must be >= 1"),
    ("cosine_annealing_warm_restarts", {"T_0": 2.5}, "T_0 must be an integer"),
    ("cosine_annealing_warm_restarts", {"T_0": 10, "T_mult": 0}, "T_mult must be >= 1"),
    ("cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "mode": "sawtooth"}, "mode must be one of 'triangular'"),
    ("cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0}, "step_size_up must be >= 1"),
    ("cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "scale_mode": "epochs"}, "scale_mode must be one of"),
    ("cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "scale_fn": abs}, "unknown argument.*scale_fn"),
    ("one_cycle_lr", {"max_lr": 0.1}, "total_steps, or both epochs and steps_per_epoch"),
    ("one_cycle_lr", {"max_lr": 0.1, "epochs": 3}, "total_steps, or both epochs and steps_per_epoch"),
    ("one_cycle_lr", {"max_lr": 0.1, "total_steps": 0}, "total_steps must be >= 1"),
    ("one_cycle_lr", {"max_lr": 0.1, "total_steps": 100, "pct_start": 1.5}, "pct_start must be in"),
    ("one_cycle_lr", {"max_lr": 0.1, "total_steps": 100, "pct_start": 0.01}, "leaves a phase with no steps"),
    (
        "one_cycle_lr",
        {"max_lr": 0.1, "total_steps": 100, "anneal_strategy": "exp"},
        "anneal_strategy must be",
    ),
    ("sequential_lr", {"schedulers": [("linear_lr", {})], "milestones": [5]}, "one milestone fewer"),
    (
        "sequential_lr",
        {"schedulers": [("linear_lr", {}), ("cosine", {})], "milestones": [5]},
        r"schedulers\[1\]: 'cosine' cannot be sequenced; valid choices: step_lr",
    ),
    (
        "sequential_lr",
        {"schedulers": [("linear_lr", {}), ("warmup", {})], "milestones": [5]},
        "cannot be sequenced",
    ),
    (
        "sequential_lr",
        {"schedulers": [("linear_lr", {"lr": 1.0}), ("power", {})], "milestones": [5]},
        "give lr once",
    ),
    (
        "sequential_lr",
        {"schedulers": [("linear_lr", {}), ("cosine_annealing_lr", {"T_max": 0})], "milestones": [5]},
        "cosine_annealing_lr: T_max must be >= 1",
    ),
    (
        "sequential_lr",
        {"schedulers": [("linear_lr", {}), ("power", {})], "milestones": [0]},
        r"milestones\[0\] must be >= 1",
    ),
    ("sequential_lr", {"schedulers": [], "milestones": []}, "at least one"),
    (
        "sequential_lr",
        {"schedulers": [("linear_lr", {}, 3), ("power", {})], "milestones": [5]},
        r"schedulers\[0\] must be a \(name, kwargs\) pair",
    ),
    ("sequential_lr", {"schedulers": "linear_lr", "milestones": []}, "must be a list of"),
    ("warmup", {"schedule_kwargs": [("k", 1)]}, "schedule_kwargs must be a dict"),
    ("sequential_lr", {"milestones": [5]}, "missing required argument.*schedulers"),
    ("warmup", {"schedule": "one_cycle_lr"}, "schedule must be one of"),
    ("warmup", {"start_factor": 0.0}, "start_factor must be in"),
    ("warmup", {"warmup_steps": 0}, "warmup_steps must be >= 1"),
    (
        "warmup",
        {"schedule": "step_lr", "schedule_kwargs": {"step_size": -3}},
        "step_lr: step_size must be >= 1",
    ),
    ("inverse_time", {"k": -0.1}, "k must be in"),
    ("exponential_budget", {"d": 0.0}, "d must be in"),
    ("power", {"T": 0}, "T must be >= 1"),
    ("staircase", {"s": 0}, "s must be >= 1"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "match"), ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)]
)
def test_bad_arguments_raise_value_error(name, kwargs, match):
    with pytest.raises(ValueError, match=match) as caught:
        optim_core.lr_curve(name, 50, **kwargs)
    assert isinstance(caught.value, ScheduleError)
    if name in SCHEDULES:  # the printed PyTorch code refuses the same arguments
        with pytest.raises(ValueError, match=match):
            SCHEDULES[name].torch_code(kwargs)


@pytest.mark.parametrize("steps", [0, -5, 2.5, "100"])
def test_bad_steps_raise_value_error(steps):
    with pytest.raises(ValueError, match="steps must"):
        optim_core.lr_curve("inverse_sqrt", steps)


def test_torch_code_shows_the_arguments():
    code = SCHEDULES["cosine_annealing_lr"].torch_code({"T_max": 90, "lr": 0.05})
    assert "CosineAnnealingLR(optimizer, T_max=90)" in code and "lr=0.05" in code
    assert "lambda t: 1 / (1 + 0.2 * t)" in SCHEDULES["inverse_time"].torch_code({"k": 0.2})
    assert math.isclose(
        0.2, float(SCHEDULES["staircase"].torch_code({"d": 0.2}).split("lambda t: ")[1].split()[0])
    )
