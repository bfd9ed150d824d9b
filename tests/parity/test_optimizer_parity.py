"""Every torch optimizer, through optim_core.simulate, against a plain torch.optim loop in float64.

The torch loop sets p.grad from the surface's exact gradient, so both sides see the same gradients;
what is compared is the optimizer arithmetic. Trajectories must agree within rtol 1e-9 / atol 1e-12
for 300 steps, and the rules' diagnostics must equal torch's own optimizer state.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optim_core.optimizers import RULES, resolve_hyperparams
from optim_core.simulation import simulate
from optim_core.surfaces import Surface, get_surface, surface_names

STEPS = 300
TOL = {"rtol": 1e-9, "atol": 1e-12}

# ≥ 3 hyperparameter sets each; sets that differ only in float values share one vectorized group in
# simulate (per-run (R, 1) hyperparameters), the others exercise each code path.
CASES: dict[str, list[dict]] = {
    "sgd": [
        {"lr": 2e-4},
        {"lr": 1e-4, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        {"lr": 2e-4, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.05},
        {"lr": 1e-4, "momentum": 0.8, "dampening": 0.1, "weight_decay": 0.02},
    ],
    "adagrad": [
        {"lr": 0.1},
        {"lr": 0.3, "lr_decay": 0.01, "weight_decay": 0.05},
        {"lr": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-6},
        {"lr": 0.05, "initial_accumulator_value": 2.0, "lr_decay": 0.001, "weight_decay": 0.01},
    ],
    "rmsprop": [
        {"lr": 1e-2},
        {"lr": 3e-3, "centered": True, "alpha": 0.9},
        {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.01},
        {"lr": 1e-3, "centered": True, "momentum": 0.7, "eps": 1e-6, "weight_decay": 0.1},
    ],
    "adadelta": [
        {},
        {"lr": 2.0, "rho": 0.95, "weight_decay": 0.1},
        {"lr": 0.5, "rho": 0.8, "eps": 1e-4},
    ],
    "adam": [
        {"lr": 1e-2},
        {"lr": 2e-2, "betas": (0.8, 0.99)},
        {"lr": 1e-2, "weight_decay": 0.1},
        {"lr": 2e-2, "amsgrad": True, "betas": (0.5, 0.9), "eps": 1e-6},
        {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.05},
    ],
    "adamw": [
        {"lr": 1e-2},
        {"lr": 2e-2, "weight_decay": 0.1, "betas": (0.85, 0.995)},
        {"lr": 1e-2, "weight_decay": 0.5, "amsgrad": True},
    ],
    "nadam": [
        {"lr": 1e-2},
        {"lr": 2e-2, "momentum_decay": 0.01, "betas": (0.8, 0.99)},
        {"lr": 1e-2, "weight_decay": 0.1},
        {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.02},
    ],
    "radam": [
        {"lr": 1e-2},
        {"lr": 2e-3, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 1e-2, "weight_decay": 0.1},
        {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "adamax": [
        {},
        {"lr": 2e-2, "betas": (0.8, 0.99)},
        {"lr": 1e-2, "weight_decay": 0.05, "eps": 1e-6},
    ],
    # convenience names: the same torch classes with other defaults
    "momentum": [{"lr": 1e-4}],
    "nesterov": [{"lr": 1e-4, "weight_decay": 0.01}],
    "amsgrad": [{"lr": 1e-2}],
}

TORCH_CLASS = {name: rule.torch_class for name, rule in RULES.items() if rule.torch_class}

# torch state name -> Trajectory diagnostic it must equal after the last step
STATE_DIAGNOSTICS = {
    "sgd": {"momentum_buffer": "momentum"},
    "momentum": {"momentum_buffer": "momentum"},
    "nesterov": {"momentum_buffer": "momentum"},
    "adagrad": {"sum": "second_moment"},
    "rmsprop": {"square_avg": "second_moment", "momentum_buffer": "momentum"},
    "adadelta": {"square_avg": "second_moment"},
    "adam": {"exp_avg": "momentum", "exp_avg_sq": "second_moment"},
    "amsgrad": {"exp_avg": "momentum", "exp_avg_sq": "second_moment"},
    "adamw": {"exp_avg": "momentum", "exp_avg_sq": "second_moment"},
    "nadam": {"exp_avg": "momentum", "exp_avg_sq": "second_moment"},
    "radam": {"exp_avg": "momentum", "exp_avg_sq": "second_moment"},
    "adamax": {"exp_avg": "momentum", "exp_inf": "second_moment"},
}


def _own_surfaces() -> list[Surface]:
    """Used only when fewer than three built-in surfaces exist."""

    def bowl_grad(x, y):
        return 2 * x + 0 * y, 0.5 * y + 0 * x

    def saddle_grad(x, y):
        return 2 * x + 0 * y, -0.2 * y + 0 * x

    common = {"hessian": None, "title": {"en": ""}, "description": {"en": ""}}
    return [
        Surface(
            name="own_bowl",
            f=lambda x, y: x**2 + y**2 / 4,
            grad=bowl_grad,
            bounds=((-2, 2), (-2, 2)),
            start=(-1.5, 1.2),
            **common,
        ),
        Surface(
            name="own_saddle",
            f=lambda x, y: x**2 - 0.1 * y**2,
            grad=saddle_grad,
            bounds=((-2, 2), (-2, 2)),
            start=(-1.8, 0.3),
            **common,
        ),
    ]


def _surfaces() -> list[Surface]:
    preferred = [
        name for name in ("rosenbrock", "himmelblau", "ravine", "beale", "bowl") if name in surface_names()
    ]
    surfaces = [get_surface(name) for name in preferred[:3]]
    return surfaces + _own_surfaces()[: max(0, 3 - len(surfaces))]


SURFACES = _surfaces()


@pytest.fixture(autouse=True)
def float64_scalars():
    # torch keeps scalar optimizer state (NAdam's mu_product, step counters) in the default dtype
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def torch_run(name, hp, surface, start, steps=STEPS, multipliers=None, clip=None):
    """The reference: a plain torch.optim loop, p.grad from the surface's gradient."""
    hp = resolve_hyperparams(name, hp)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = eval(TORCH_CLASS[name])([p], **hp)
    xy = [p.detach().numpy().copy()]
    for t in range(steps):
        optimizer.zero_grad()
        x, y = p.detach().numpy()
        p.grad = torch.tensor([float(v) for v in surface.grad(x, y)], dtype=torch.float64)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([p], clip)
        if multipliers is not None:
            for group in optimizer.param_groups:
                group["lr"] = hp["lr"] * multipliers[t]
        optimizer.step()
        xy.append(p.detach().numpy().copy())
    return np.array(xy), optimizer.state[p]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_for_300_steps(name, surface):
    cases = CASES[name]
    traj = simulate(surface, [(name, hp) for hp in cases], [surface.start], STEPS, backend="numpy")
    assert (traj.diverged_at == -1).all(), "pick settings that stay stable for the comparison"
    for i, hp in enumerate(cases):
        expected, state = torch_run(name, hp, surface, surface.start)
        np.testing.assert_allclose(traj.xy[i, 0], expected, **TOL, err_msg=f"{name} {hp}")
        for key, field in STATE_DIAGNOSTICS[name].items():
            if key in state:
                np.testing.assert_allclose(
                    getattr(traj, field)[i, 0, -1], state[key].numpy(), **TOL, err_msg=f"{name} {hp}: {key}"
                )
        assert np.isfinite(traj.loss[i, 0]).all()


