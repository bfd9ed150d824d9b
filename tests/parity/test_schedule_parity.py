"""Every torch-backed schedule equals torch.optim.lr_scheduler's LR sequence, step for step.

The torch side is an ordinary training loop over a float64 dummy parameter: record
param_groups[0]["lr"], then optimizer.step(), then scheduler.step(). Tolerance: 1e-9 relative (plus 1e-15
absolute, for values that are exactly 0 in one form and ~1e-17 in the other).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as S

import optim_core
from optim_core.schedules import SCHEDULES

STEPS = 300

# name -> torch constructor. Cyclic ones need cycle_momentum=False: plain SGD has no momentum to cycle.
TORCH = {
    "step_lr": S.StepLR,
    "multi_step_lr": S.MultiStepLR,
    "constant_lr": S.ConstantLR,
    "linear_lr": S.LinearLR,
    "exponential_lr": S.ExponentialLR,
    "polynomial_lr": S.PolynomialLR,
    "cosine_annealing_lr": S.CosineAnnealingLR,
    "cosine_annealing_warm_restarts": S.CosineAnnealingWarmRestarts,
    "cyclic_lr": lambda opt, **kw: S.CyclicLR(opt, **{**kw, "cycle_momentum": False}),
    "one_cycle_lr": lambda opt, **kw: S.OneCycleLR(opt, **{**kw, "cycle_momentum": False}),
    # course-notes formulas run in torch as LambdaLR multipliers, written here independently
    "inverse_sqrt": lambda opt: S.LambdaLR(opt, lambda t: 1 / math.sqrt(t + 1)),
    "inverse_time": lambda opt, k=0.01: S.LambdaLR(opt, lambda t: 1 / (1 + k * t)),
}


def torch_lrs(make_scheduler, steps: int, lr: float, momentum: float = 0.0) -> np.ndarray:
    param = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's step-order and deprecation notices
        scheduler = make_scheduler(optimizer)
        lrs = []
        for _ in range(steps):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return np.array(lrs, dtype=np.float64)


def torch_sequential(optimizer, schedulers, milestones):
    built = [TORCH[name](optimizer, **kwargs) for name, kwargs in schedulers]
    return S.SequentialLR(optimizer, schedulers=built, milestones=milestones)


def assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape and ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


# (name, kwargs, lr, steps); lr is the optimizer's LR
CASES = [
    ("step_lr", {"step_size": 30}, 0.1, STEPS),
    ("step_lr", {"step_size": 7, "gamma": 0.5}, 1.0, STEPS),
    ("step_lr", {"step_size": 1, "gamma": 0.97}, 0.05, STEPS),
    ("multi_step_lr", {"milestones": [30, 80]}, 0.1, STEPS),
    ("multi_step_lr", {"milestones": [0, 5, 100, 250], "gamma": 0.5}, 1.0, STEPS),
    ("multi_step_lr", {"milestones": [150], "gamma": 0.3}, 0.02, STEPS),
    ("constant_lr", {}, 0.1, STEPS),
    ("constant_lr", {"factor": 0.5, "total_iters": 100}, 1.0, STEPS),
    ("constant_lr", {"factor": 0.05, "total_iters": 299}, 0.3, STEPS),
    ("linear_lr", {}, 0.1, STEPS),
    ("linear_lr", {"start_factor": 0.01, "total_iters": 100}, 1.0, STEPS),
    ("linear_lr", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 250}, 0.5, STEPS),
    ("linear_lr", {"start_factor": 0.5, "end_factor": 0.2, "total_iters": 300}, 0.1, STEPS),
    ("exponential_lr", {"gamma": 0.99}, 0.1, STEPS),
    ("exponential_lr", {"gamma": 0.9}, 1.0, STEPS),
    ("exponential_lr", {"gamma": 1.0}, 0.3, STEPS),
    ("polynomial_lr", {}, 0.1, STEPS),
    ("polynomial_lr", {"total_iters": 100, "power": 2.0}, 1.0, STEPS),
    ("polynomial_lr", {"total_iters": 300, "power": 0.5}, 0.2, STEPS),
    ("cosine_annealing_lr", {"T_max": 300}, 0.1, STEPS),
    # past T_max torch's recursion climbs back up: several periods
    ("cosine_annealing_lr", {"T_max": 50, "eta_min": 0.001}, 0.1, STEPS),
    ("cosine_annealing_lr", {"T_max": 7, "eta_min": 0.05}, 1.0, STEPS),
    ("cosine_annealing_lr", {"T_max": 1}, 0.1, STEPS),
    ("cosine_annealing_warm_restarts", {"T_0": 50}, 0.1, STEPS),
    ("cosine_annealing_warm_restarts", {"T_0": 10, "T_mult": 2, "eta_min": 0.001}, 1.0, STEPS),
    ("cosine_annealing_warm_restarts", {"T_0": 3, "T_mult": 3, "eta_min": 0.01}, 0.1, 500),
    ("cosine_annealing_warm_restarts", {"T_0": 1, "T_mult": 2}, 0.1, STEPS),
    ("cyclic_lr", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 20}, 0.1, STEPS),
    (
        "cyclic_lr",
        {
            "base_lr": 0.01,
            "max_lr": 0.5,
            "step_size_up": 15,
            "step_size_down": 35,
            "mode": "triangular2",
            "scale_mode": "iterations",
        },
        0.1,
        STEPS,
    ),
    (
        "cyclic_lr",
        {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 25, "mode": "exp_range", "gamma": 0.995},
        0.1,
        STEPS,
    ),
    (
        "cyclic_lr",
        {
            "base_lr": 0.2,
            "max_lr": 1.0,
            "step_size_up": 7,
            "step_size_down": 3,
            "mode": "exp_range",
            "gamma": 0.99,
            "scale_mode": "cycle",
        },
        1.0,
        STEPS,
    ),
    ("one_cycle_lr", {"max_lr": 0.1, "total_steps": 300}, 0.1, STEPS),
    (
        "one_cycle_lr",
        {
            "max_lr": 1.0,
            "total_steps": 400,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
        0.1,
        400,
    ),
    (
        "one_cycle_lr",
        {
            "max_lr": 0.5,
            "epochs": 10,
            "steps_per_epoch": 30,
            "three_phase": True,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
        0.1,
        STEPS,
    ),
    (
        "one_cycle_lr",
        {"max_lr": 0.2, "total_steps": 320, "pct_start": 0.5, "anneal_strategy": "linear"},
        1.0,
        STEPS,
    ),
]

SEQUENTIAL_CASES = [
    # warmup -> cosine, the usual recipe
    (
        [("linear_lr", {"start_factor": 0.1, "total_iters": 10}), ("cosine_annealing_lr", {"T_max": 290})],
        [10],
        0.1,
    ),
    # three pieces; the cosine restarts cross the second milestone's reset
    (
        [
            ("constant_lr", {"factor": 0.5, "total_iters": 20}),
            ("exponential_lr", {"gamma": 0.99}),
            ("cosine_annealing_warm_restarts", {"T_0": 30, "T_mult": 2}),
        ],
        [50, 120],
        1.0,
    ),
    # each piece restarts from its own base: step decay is undone at each milestone
    (
        [
            ("multi_step_lr", {"milestones": [30, 60]}),
            ("polynomial_lr", {"total_iters": 100, "power": 2.0}),
            ("step_lr", {"step_size": 20, "gamma": 0.5}),
        ],
        [80, 200],
        0.1,
    ),
    # chainable schedulers entering at a milestone start from their closed form at step 0
    (
        [
            ("exponential_lr", {"gamma": 0.98}),
            ("constant_lr", {"factor": 0.3, "total_iters": 20}),
            ("linear_lr", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 40}),
            ("cosine_annealing_lr", {"T_max": 30}),
            ("multi_step_lr", {"milestones": [0, 10], "gamma": 0.5}),
        ],
        [40, 90, 150, 220],
        0.1,
    ),
    # CyclicLR built first sets initial_lr to its base_lr: the step decay after it starts from 0.01
    (
        [("cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10}), ("step_lr", {"step_size": 30})],
        [100],
        0.1,
    ),
    # OneCycleLR overwrites initial_lr: the warmup before it ramps towards max_lr / div_factor, not lr
    (
        [
            ("linear_lr", {"start_factor": 0.1, "total_iters": 20}),
            ("one_cycle_lr", {"max_lr": 1.0, "total_steps": 300}),
        ],
        [20],
        0.1,
    ),
    # ... and a cosine first (T_max < milestone) climbs back with its own base after T_max
    (
        [
            ("cosine_annealing_lr", {"T_max": 20, "eta_min": 0.001}),
            ("one_cycle_lr", {"max_lr": 2.0, "total_steps": 250}),
        ],
        [100],
        0.1,
    ),
    # the first OneCycleLR reads max/initial/min LR from the group, which the second one rewrote
    (
        [
            ("one_cycle_lr", {"max_lr": 0.5, "total_steps": 100}),
            ("one_cycle_lr", {"max_lr": 2.0, "total_steps": 250, "div_factor": 10.0}),
        ],
        [100],
        0.1,
    ),
    # cyclic after a warmup, then a course-notes formula (LambdaLR in torch)
    (
        [
            ("linear_lr", {"start_factor": 0.2, "total_iters": 15}),
            ("cyclic_lr", {"base_lr": 0.001, "max_lr": 0.05, "step_size_up": 10, "mode": "triangular2"}),
            ("inverse_time", {"k": 0.05}),
        ],
        [15, 150],
        0.1,
    ),
    ([("linear_lr", {"start_factor": 0.05, "total_iters": 30}), ("inverse_sqrt", {})], [30], 1.0),
]


@pytest.mark.parametrize(("name", "kwargs", "lr", "steps"), CASES, ids=lambda v: str(v)[:40])
def test_matches_torch(name, kwargs, lr, steps):
    theirs = torch_lrs(lambda opt: TORCH[name](opt, **kwargs), steps, lr)
    assert_same(optim_core.lr_curve(name, steps, lr=lr, **kwargs), theirs)


@pytest.mark.parametrize(("schedulers", "milestones", "lr"), SEQUENTIAL_CASES, ids=lambda v: str(v)[:40])
def test_sequential_matches_torch(schedulers, milestones, lr):
    theirs = torch_lrs(lambda opt: torch_sequential(opt, schedulers, milestones), STEPS, lr)
    ours = optim_core.lr_curve("sequential_lr", STEPS, lr=lr, schedulers=schedulers, milestones=milestones)
    assert_same(ours, theirs)


def test_every_torch_backed_schedule_has_three_cases():
    counts = {
        name: sum(case[0] == name for case in CASES)
        for name, spec in SCHEDULES.items()
        if spec.torch_class not in (None, "SequentialLR")
    }
    assert counts and all(n >= 3 for n in counts.values()), counts
    assert len(SEQUENTIAL_CASES) >= 3


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10}),
        ("one_cycle_lr", {"max_lr": 0.1, "total_steps": 100}),
    ],
)
def test_cycle_momentum_is_irrelevant_to_the_lr(name, kwargs):
    # torch with momentum actually cycled, against ours with every momentum setting
    torch_class = S.CyclicLR if name == "cyclic_lr" else S.OneCycleLR
    theirs = torch_lrs(
        lambda opt: torch_class(opt, **kwargs, base_momentum=0.5, max_momentum=0.99), 100, 0.1, momentum=0.9
    )
    for extra in ({}, {"cycle_momentum": False}, {"base_momentum": 0.5, "max_momentum": 0.99}):
        assert_same(optim_core.lr_curve(name, 100, **kwargs, **extra), theirs)


# One argument set per registered schedule: its printed PyTorch code, run as is, gives the same curve.
CODE_CASES = {
    "step_lr": {"step_size": 40, "gamma": 0.5},
    "multi_step_lr": {"milestones": [50, 120]},
    "constant_lr": {"factor": 0.25, "total_iters": 60},
    "linear_lr": {"start_factor": 0.2, "end_factor": 0.5, "total_iters": 80},
    "exponential_lr": {"gamma": 0.98},
    "polynomial_lr": {"total_iters": 150, "power": 3.0},
    "cosine_annealing_lr": {"T_max": 100, "eta_min": 0.002},
    "cosine_annealing_warm_restarts": {"T_0": 20, "T_mult": 2},
    "cyclic_lr": {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 30, "mode": "exp_range", "gamma": 0.998},
    "one_cycle_lr": {"max_lr": 0.3, "total_steps": 300, "three_phase": True},
    "inverse_time": {"k": 0.03},
    "exponential_budget": {"d": 0.02, "T": 200},
    "power": {"T": 250, "p": 1.5},
    "inverse_sqrt": {},
    "staircase": {"d": 0.7, "s": 25},
    "sequential_lr": {
        "schedulers": [("constant_lr", {"factor": 0.1, "total_iters": 10}), ("power", {"T": 200})],
        "milestones": [40],
    },
    "warmup": {
        "warmup_steps": 25,
        "start_factor": 0.05,
        "schedule": "cosine_annealing_warm_restarts",
        "schedule_kwargs": {"T_0": 60},
    },
}


def test_code_cases_cover_every_schedule():
    assert set(CODE_CASES) == set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(CODE_CASES))
def test_printed_torch_code_runs_and_matches(name):
    kwargs, lr = CODE_CASES[name], 0.2
    code = SCHEDULES[name].torch_code({**kwargs, "lr": lr})
    namespace = {"model": torch.nn.Linear(2, 1).double()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, namespace)  # noqa: S102 - our own generated snippet
        optimizer, scheduler = namespace["optimizer"], namespace["scheduler"]
        theirs = []
        for _ in range(STEPS):
            theirs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    assert_same(optim_core.lr_curve(name, STEPS, lr=lr, **kwargs), np.array(theirs))


def test_printed_code_uses_the_types_torch_checks():
    # widgets may hand over 20.0 for an int; torch refuses a float T_0 or total_steps
    for name, kwargs in [
        ("cosine_annealing_warm_restarts", {"T_0": 20.0, "T_mult": 2.0}),
        ("one_cycle_lr", {"max_lr": 1, "total_steps": 300.0, "three_phase": 1}),
    ]:
        namespace = {"model": torch.nn.Linear(2, 1).double()}
        exec(SCHEDULES[name].torch_code(kwargs), namespace)  # noqa: S102 - our own generated snippet
        assert namespace["optimizer"].param_groups[0]["lr"] == optim_core.lr_curve(name, 1, **kwargs)[0]
