"""optim_core.surfaces.critical_points: the 2 × 2 eigen-decomposition, the classification of a point,
Newton's method and the grid search, each against an independent computation or a hand-checked case.

The searches over whole surfaces are tested where they are used: test_surfaces.py (built-in surfaces
against a blind Newton search) and test_formula.py (formula surfaces).
"""

import math

import numpy as np
import pytest

from optim_core.analysis import classify_point
from optim_core.formula import parse_formula
from optim_core.surfaces import get_surface, surface_names
from optim_core.surfaces.critical_points import (
    CRITICAL_KINDS,
    EIG_TOL,
    classify_hessian,
    find_critical_points,
    newton_polish,
    newton_refine,
    probe_degenerate,
    symmetric_eigen,
    symmetric_eigenvalues,
)

# ---- the symmetric 2 × 2 eigen-decomposition --------------------------------------------------------


def test_eigen_decomposition_matches_numpy_eigh():
    rng = np.random.default_rng(7)
    a, b, c = rng.normal(scale=10.0, size=(3, 500))
    a[:5], b[:5], c[:5] = 2.0, 0.0, 2.0  # repeated eigenvalues: any basis is right, ours must be orthonormal
    values, vectors = symmetric_eigen(a, b, c)
    matrices = np.stack([np.stack([a, b], -1), np.stack([b, c], -1)], -2)
    expected_values, expected_vectors = np.linalg.eigh(matrices)
    np.testing.assert_allclose(values, expected_values, atol=1e-12 * np.abs(matrices).max())
    np.testing.assert_allclose(matrices @ vectors, vectors * values[:, None, :], atol=1e-10)
    np.testing.assert_allclose(
        np.swapaxes(vectors, -1, -2) @ vectors, np.broadcast_to(np.eye(2), (500, 2, 2)), atol=1e-12
    )
    distinct = np.abs(expected_values[:, 1] - expected_values[:, 0]) > 1e-6
    overlap = np.abs(np.sum(vectors * expected_vectors, axis=-2))  # |cos| between matching columns
    np.testing.assert_allclose(overlap[distinct], 1.0, atol=1e-9)


def test_newton_polish_refuses_a_point_that_is_not_critical():
    bowl = get_surface("rosenbrock")
    with pytest.raises(ArithmeticError):
        newton_polish(bowl.grad, lambda x, y: (1.0, 0.0, 1e300), [(0.3, 0.1)], iterations=3)


def test_eigenvalues_alone_are_those_of_the_decomposition():
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(scale=5.0, size=(3, 200))
    values, _ = symmetric_eigen(a, b, c)
    low, high = symmetric_eigenvalues(a, b, c)
    np.testing.assert_array_equal(values, np.stack([low, high], axis=-1))
    # no overflow in the radius where the eigenvalues themselves are finite
    assert symmetric_eigenvalues(1e300, 1e300, -1e300) == pytest.approx(
        (-math.sqrt(2) * 1e300, math.sqrt(2) * 1e300)
    )


# ---- what kind of critical point ---------------------------------------------------------------------


def test_one_rule_for_degenerate_points():
    assert classify_hessian(2.0, 0.0, 2.0) == "minimum"
    assert classify_hessian(-1.0, 0.0, -3.0) == "maximum"
    assert classify_hessian(2.0, 0.0, -2.0) == classify_hessian(0.0, 1.0, 0.0) == "saddle"
    assert classify_hessian(0.0, 0.0, 0.0) == "degenerate"
    # an eigenvalue is zero up to EIG_TOL · (1 + max |λ|): here 3e-8 next to λ = −2
    zero = EIG_TOL * (1 + 2.0)
    assert classify_hessian(-2.0, 0.0, -0.9 * zero) == classify_hessian(-2.0, 0.0, 0.9 * zero) == "degenerate"
    assert classify_hessian(-2.0, 0.0, -1.1 * zero) == "maximum"
    assert classify_hessian(-2.0, 0.0, 1.1 * zero) == "saddle"
    assert classify_hessian(math.nan, 0.0, 1.0) == classify_hessian(math.inf, 0.0, 1.0) == "degenerate"


@pytest.mark.parametrize("name", surface_names())
def test_analysis_classifies_listed_points_by_the_same_rule(name):
    s = get_surface(name)
    for kind, points in (("minimum", s.minima), ("saddle", s.saddles)):
        for x, y in points:
            verdict = classify_hessian(*s.hessian(x, y))
            assert classify_point(s, x, y, grad_tol=1e-5) == verdict
            assert verdict == kind or (name == "monkey_saddle" and verdict == "degenerate")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("x**4 + y**4", "minimum"),
        ("-(x**4 + y**4)", "maximum"),
        ("x**3 - 3*x*y**2", "saddle"),
        ("x**2 + y**3", "saddle"),
        ("x**2", "degenerate"),  # level along y: not an isolated critical point
        ("1", "degenerate"),
    ],
)
def test_f_around_a_degenerate_point_tells_what_it_is(text, kind):
    s = parse_formula(text)
    assert classify_hessian(*s.hessian(0.0, 0.0)) == "degenerate"
    assert probe_degenerate(s.f, 0.0, 0.0, 1e-2) == kind