# One set per optimizer with every switch it has turned on, for the schedule, clipping and multi-start
# checks. The rules reproduce torch's fused multiply-adds (optimizers/torch_ops.py), but torch's sqrt and
# clip_grad_norm_'s vector_norm still differ from NumPy's in the last bit now and then (the trajectories
# alone are compared bit for bit, in test_bit_identical.py); these settings keep the dynamics contracting,
# so those bits are not amplified (a chaotic run, e.g. Adadelta lr=2 in Rosenbrock's valley, would be).
STEADY = {
    "sgd": {"lr": 1e-4, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
    "momentum": {"lr": 1e-4},
    "nesterov": {"lr": 1e-4},
    "adagrad": {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01},
    "rmsprop": {"lr": 1e-3, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
    "adadelta": {"lr": 0.5, "rho": 0.95, "weight_decay": 0.01},
    "adam": {"lr": 5e-3, "amsgrad": True, "weight_decay": 0.01},
    "amsgrad": {"lr": 5e-3},
    "adamw": {"lr": 5e-3, "weight_decay": 0.1},
    "nadam": {"lr": 5e-3, "weight_decay": 0.01, "momentum_decay": 0.01},
    "radam": {"lr": 1e-3, "weight_decay": 0.01, "decoupled_weight_decay": True},
    "adamax": {"lr": 1e-2, "weight_decay": 0.01},
}


@pytest.mark.parametrize("name", list(STEADY))
def test_matches_torch_with_an_lr_schedule(name):
    surface = SURFACES[0]
    t = np.arange(STEPS)
    # warm-up then cosine decay, as multipliers of each optimizer's own lr
    multipliers = np.minimum(1.0, (t + 1) / 20) * 0.5 * (1 + np.cos(np.pi * t / STEPS))
    hp = STEADY[name]
    expected, _ = torch_run(name, hp, surface, surface.start, multipliers=multipliers)
    for schedule in (multipliers, lambda step: multipliers[step]):
        traj = simulate(surface, [(name, hp)], [surface.start], STEPS, lr_schedule=schedule, backend="numpy")
        np.testing.assert_allclose(traj.xy[0, 0], expected, **TOL)
        np.testing.assert_allclose(traj.lr[0], resolve_hyperparams(name, hp)["lr"] * multipliers, rtol=1e-15)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize("name", list(STEADY))
def test_matches_torch_with_gradient_clipping(name, surface):
    hp = STEADY[name]
    traj = simulate(surface, [(name, hp)], [surface.start], STEPS, clip_grad_norm=5.0, backend="numpy")
    expected, _ = torch_run(name, hp, surface, surface.start, clip=5.0)
    np.testing.assert_allclose(traj.xy[0, 0], expected, **TOL)
    norms = np.linalg.norm(traj.grad[0, 0], axis=-1)
    assert norms.max() <= 5.0 and norms.max() > 4.9  # clipping was active


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize("name", list(STEADY))
def test_matches_torch_with_several_starts_in_one_call(name, surface):
    (x0, x1), (y0, y1) = surface.bounds
    starts = [surface.start, (0.5 * x0, 0.5 * y1), (0.3 * x1, 0.2 * y0 + 0.8 * y1), (0.0, 0.5 * (y0 + y1))]
    # a second run of the same rule with half the lr advances in the same group, lr as an (R, 1) array
    hps = [STEADY[name], {**STEADY[name], "lr": STEADY[name]["lr"] / 2}]
    traj = simulate(surface, [(name, hp) for hp in hps], starts, STEPS, backend="numpy")
    assert (traj.diverged_at == -1).all()
    for i, hp in enumerate(hps):
        for m, start in enumerate(starts):
            expected, _ = torch_run(name, hp, surface, start)
            np.testing.assert_allclose(traj.xy[i, m], expected, **TOL, err_msg=f"{name} {hp} from {start}")


@pytest.mark.parametrize("name", [n for n, rule in RULES.items() if rule.torch_class])
def test_torch_code_builds_the_same_optimizer(name):
    """The app's "equivalent PyTorch code" runs and reproduces the rule's trajectory."""
    surface = SURFACES[0]
    hp = CASES[name][-1]
    code = RULES[name].torch_code(resolve_hyperparams(name, hp))
    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    scope = {"params": [p]}
    exec(code, scope)
    optimizer = scope["optimizer"]
    assert type(optimizer).__module__.startswith("torch.optim")
    positions = [p.detach().numpy().copy()]
    for _ in range(50):
        x, y = p.detach().numpy()
        p.grad = torch.tensor([float(v) for v in surface.grad(x, y)], dtype=torch.float64)
        optimizer.step()
        positions.append(p.detach().numpy().copy())
    traj = simulate(surface, [(name, hp)], [surface.start], 50, backend="numpy")
    np.testing.assert_allclose(traj.xy[0, 0], np.array(positions), **TOL)


def test_defaults_are_torch_defaults():
    """Every hyperparameter's default equals the torch class's default."""
    import inspect

    for name, rule in RULES.items():
        if rule.torch_class is None or name in ("momentum", "nesterov", "amsgrad"):
            continue
        signature = inspect.signature(eval(rule.torch_class).__init__)
        for param in rule.hyperparams:
            expected = signature.parameters[param.name].default
            assert param.default == expected, f"{name}.{param.name}: {param.default} != torch's {expected}"
