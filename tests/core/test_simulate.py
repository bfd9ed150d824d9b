"""optim_core.simulate: shapes, bookkeeping, divergence, noise, schedules, grouping and input errors."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import optim_core
from optim_core.simulation import Trajectory, divergence_box, simulate
from optim_core.simulation.groups import group_runs
from optim_core.surfaces import Surface, get_surface

ROSENBROCK = get_surface("rosenbrock")
MIX = [("sgd", {"lr": 1e-3}), ("momentum", {"lr": 1e-4}), ("adam", {"lr": 0.02}), ("rmsprop", {"lr": 0.01})]
STARTS = [(-1.5, 2.0), (0.5, -0.5), (1.5, 2.5)]


def _surface(name, f, grad, bounds=((-2.0, 2.0), (-2.0, 2.0)), start=(1.0, 1.0)) -> Surface:
    return Surface(
        name=name,
        f=f,
        grad=grad,
        hessian=None,
        bounds=bounds,
        start=start,
        title={"en": name},
        description={"en": ""},
    )


def test_public_names_are_exported():
    # the package attribute may be the function or the submodule of the same name: both run simulate
    for _ in range(2):
        traj = optim_core.simulate("rosenbrock", [("adam", {})], [(0.0, 0.0)], 3)
        assert isinstance(traj, Trajectory)
    assert optim_core.Trajectory is Trajectory
    assert "adam" in optim_core.optimizer_names() and "adam" in optim_core.RULES


def test_shapes_and_bookkeeping():
    steps = 40
    traj = simulate("rosenbrock", MIX, STARTS, steps)
    n, m = len(MIX), len(STARTS)
    assert traj.xy.shape == (n, m, steps + 1, 2) and traj.xy.dtype == np.float64
    assert traj.loss.shape == (n, m, steps + 1)
    for field in ("grad", "update", "momentum", "second_moment", "step_size"):
        assert getattr(traj, field).shape == (n, m, steps, 2), field
    assert traj.lr.shape == (n, steps) and traj.diverged_at.shape == (n, m)
    assert np.issubdtype(traj.diverged_at.dtype, np.integer)
    assert traj.steps == steps and traj.surface.name == "rosenbrock"
    assert [name for name, _ in traj.optimizers] == [name for name, _ in MIX]
    assert traj.optimizers[2][1]["betas"] == (0.9, 0.999)  # resolved with torch's defaults
    assert traj.labels == ["SGD", "SGD + momentum", "Adam", "RMSprop"]

    np.testing.assert_array_equal(traj.xy[:, :, 0], np.broadcast_to(np.array(STARTS), (n, m, 2)))
    np.testing.assert_array_equal(traj.update, np.diff(traj.xy, axis=2))
    np.testing.assert_array_equal(traj.loss, ROSENBROCK.f(traj.xy[..., 0], traj.xy[..., 1]))
    ok = traj.diverged_at == -1
    gx, gy = ROSENBROCK.grad(traj.xy[..., :-1, 0], traj.xy[..., :-1, 1])
    np.testing.assert_array_equal(traj.grad[ok], np.stack([gx, gy], axis=-1)[ok])
    np.testing.assert_array_equal(traj.lr, np.array([[1e-3], [1e-4], [0.02], [0.01]]) * np.ones(steps))
    # diagnostics: SGD has no buffers, its step size is lr; momentum SGD's buffer starts as g₁
    assert np.isnan(traj.momentum[0]).all() and np.isnan(traj.second_moment[0]).all()
    np.testing.assert_array_equal(traj.step_size[0][ok[0]], 1e-3)
    np.testing.assert_array_equal(traj.momentum[1, :, 0], traj.grad[1, :, 0])
    assert np.isnan(traj.second_moment[1]).all()
    assert np.isfinite(traj.second_moment[2][ok[2]]).all()
    # Adam's step size is lr / (√v̂ + ε)
    t = np.arange(1, steps + 1)[:, None]
    v_hat = traj.second_moment[2] / (1 - 0.999**t)
    np.testing.assert_allclose(traj.step_size[2], 0.02 / (np.sqrt(v_hat) + 1e-8), rtol=1e-12)


def test_runs_advance_independently():
    together = simulate("rosenbrock", MIX, STARTS, 60)
    for i, config in enumerate(MIX):
        for m, start in enumerate(STARTS):
            alone = simulate("rosenbrock", [config], [start], 60)
            np.testing.assert_array_equal(together.xy[i, m], alone.xy[0, 0])
            np.testing.assert_array_equal(together.diverged_at[i, m], alone.diverged_at[0, 0])


def test_stacked_one_optimizer_runs_equal_one_call():
    kwargs = dict(grad_noise=0.5, seed=3, lr_schedule=np.linspace(1.0, 0.2, 50), clip_grad_norm=5.0)
    configs = [*MIX, ("sgd", {"lr": 1e-3, "momentum": 0.9})]  # two SGDs: one call steps them together
    together = simulate(ROSENBROCK, configs, STARTS, 50, **kwargs)
    stacked = Trajectory.stack([simulate(ROSENBROCK, [config], STARTS, 50, **kwargs) for config in configs])
    assert stacked.labels == together.labels and stacked.optimizers == together.optimizers
    for field in ("xy", "loss", "grad", "update", "momentum", "second_moment", "step_size", "lr"):
        np.testing.assert_allclose(getattr(stacked, field), getattr(together, field), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(stacked.diverged_at, together.diverged_at)
    with pytest.raises(ValueError, match="stacked"):
        Trajectory.stack(
            [simulate(ROSENBROCK, [MIX[0]], STARTS, 50), simulate(ROSENBROCK, [MIX[1]], STARTS, 40)]
        )
    with pytest.raises(ValueError, match="stacked"):
        Trajectory.stack(
            [simulate(ROSENBROCK, [MIX[0]], STARTS, 5), simulate(ROSENBROCK, [MIX[0]], STARTS[:2], 5)]
        )
    with pytest.raises(ValueError, match="stacked"):
        Trajectory.stack([simulate(ROSENBROCK, [MIX[0]], STARTS, 5), simulate("beale", [MIX[0]], STARTS, 5)])
    # an equal surface built again (a cache evicted it) stacks: the runs are the same
    again = get_surface("rosenbrock")
    assert Trajectory.stack([simulate(ROSENBROCK, [MIX[0]], STARTS, 5), simulate(again, [MIX[1]], STARTS, 5)])


def test_same_rule_with_different_hyperparameters_advances_in_one_group():
    configs = [
        ("adam", {"lr": 0.01}),
        ("sgd", {"lr": 1e-4}),
        ("adam", {"lr": 0.05, "betas": (0.8, 0.99)}),
        ("adam", {"lr": 0.02, "amsgrad": True}),
        ("adam", {"lr": 0.03, "eps": 1e-6}),
    ]
    groups = group_runs([(n, optim_core.optimizers.resolve_hyperparams(n, hp)) for n, hp in configs], 2)
    adam = [g for g in groups if g.rule.name == "adam" and not g.hp["amsgrad"]]
    assert len(groups) == 3 and adam[0].members == [0, 2, 4]  # not contiguous: written back by index
    assert adam[0].hp["lr"].shape == (6, 1)
    together = simulate("rosenbrock", configs, [(-1.5, 2.0), (0.0, 0.0)], 80)
    for i, config in enumerate(configs):
        alone = simulate("rosenbrock", [config], [(-1.5, 2.0), (0.0, 0.0)], 80)
        # (R, 1) hyperparameters go through NumPy's pow where scalars use Python's: last-bit differences
        np.testing.assert_allclose(together.xy[i], alone.xy[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(together.momentum[i], alone.momentum[0], rtol=1e-9, atol=1e-12)


def test_duplicate_labels_name_the_difference():
    traj = simulate(
        "rosenbrock",
        [("adam", {"lr": 0.01}), ("adam", {"lr": 0.1}), ("sgd", {}), ("sgd", {})],
        [(0.0, 0.0)],
        3,
    )
    assert traj.labels == ["Adam (lr=0.01)", "Adam (lr=0.1)", "SGD (#1)", "SGD (#2)"]


def test_divergence_freezes_the_run_at_its_last_valid_point():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from overflow or inf - inf
        traj = simulate("rosenbrock", [("sgd", {"lr": 0.1}), ("adam", {"lr": 0.01})], [(-1.5, 2.0)], 50)
    t = traj.diverged_at[0, 0]
    assert t >= 0 and traj.diverged_at[1, 0] == -1
    xy = traj.xy[0, 0]
    assert (np.abs(xy[: t + 1]) <= divergence_box(ROSENBROCK)).all()
    np.testing.assert_array_equal(xy[t:], np.broadcast_to(xy[t], xy[t:].shape))
    np.testing.assert_array_equal(traj.loss[0, 0, t:], traj.loss[0, 0, t])
    np.testing.assert_array_equal(traj.update[0, 0, t:], 0.0)
    assert np.isfinite(traj.grad[0, 0, : t + 1]).all() and np.isnan(traj.grad[0, 0, t + 1 :]).all()
    assert np.isnan(traj.step_size[0, 0, t:]).all() and np.isfinite(traj.step_size[0, 0, :t]).all()
    # the step that was rejected really would have left the box
    g = traj.grad[0, 0, t]
    assert np.abs(xy[t] - 0.1 * g).max() > divergence_box(ROSENBROCK)
    # the other optimizer is unaffected
    alone = simulate("rosenbrock", [("adam", {"lr": 0.01})], [(-1.5, 2.0)], 50)
    np.testing.assert_array_equal(traj.xy[1, 0], alone.xy[0, 0])


def test_non_finite_values_are_frozen_too():
    # SGD with lr 100 on a constant gradient (-1, 0): x_t = 100 t, and exp(x) overflows from x = 800
    overflow = _surface("overflow", lambda x, y: np.exp(x) + y**2, lambda x, y: (-1.0 + 0 * x, 2 * y))
    # a gradient that is NaN from x = 2 on: with lr 1, x_t = t, so x_3 is NaN
    hole = _surface("hole", lambda x, y: -x + y**2, lambda x, y: (np.where(x < 2, -1.0, np.nan), 2 * y))
    # a start whose loss is already infinite
    pole = _surface("pole", lambda x, y: -np.log(x) + y**2, lambda x, y: (-1 / x, 2 * y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs = [
            simulate(overflow, [("sgd", {"lr": 10.0})], [(0.0, 0.0)], 20, lr_schedule=np.full(20, 10.0)),
            simulate(hole, [("sgd", {"lr": 1.0})], [(0.0, 0.0)], 20),
            simulate(pole, [("sgd", {"lr": 1.0})], [(0.0, 0.5)], 20),
        ]
    for traj, expected in zip(runs, (7, 2, 0), strict=True):
        assert traj.diverged_at[0, 0] == expected
        t = expected
        assert np.isfinite(traj.xy).all()
        np.testing.assert_array_equal(traj.xy[0, 0, t:], np.broadcast_to(traj.xy[0, 0, t], (21 - t, 2)))
        np.testing.assert_array_equal(traj.update[0, 0, t:], 0.0)
    np.testing.assert_array_equal(runs[0].xy[0, 0, :8, 0], 100.0 * np.arange(8))
    assert np.isfinite(runs[0].loss[0, 0]).all()
    # grad[2] is what led out (kept as received), later gradients were never received
    np.testing.assert_array_equal(runs[1].grad[0, 0, 2], [np.nan, 0.0])
    assert np.isnan(runs[1].grad[0, 0, 3:]).all() and np.isfinite(runs[1].grad[0, 0, :2]).all()
    np.testing.assert_array_equal(runs[2].xy[0, 0], np.broadcast_to([0.0, 0.5], (21, 2)))


def test_gradient_noise_is_seeded_and_shared_by_all_optimizers():
    configs = [("sgd", {"lr": 1e-4}), ("adam", {"lr": 0.01})]
    starts = [(-1.5, 2.0), (0.0, 1.0)]
    a = simulate("rosenbrock", configs, starts, 30, grad_noise=2.0, seed=7)
    b = simulate("rosenbrock", configs, starts, 30, grad_noise=2.0, seed=7)
    c = simulate("rosenbrock", configs, starts, 30, grad_noise=2.0, seed=8)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.allclose(a.xy, c.xy)
    gx, gy = ROSENBROCK.grad(a.xy[..., :-1, 0], a.xy[..., :-1, 1])
    noise = a.grad - np.stack([gx, gy], axis=-1)
    expected = 2.0 * np.random.default_rng(7).standard_normal((2, 30, 2))
    np.testing.assert_allclose(noise[0], expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(noise[1], expected, rtol=1e-9, atol=1e-9)  # the same for both optimizers
    clean = simulate("rosenbrock", configs, starts, 30)
    assert not np.allclose(a.xy, clean.xy)


def test_clipping_bounds_the_gradient_norm():
    traj = simulate("rosenbrock", [("sgd", {"lr": 1e-3})], [(-1.5, 2.0)], 30, clip_grad_norm=1.0)
    norms = np.linalg.norm(traj.grad[0, 0], axis=-1)
    assert (norms <= 1.0 + 1e-12).all() and norms[0] > 0.999
    gx, gy = ROSENBROCK.grad(-1.5, 2.0)
    raw = np.hypot(gx, gy)
    np.testing.assert_allclose(traj.grad[0, 0, 0], np.array([gx, gy]) * 1.0 / (raw + 1e-6), rtol=1e-12)


def test_lr_schedule_as_callable_or_array():
    steps = 50
    multipliers = 0.5 ** (np.arange(steps) // 10)  # step decay, as a multiplier of the base lr
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.5 ** (step // 10)

    by_function = simulate("rosenbrock", MIX, STARTS[:1], steps, lr_schedule=schedule)
    by_array = simulate("rosenbrock", MIX, STARTS[:1], steps, lr_schedule=multipliers)
    constant = simulate("rosenbrock", MIX, STARTS[:1], steps)
    assert seen == list(range(steps))  # 0-based steps
    np.testing.assert_array_equal(by_function.xy, by_array.xy)
    np.testing.assert_array_equal(by_array.lr, constant.lr * multipliers)
    np.testing.assert_array_equal(by_array.xy[:, :, :11], constant.xy[:, :, :11])
    assert not np.allclose(by_array.xy[:, :, -1], constant.xy[:, :, -1])
    # SGD's 11th step (t = 10) uses half the lr
    np.testing.assert_allclose(by_array.update[0, 0, 10], -0.5e-3 * by_array.grad[0, 0, 10], rtol=1e-12)


def test_scalar_gradient_components_and_plain_python_surfaces():
    flat_in_y = _surface("ramp", lambda x, y: x**2 + 0 * y, lambda x, y: (2 * x, 0.0))
    traj = simulate(flat_in_y, [("adam", {"lr": 0.1})], [(1.0, 0.5), (-1.0, -0.5)], 20)
    np.testing.assert_array_equal(traj.xy[0, :, :, 1], [[0.5] * 21, [-0.5] * 21])
    assert (np.abs(traj.xy[0, :, -1, 0]) < 1.0).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"surface": "banana"}, "valid choices: "),
        ({"surface": 3}, "surface"),
        ({"optimizers": [("adamm", {})]}, "valid choices: sgd"),
        ({"optimizers": [("adam", {"lr": -0.1})]}, "lr"),
        ({"optimizers": [("adam", {"momentum": 0.9})]}, "valid choices: lr"),
        ({"optimizers": []}, "non-empty"),
        ({"optimizers": "adam"}, "sequence"),
        ({"optimizers": [("adam", {}, 1)]}, "pair"),
        ({"starts": [1.0, 2.0]}, "(M, 2)"),
        ({"starts": [[1.0, 2.0, 3.0]]}, "(M, 2)"),
        ({"starts": np.empty((0, 2))}, "(M, 2)"),
        ({"starts": [[np.nan, 0.0]]}, "finite"),
        ({"starts": [[1e9, 0.0]]}, "finite"),
        ({"starts": [["a", "b"]]}, "array-like"),
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": True}, "steps"),
        ({"lr_schedule": np.ones(3)}, "one multiplier per step"),
        ({"lr_schedule": -np.ones(10)}, "≥ 0"),
        ({"lr_schedule": lambda t: float("nan")}, "finite"),
        ({"grad_noise": -1.0}, "grad_noise"),
        ({"clip_grad_norm": 0.0}, "clip_grad_norm"),
        ({"seed": -1}, "seed"),
        ({"steps": 10**7, "starts": np.zeros((10, 2))}, "limit"),
    ],
)
def test_bad_input_raises_value_error_naming_the_choices(kwargs, message):
    args = {
        "surface": "rosenbrock",
        "optimizers": [("adam", {})],
        "starts": [(0.0, 0.0)],
        "steps": 10,
        **kwargs,
    }
    with pytest.raises(ValueError, match=re.escape(message)):
        simulate(args.pop("surface"), args.pop("optimizers"), args.pop("starts"), args.pop("steps"), **args)
