"""The textbook variants against their formulas written out in plain Python (scalar floats), what sets
them apart from torch, and the registry the app reads (labels, LaTeX, torch code, ranges)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from optim_core.optimizers import RULES, latex_lines, optimizer_names, resolve_hyperparams
from optim_core.simulation import simulate
from optim_core.surfaces import Surface, get_surface, surface_names

STEPS = 150


def _surfaces() -> list[Surface]:
    names = [n for n in ("rosenbrock", "himmelblau", "ravine", "bowl") if n in surface_names()][:3]
    surfaces = [get_surface(n) for n in names]
    if len(surfaces) < 3:  # the other built-in surfaces are not there yet: two of our own
        common = {"hessian": None, "title": {"en": ""}, "description": {"en": ""}}
        surfaces += [
            Surface(
                name="own_bowl",
                f=lambda x, y: x**2 + y**2 / 4,
                grad=lambda x, y: (2 * x, 0.5 * y),
                bounds=((-2, 2), (-2, 2)),
                start=(-1.5, 1.2),
                **common,
            ),
            Surface(
                name="own_saddle",
                f=lambda x, y: x**2 - 0.1 * y**2,
                grad=lambda x, y: (2 * x, -0.2 * y),
                bounds=((-2, 2), (-2, 2)),
                start=(-1.8, 0.3),
                **common,
            ),
        ][: 3 - len(surfaces)]
    return surfaces


SURFACES = _surfaces()


def _grad(surface, x, y):
    gx, gy = surface.grad(x, y)
    return [float(gx), float(gy)]


# ---- the formulas, one coordinate at a time ---------------------------------------------------------


def momentum_ema_by_hand(surface, start, steps, lr, beta):
    theta, v = list(start), [0.0, 0.0]
    path, momenta = [tuple(theta)], []
    for _ in range(steps):
        g = _grad(surface, *theta)
        for i in range(2):
            v[i] = beta * v[i] + (1 - beta) * g[i]  # v ← βv + (1 − β)g
            theta[i] = theta[i] - lr * v[i]  # θ ← θ − lr·v
        path.append(tuple(theta))
        momenta.append(tuple(v))
    return np.array(path), np.array(momenta)


def rmsprop_eps_inside_by_hand(surface, start, steps, lr, alpha, eps):
    theta, s = list(start), [0.0, 0.0]
    path, squares = [tuple(theta)], []
    for _ in range(steps):
        g = _grad(surface, *theta)
        for i in range(2):
            s[i] = alpha * s[i] + (1 - alpha) * g[i] ** 2  # s ← αs + (1 − α)g²
            theta[i] = theta[i] - lr * g[i] / math.sqrt(s[i] + eps)  # θ ← θ − lr·g/√(s + ε)
        path.append(tuple(theta))
        squares.append(tuple(s))
    return np.array(path), np.array(squares)


def adam_no_bias_correction_by_hand(surface, start, steps, lr, betas, eps):
    beta1, beta2 = betas
    theta, m, v = list(start), [0.0, 0.0], [0.0, 0.0]
    path, firsts, seconds = [tuple(theta)], [], []
    for _ in range(steps):
        g = _grad(surface, *theta)
        for i in range(2):
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]  # m ← β₁m + (1 − β₁)g
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2  # v ← β₂v + (1 − β₂)g²
            theta[i] = theta[i] - lr * m[i] / (math.sqrt(v[i]) + eps)  # θ ← θ − lr·m/(√v + ε)
        path.append(tuple(theta))
        firsts.append(tuple(m))
        seconds.append(tuple(v))
    return np.array(path), np.array(firsts), np.array(seconds)


TOL = {"rtol": 1e-10, "atol": 1e-13}


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "hp", [{"lr": 1e-3, "beta": 0.9}, {"lr": 5e-4, "beta": 0.5}, {"lr": 2e-3, "beta": 0.95}]
)
def test_momentum_ema_is_its_formula(surface, hp):
    traj = simulate(surface, [("momentum_ema", hp)], [surface.start], STEPS)
    path, momenta = momentum_ema_by_hand(surface, surface.start, STEPS, hp["lr"], hp["beta"])
    assert (traj.diverged_at == -1).all()
    np.testing.assert_allclose(traj.xy[0, 0], path, **TOL)
    np.testing.assert_allclose(traj.momentum[0, 0], momenta, **TOL)
    assert np.isnan(traj.second_moment).all()
    np.testing.assert_allclose(traj.step_size[0, 0], hp["lr"])


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "hp",
    [
        {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8},
        {"lr": 3e-3, "alpha": 0.9, "eps": 1e-2},
        {"lr": 1e-2, "alpha": 0.5, "eps": 1.0},
    ],
)
def test_rmsprop_eps_inside_is_its_formula(surface, hp):
    traj = simulate(surface, [("rmsprop_eps_inside", hp)], [surface.start], STEPS)
    path, squares = rmsprop_eps_inside_by_hand(
        surface, surface.start, STEPS, hp["lr"], hp["alpha"], hp["eps"]
    )
    assert (traj.diverged_at == -1).all()
    np.testing.assert_allclose(traj.xy[0, 0], path, **TOL)
    np.testing.assert_allclose(traj.second_moment[0, 0], squares, **TOL)
    np.testing.assert_allclose(traj.step_size[0, 0], hp["lr"] / np.sqrt(squares + hp["eps"]), **TOL)
    assert np.isnan(traj.momentum).all()


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "hp",
    [
        {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8},
        {"lr": 5e-3, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 2e-3, "betas": (0.5, 0.9), "eps": 1e-3},
    ],
)
def test_adam_no_bias_correction_is_its_formula(surface, hp):
    traj = simulate(surface, [("adam_no_bias_correction", hp)], [surface.start], STEPS)
    path, firsts, seconds = adam_no_bias_correction_by_hand(
        surface, surface.start, STEPS, hp["lr"], hp["betas"], hp["eps"]
    )
    assert (traj.diverged_at == -1).all()
    np.testing.assert_allclose(traj.xy[0, 0], path, **TOL)
    np.testing.assert_allclose(traj.momentum[0, 0], firsts, **TOL)
    np.testing.assert_allclose(traj.second_moment[0, 0], seconds, **TOL)


def test_variants_with_different_hyperparameters_in_one_call_match_separate_runs():
    surface = SURFACES[0]
    configs = [
        ("momentum_ema", {"lr": 1e-3, "beta": 0.9}),
        ("momentum_ema", {"lr": 2e-3, "beta": 0.5}),
        ("rmsprop_eps_inside", {"lr": 1e-2}),
        ("rmsprop_eps_inside", {"lr": 3e-3, "alpha": 0.9}),
        ("adam_no_bias_correction", {"lr": 1e-3}),
        ("adam_no_bias_correction", {"betas": (0.8, 0.99)}),
    ]
    starts = [surface.start, (0.5, 0.5)]
    together = simulate(surface, configs, starts, 120)
    for i, config in enumerate(configs):
        alone = simulate(surface, [config], starts, 120)
        np.testing.assert_allclose(together.xy[i], alone.xy[0], rtol=1e-14, atol=1e-15)


# ---- where the variants differ from torch -------------------------------------------------------


def _first_step(name, hp, g=(3.0, -0.5)):
    rule = RULES[name]
    hp = resolve_hyperparams(name, hp)
    params = np.zeros((1, 2))
    new, _, _ = rule.update(np.array([g]), rule.init(params), params, hp["lr"], hp, 1)
    return new[0]


def test_momentum_ema_differs_from_torch_sgd_momentum():
    # EMA: v₁ = (1 − β)g₁; torch: v₁ = g₁, so the first EMA step is (1 − β) times torch's
    ema = _first_step("momentum_ema", {"lr": 0.1, "beta": 0.9})
    torch_sgd = _first_step("sgd", {"lr": 0.1, "momentum": 0.9})
    np.testing.assert_allclose(ema, 0.1 * torch_sgd, rtol=1e-12)


def test_rmsprop_eps_inside_differs_from_torch_rmsprop():
    # first step, s₁ = (1 − α)g²: inside γg/√(s₁ + ε) vs torch γg/(√s₁ + ε)
    g, lr, alpha, eps = np.array([3.0, -0.5]), 0.01, 0.9, 0.1
    inside = _first_step("rmsprop_eps_inside", {"lr": lr, "alpha": alpha, "eps": eps})
    outside = _first_step("rmsprop", {"lr": lr, "alpha": alpha, "eps": eps})
    np.testing.assert_allclose(inside, -lr * g / np.sqrt((1 - alpha) * g**2 + eps), rtol=1e-12)
    np.testing.assert_allclose(outside, -lr * g / (np.sqrt((1 - alpha) * g**2) + eps), rtol=1e-12)
    assert not np.allclose(inside, outside, rtol=1e-3)


def test_adam_without_bias_correction_steps_are_larger_by_the_corrections_ratio():
    # no correction: step = Adam's × (1 − β₁ᵗ)/√(1 − β₂ᵗ); ≈ 3.16 at t = 1 with the default betas
    plain = _first_step("adam_no_bias_correction", {"lr": 1e-3, "eps": 1e-12})
    adam = _first_step("adam", {"lr": 1e-3, "eps": 1e-12})
    np.testing.assert_allclose(plain, adam * 0.1 / math.sqrt(0.001), rtol=1e-9)


def test_adam_l2_and_adamw_side_by_side():
    surface = SURFACES[0]
    traj = simulate(
        surface,
        [
            ("adam", {"lr": 0.01, "weight_decay": 0.1}),
            ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
            ("adam", {"lr": 0.01}),
            ("adamw", {"lr": 0.01, "weight_decay": 0.0}),
        ],
        [surface.start],
        200,
    )
    assert traj.labels[:2] == ["Adam + L2", "AdamW (decoupled)"]
    # in 简体中文 ("Adam + L2(梯度)", "AdamW(解耦权重衰减)"): tests/app/test_optimizer_labels.py
    assert RULES["adam"].display_label({"weight_decay": 0.1}) == "Adam + L2"
    assert RULES["adamw"].display_label({"weight_decay": 0.1}) == "AdamW (decoupled)"
    assert not np.allclose(traj.xy[0], traj.xy[1], atol=1e-6)  # L2 through the gradient ≠ decoupled decay
    np.testing.assert_array_equal(traj.xy[2], traj.xy[3])  # without decay they are the same algorithm


# ---- the registry the app reads -------------------------------------------------------------------


@pytest.mark.parametrize("name", optimizer_names())
def test_latex_is_read_from_the_docstring(name):
    rule = RULES[name]
    assert rule.latex == latex_lines(rule.update)
    assert len(rule.latex) >= 5
    # a wrapped algorithm line is its docstring lines joined with one space (latex_lines' continuation rule)
    doc = " ".join(part.strip() for part in rule.update.__doc__.splitlines())
    for line in rule.latex:
        assert line in doc
        assert line.count("{") == line.count("}"), line  # balanced braces: renderable
        assert "\\\\" not in line
    # every formula line is written above the code computing it: its update (the ← line) exists
    source_comments = re.findall(r"# \$(.+?)\$", _source(rule.update))
    assert source_comments, f"{name}: no formula comments above the code"


def _source(function) -> str:
    import inspect

    text = inspect.getsource(function)
    for called in re.findall(r"return (_\w+)\(", text):  # adam/adamw share one body
        text += inspect.getsource(getattr(inspect.getmodule(function), called))
    return text


@pytest.mark.parametrize("name", [n for n, r in RULES.items() if r.torch_class is None])
def test_variant_torch_code_runs_and_matches(name):
    """The custom torch.optim.Optimizer in a variant's torch_code reproduces the rule for 100 steps."""
    surface = SURFACES[0]
    hp = resolve_hyperparams(name, {"lr": 2e-3})
    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    scope = {"params": [p]}
    exec(RULES[name].torch_code(hp), scope)
    positions = [p.detach().numpy().copy()]
    for _ in range(100):
        x, y = p.detach().numpy()
        p.grad = torch.tensor(_grad(surface, x, y), dtype=torch.float64)
        scope["optimizer"].step()
        positions.append(p.detach().numpy().copy())
    traj = simulate(surface, [(name, hp)], [surface.start], 100)
    np.testing.assert_allclose(traj.xy[0, 0], np.array(positions), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", [n for n, r in RULES.items() if r.torch_class is None])
def test_variant_torch_code_is_the_class_the_trainer_runs(name):
    """The code the app shows is generated from the trainer's class: one implementation of each variant."""
    import inspect
    import textwrap

    from optim_core.training.textbook_torch import TEXTBOOK_VARIANTS
    from optim_core.training.variants import optimizer_class

    cls = optimizer_class(name)
    assert cls is TEXTBOOK_VARIANTS[name]
    code = RULES[name].torch_code(resolve_hyperparams(name))
    assert f"class {cls.__name__}(" in code and f"optimizer = {cls.__name__}(params, " in code
    for method in (cls.__init__, cls.step):
        assert textwrap.indent(textwrap.dedent(inspect.getsource(method)), "    ") in code
    assert "math::" not in inspect.getdoc(cls)  # its algorithm is written once, in the NumPy rule's docstring
    assert f"update_{name}" in inspect.getdoc(cls)


def test_registry_fields_and_ranges():
    for name, rule in RULES.items():
        assert rule.name == name
        assert isinstance(rule.label, str) and rule.label  # English; both languages: tests/app
        assert rule.display_label() == rule.label  # a rule's label is that of its default hyperparameters
        assert rule.hyperparams[0].name == "lr"
        resolved = resolve_hyperparams(name, {})
        assert list(resolved) == [p.name for p in rule.hyperparams]
        for param in rule.hyperparams:
            assert param.kind in ("float", "bool", "int", "betas")
            if param.kind in ("float", "int"):
                assert param.contains(param.default), f"{name}.{param.name} default outside its range"
                assert not param.log_scale or param.low > 0
            if param.kind == "betas":
                assert all(param.contains(b) for b in param.default)
        code = rule.torch_code(resolved)
        compile(code, f"<{name} torch_code>", "exec")
        assert rule.torch_class is None or rule.torch_class in code
    assert {
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adadelta",
        "adam",
        "amsgrad",
        "adamw",
        "nadam",
        "radam",
        "adamax",
        "momentum_ema",
        "rmsprop_eps_inside",
        "adam_no_bias_correction",
    } <= set(RULES)


@pytest.mark.parametrize(
    "name, hp, message",
    [
        ("adamm", {}, "valid choices: sgd"),
        ("adam", {"learning_rate": 0.1}, "valid choices: lr, betas"),
        ("adam", {"lr": 0.0}, "lr"),
        ("sgd", {"lr": -1.0}, "lr"),
        ("adam", {"betas": (0.9, 1.0)}, "betas"),
        ("adam", {"betas": (-0.1, 0.9)}, "betas"),
        ("adam", {"betas": 0.9}, "pair"),
        ("adam", {"eps": 0.0}, "eps"),
        ("sgd", {"momentum": -0.5}, "momentum"),
        ("sgd", {"nesterov": True}, "nesterov"),
        ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening"),
        ("sgd", {"nesterov": 1}, "True or False"),
        ("adam", {"lr": "0.1"}, "number"),
        ("adam", {"lr": float("nan")}, "lr"),
        ("adam", {"amsgrad": "yes"}, "True or False"),
        ("rmsprop", {"alpha": 1.0}, "alpha"),
    ],
)
def test_invalid_hyperparameters_are_rejected_with_the_valid_choices(name, hp, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        resolve_hyperparams(name, hp)


def test_diagnostics_full_gives_r_by_2_arrays_with_nan_where_a_rule_has_none():
    params = np.array([[1.0, -2.0], [0.5, 0.5]])
    grad = np.array([[0.3, -0.1], [2.0, 1.0]])
    for name in ("sgd", "adam", "adadelta"):
        rule, hp = RULES[name], resolve_hyperparams(name, {"lr": 0.1})
        _, _, report = rule.update(grad, rule.init(params), params, hp["lr"], hp, 1)
        full = report.full(params.shape)
        assert all(value.shape == (2, 2) and value.dtype == float for value in full)
        assert np.isnan(full.momentum).all() == (name != "adam")
        assert np.isnan(full.second_moment).all() == (name == "sgd")
    np.testing.assert_array_equal(
        RULES["sgd"]
        .update(grad, RULES["sgd"].init(params), params, 0.1, resolve_hyperparams("sgd"), 1)[2]
        .full((2, 2))
        .step_size,
        0.1,
    )
