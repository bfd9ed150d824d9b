"""The MSE and cross-entropy surfaces of one neuron (optim_core/surfaces/classifier.py).

The registry-wide tests (tests/core/test_surfaces.py: autograd, Hessians, bounds, critical points;
tests/core/test_numba_backend.py: compiled == NumPy) cover both surfaces like every other. Here: the
losses against a direct torch model of the neuron, and the story they exist for.
"""

import math

import numpy as np
import pytest
import torch

from optim_core.simulation import simulate
from optim_core.surfaces import get_surface, surface_names
from optim_core.surfaces.classifier import CROSS_ENTROPY, MSE, POINTS, other_loss

NAMES = [MSE, CROSS_ENTROPY]


def torch_neuron_loss(name, w, b):
    """The loss of σ(w x + b) on POINTS, written with torch's own loss functions."""
    x = torch.tensor([p[0] for p in POINTS], dtype=torch.float64)
    labels = torch.tensor([float(p[1]) for p in POINTS], dtype=torch.float64)
    logits = w * x + b
    if name == MSE:
        return torch.nn.functional.mse_loss(torch.sigmoid(logits), labels)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)


def test_both_are_in_the_registry_and_each_names_the_other():
    assert set(NAMES) <= set(surface_names())
    assert other_loss(MSE) == CROSS_ENTROPY and other_loss(CROSS_ENTROPY) == MSE
    assert other_loss("bowl") is None


@pytest.mark.parametrize("name", NAMES)
def test_value_and_gradient_are_the_torch_models(name):
    s = get_surface(name)
    for w0, b0 in [s.start, (2.0, -0.5), (-6.0, 6.0), (0.0, 0.0), (5.5, -5.9)]:
        w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
        loss = torch_neuron_loss(name, w, b)
        loss.backward()
        assert float(s.f(w0, b0)) == pytest.approx(loss.item(), rel=1e-12)
        gw, gb = s.grad(w0, b0)
        assert (float(gw), float(gb)) == pytest.approx((w.grad.item(), b.grad.item()), rel=1e-10, abs=1e-15)


def test_the_classes_overlap_so_both_minima_are_finite_and_inside():
    # no threshold separates the labels, so cross-entropy has a finite minimum (no infimum at infinity)
    xs = sorted(POINTS)
    assert not any(all(label == (x > cut) for x, label in xs) for cut in np.linspace(-4, 4, 801))
    for name in NAMES:
        s = get_surface(name)
        assert len(s.minima) == 1
        w, b = s.minima[0]
        assert 1.0 < w < 4.0 and abs(b) < 1.0  # the right way round: class 1 on the right


def test_far_from_the_answer_mse_is_flat_and_cross_entropy_steep():
    mse, ce = get_surface(MSE), get_surface(CROSS_ENTROPY)
    assert mse.start == ce.start
    # every point confidently on the wrong side: both losses are high...
    assert mse.f(*mse.start) > 0.75 and ce.f(*ce.start) > 5.0
    # ...but only cross-entropy says which way to go
    mse_slope, ce_slope = math.hypot(*mse.grad(*mse.start)), math.hypot(*ce.grad(*ce.start))
    assert mse_slope < 0.02 < 1.0 < ce_slope
    assert ce_slope > 50 * mse_slope


def test_the_same_gradient_descent_stalls_on_mse_and_solves_cross_entropy():
    mse, ce = get_surface(MSE), get_surface(CROSS_ENTROPY)
    runs = {s.name: simulate(s, [("sgd", {"lr": 0.5})], [s.start], 200) for s in (mse, ce)}
    mse_end, ce_end = runs[MSE].xy[0, 0, -1], runs[CROSS_ENTROPY].xy[0, 0, -1]
    # still on the wrong side, loss barely moved
    assert mse_end[0] < -2.0 and mse.f(*mse_end) > 0.7
    # cross-entropy's minimum reached (to 1% of its loss)
    assert ce.f(*ce_end) < 1.01 * ce.f(*ce.minima[0])


@pytest.mark.parametrize("name", NAMES)
def test_no_overflow_or_warning_far_outside_the_window(name):
    s = get_surface(name)
    w, b = np.array([-400.0, 400.0, 0.0]), np.array([300.0, -300.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is exact enough
        values = [s.f(w, b), *s.grad(w, b), *s.hessian(w, b)]
    assert all(np.all(np.isfinite(v)) for v in values)