# ---- Newton's method on ∇f = 0 ----------------------------------------------------------------------


def test_newton_refine_converges_from_many_seeds_at_once_and_caps_its_steps():
    himmelblau = get_surface("himmelblau")
    seeds = np.array([(3.1, 2.1), (-2.8, 3.1), (-0.3, -0.9), (0.1, 2.9)])
    x, y = newton_refine(himmelblau.grad, himmelblau.hessian, seeds[:, 0], seeds[:, 1])
    assert x.shape == y.shape == (4,)
    np.testing.assert_allclose(np.hypot(*himmelblau.grad(x, y)), 0.0, atol=1e-9)
    # the bowl's Newton step goes straight to the origin; capped, it takes max_step
    bowl = get_surface("bowl")
    x, y = newton_refine(bowl.grad, bowl.hessian, 3.0, 4.0, iterations=1, max_step=0.5)
    assert (float(x), float(y)) == pytest.approx((3.0 - 0.3, 4.0 - 0.4), abs=1e-15)
    x, y = newton_refine(bowl.grad, bowl.hessian, 3.0, 4.0, iterations=1)
    assert (float(x), float(y)) == (0.0, 0.0)


def test_newton_polish_matches_a_solve_with_numpy():
    camel = get_surface("six_hump_camel")
    (px, py), *_ = newton_polish(camel.grad, camel.hessian, [(0.0898, -0.7126)])
    p = np.array([0.0898, -0.7126])
    for _ in range(50):
        hxx, hxy, hyy = (float(v) for v in camel.hessian(*p))
        p = p - np.linalg.solve([[hxx, hxy], [hxy, hyy]], [float(g) for g in camel.grad(*p)])
    assert (px, py) == pytest.approx(tuple(p), abs=1e-14)


# ---- the grid search --------------------------------------------------------------------------------


def test_grid_search_on_a_built_in_surface_finds_its_listed_points():
    s = get_surface("six_hump_camel")
    minima, saddles = find_critical_points(s.f, s.grad, s.hessian, s.bounds)
    for found, listed in ((minima, s.minima), (saddles, s.saddles)):
        assert len(found) == len(listed)
        for p in listed:
            assert any(math.hypot(p[0] - q[0], p[1] - q[1]) < 1e-9 for q in found), (p, found)


def test_grid_search_keeps_a_saddle_whose_zero_eigenvalue_newton_finds_only_to_sqrt_eps():
    # f_y = cos(y + 0.5) − 1 vanishes to second order at y = −0.5, so Newton converges there only
    # linearly and the Hessian's zero eigenvalue is ~1e-8 at the point found: degenerate, then a saddle
    s = parse_formula("-x**2 - y + sin(y + 0.5)")
    assert s.minima == () and len(s.saddles) == 1
    assert s.saddles[0] == pytest.approx((0.0, -0.5), abs=1e-6)


def test_grid_search_finds_himmelblaus_local_maximum_with_its_minima_and_saddles():
    s = get_surface("himmelblau")
    minima, saddles, maxima = find_critical_points(s.f, s.grad, s.hessian, s.bounds, kinds=CRITICAL_KINDS)
    assert len(minima) == 4 and len(saddles) == 4
    (top,) = maxima
    assert top == pytest.approx((-0.270845, -0.923039), abs=1e-6)
    assert float(s.f(*top)) == pytest.approx(181.617, abs=1e-3)
    assert classify_point(s, *top) == "maximum"
    # the default is still (minima, saddles), as formula surfaces list them
    assert find_critical_points(s.f, s.grad, s.hessian, s.bounds) == (minima, saddles)


def test_grid_search_finds_the_maxima_of_a_formula_and_refuses_an_unknown_kind():
    s = parse_formula("sin(x) * sin(y)")
    (maxima,) = find_critical_points(s.f, s.grad, s.hessian, s.bounds, kinds=("maximum",))
    assert maxima and all(classify_point(s, *p) == "maximum" for p in maxima)
    assert all(float(s.f(*p)) == pytest.approx(1.0) for p in maxima)
    with pytest.raises(ValueError, match="kinds"):
        find_critical_points(s.f, s.grad, s.hessian, s.bounds, kinds=("peak",))
