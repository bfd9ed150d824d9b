"""RAdam's ρ_t and the step its rectification switches on (optim_core.optimizers.radam.rho and
first_rectified_step), against torch.optim.RAdam's own computation in float64: the first step whose
update is no longer the un-adapted γ·m̂_t, and the rectification term r_t read back from its updates."""

import math

import numpy as np
import pytest
import torch

from app.views.playground.rule_text import specialised_lines
from optim_core.optimizers.radam import RECTIFY_ABOVE, first_rectified_step, rho

LR, BETA1 = 0.01, 0.9


def torch_steps(beta2: float, steps: int, seed: int = 0):
    """(θ_{t−1} − θ_t, γ·m̂_t, v_t) of every step of torch.optim.RAdam on random gradients, float64."""
    rng = np.random.default_rng(seed)
    param = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.RAdam([param], lr=LR, betas=(BETA1, beta2), eps=1e-8)
    exp_avg, exp_avg_sq = np.zeros(5), np.zeros(5)
    out = []
    for t in range(1, steps + 1):
        grad = rng.normal(size=5) * rng.uniform(0.1, 10.0)  # far from unit size: l_t ≠ 1
        before = param.detach().clone().numpy()
        param.grad = torch.from_numpy(grad.copy())
        optimizer.step()
        exp_avg = BETA1 * exp_avg + (1 - BETA1) * grad
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        out.append((before - param.detach().numpy(), LR * exp_avg / (1 - BETA1**t), exp_avg_sq.copy()))
    return out


def torch_first_rectified_step(beta2: float, steps: int) -> int | None:
    for t, (delta, plain, _) in enumerate(torch_steps(beta2, steps), start=1):
        if not np.allclose(delta, plain, rtol=1e-9, atol=0.0):
            return t
    return None


@pytest.mark.parametrize("beta2", [0.999, 0.99, 0.95, 0.9, 0.8, 0.75, 0.7])
def test_the_rectification_switches_on_at_the_step_torch_stops_the_unadapted_update(beta2):
    expected = torch_first_rectified_step(beta2, 400)
    assert expected is not None
    assert first_rectified_step(beta2) == expected
    assert rho(expected, beta2)[1] > RECTIFY_ABOVE >= rho(expected - 1, beta2)[1]


@pytest.mark.parametrize("beta2", [0.5, 0.6, 2 / 3])
def test_no_rectification_when_rho_infinity_is_at_most_5(beta2):
    assert rho(1, beta2)[0] <= RECTIFY_ABOVE
    assert first_rectified_step(beta2) is None
    assert torch_first_rectified_step(beta2, 300) is None


@pytest.mark.parametrize("beta2", [0.999, 0.9])
def test_rho_t_is_the_one_torch_rectifies_with(beta2):
    # once rectified, torch's update is γ m̂_t · r_t · l_t with l_t = √(1 − β₂ᵗ) / (√v_t + ε):
    # r_t read back from it equals the one computed from our ρ_t
    for t, (delta, plain, v) in enumerate(torch_steps(beta2, 60, seed=1), start=1):
        rho_inf, rho_t = rho(t, beta2)
        assert rho_inf == pytest.approx(2 / (1 - beta2) - 1, rel=1e-15)
        if rho_t <= RECTIFY_ABOVE:
            continue
        adaptive = math.sqrt(1 - beta2**t) / (np.sqrt(v) + 1e-8)
        r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        np.testing.assert_allclose(delta, plain * adaptive * r_t, rtol=1e-9)


def test_first_rectified_step_refuses_a_beta2_outside_0_1():
    with pytest.raises(ValueError, match="beta2"):
        first_rectified_step(1.0)


def test_the_playgrounds_rule_text_shows_rho_infinity_and_the_switch_step():
    lines = specialised_lines("radam", {"betas": (0.9, 0.999)})
    assert any(line.endswith(r"\rho_\infty \leftarrow 2 / (1 - \beta_2) - 1 = 1999") for line in lines)
    assert any(line.endswith(r"\textbf{if}\ \rho_t > 5\ (t \geq 6):") for line in lines)
    never = specialised_lines("radam", {"betas": (0.9, 0.6)})
    assert any(r"(\rho_t < \rho_\infty \leq 5):" in line for line in never)
    # other rules are untouched
    assert not any(r"\rho" in line for line in specialised_lines("adam", {}))
