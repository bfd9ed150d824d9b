"""optim_core.surfaces against torch autograd (float64), and its critical points against a blind search.

Each surface's f is re-typed here in torch, independently of the NumPy code; torch then differentiates it
twice. The listed minima and saddles are checked against a vectorized Newton search started from a dense
grid over the whole window, so a missing or invented critical point fails.
"""

import math
import warnings

import numpy as np
import pytest
import torch

import optim_core
from optim_core.surfaces import Surface, get_surface, surface_names
from tests.parity.torch_reference import grad_or_zero

TEACHING_ORDER = [
    "bowl",
    "ravine",
    "saddle",
    "monkey_saddle",
    "plateau",
    "rosenbrock",
    "beale",
    "himmelblau",
    "rastrigin",
    "six_hump_camel",
    "classifier_mse",
    "classifier_ce",
]


def torch_f(name, p):
    """f(x, y) written in torch from the textbook formula; p is the surface's params."""
    if name == "bowl":
        return lambda x, y: p["curvature"] / 2 * (x**2 + y**2)
    if name == "ravine":
        t = math.radians(p["angle"])

        def ravine(x, y):
            u, v = math.cos(t) * x + math.sin(t) * y, -math.sin(t) * x + math.cos(t) * y
            return 0.5 * (u**2 + p["condition"] * v**2)

        return ravine
    if name == "saddle":
        return lambda x, y: x**2 - y**2
    if name == "monkey_saddle":
        return lambda x, y: x**3 - 3 * x * y**2
    if name == "plateau":
        return lambda x, y: (
            p["height"] * (1 - torch.tanh(p["steepness"] * x)) / 2
            + p["curvature"] / 2 * ((x - 1.5) ** 2 + y**2)
        )
    if name == "rosenbrock":
        return lambda x, y: (p["a"] - x) ** 2 + p["b"] * (y - x**2) ** 2
    if name == "beale":
        return lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    if name == "himmelblau":
        return lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
    if name == "rastrigin":
        A = p["A"]
        return lambda x, y: (
            2 * A + x**2 - A * torch.cos(2 * math.pi * x) + y**2 - A * torch.cos(2 * math.pi * y)
        )
    if name == "six_hump_camel":
        return lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2
    if name in ("classifier_mse", "classifier_ce"):
        # one neuron σ(w·x_i + b) with (w, b) = (x, y) on the module's fixed points, by torch's own losses
        from optim_core.surfaces.classifier import POINTS

        def neuron(x, y):
            z = x[:, None] * torch.tensor([p[0] for p in POINTS], dtype=torch.float64) + y[:, None]
            labels = torch.tensor([float(p[1]) for p in POINTS], dtype=torch.float64).expand_as(z)
            if name == "classifier_mse":
                return ((torch.sigmoid(z) - labels) ** 2).mean(dim=1)
            return torch.nn.functional.binary_cross_entropy_with_logits(z, labels, reduction="none").mean(1)

        return neuron
    raise AssertionError(name)


def torch_derivatives(fn, xs, ys):
    """f, (fx, fy), (fxx, fxy, fyy) at many points at once; the points do not interact, so the
    derivative of the sum is the pointwise derivative."""
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    f = fn(x, y)
    gx, gy = grad_or_zero(f, (x, y), create_graph=True)
    hxx, hxy = grad_or_zero(gx, (x, y))
    _, hyy = grad_or_zero(gy, (x, y))
    # force: torch's double backward of abs() returns a lazily-zero tensor
    return [t.detach().numpy(force=True) for t in (f, gx, gy, hxx, hxy, hyy)]


# every surface with its defaults, plus non-default parameters where it has any
CASES = [(name, {}) for name in TEACHING_ORDER] + [
    ("bowl", {"curvature": 3.5}),
    ("ravine", {"condition": 50.0, "angle": 30.0}),
    ("ravine", {"condition": 1.0, "angle": -75.0}),
    ("plateau", {"height": 2.0, "steepness": 1.5, "curvature": 0.05}),
    ("rosenbrock", {"a": -0.5, "b": 10.0}),
    ("rastrigin", {"A": 3.0}),
]
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]


def random_points(surface, n, seed):
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def eigenvalues(h):
    hxx, hxy, hyy = (float(v) for v in h)
    return np.linalg.eigvalsh(np.array([[hxx, hxy], [hxy, hyy]]))


# --------------------------------------------------------------------------------------------------
# registry and parameters


def test_registry_is_in_teaching_order():
    assert surface_names() == TEACHING_ORDER


def test_public_names_resolve_through_the_package():
    assert optim_core.get_surface is get_surface
    assert optim_core.Surface is Surface


def test_get_surface_passes_a_surface_through():
    s = get_surface("bowl")
    assert get_surface(s) is s


@pytest.mark.parametrize("bad", ["nope", "", "Bowl", None, 3])
def test_unknown_surface_names_the_choices(bad):
    with pytest.raises(ValueError, match="valid choices: bowl, ravine, saddle"):
        get_surface(bad)


@pytest.mark.parametrize(
    "name, params, fragment",
    [
        ("ravine", {"condition": 0.5}, "condition"),
        ("ravine", {"condition": float("nan")}, "finite"),
        ("ravine", {"condition": float("inf")}, "finite"),
        ("ravine", {"angle": float("nan")}, "angle"),
        ("bowl", {"curvature": 0}, "> 0"),
        ("bowl", {"curvature": -1}, "> 0"),
        ("bowl", {"curvature": "2"}, "number"),
        ("bowl", {"curvature": True}, "number"),
        ("plateau", {"height": 0}, "height"),
        ("plateau", {"steepness": -2}, "steepness"),
        ("plateau", {"curvature": 0}, "curvature"),
        ("rosenbrock", {"b": 0}, "'b'"),
        ("rastrigin", {"A": -1}, "'A'"),
        ("ravine", {"kappa": 3}, "valid parameters: condition, angle"),
        ("saddle", {"scale": 2}, "valid parameters: none"),
    ],
)
def test_invalid_params_raise_value_error(name, params, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        get_surface(name, **params)


def test_params_are_recorded():
    assert get_surface("ravine", condition=7, angle=15).params == {"condition": 7.0, "angle": 15.0}
    assert get_surface("bowl").params == {"curvature": 1.0}
    assert get_surface("plateau").params == {"height": 1.0, "steepness": 3.0, "curvature": 0.01}


@pytest.mark.parametrize("name", TEACHING_ORDER)
def test_titles_and_descriptions_have_english_and_chinese(name):
    s = get_surface(name)
    assert s.name == name
    for text in (s.title, s.description):
        assert set(text) >= {"en", "zh"}
        assert text["en"].strip() and text["zh"].strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text["zh"]), text["zh"]
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text["en"]), text["en"]
    assert "\n" not in s.description["en"] and "\n" not in s.description["zh"]


def test_log_levels_where_walls_are_steep():
    assert {n for n in TEACHING_ORDER if get_surface(n).log_levels} == {"rosenbrock", "beale", "himmelblau"}


@pytest.mark.parametrize("name", TEACHING_ORDER)
def test_start_and_critical_points_lie_in_the_window(name):
    s = get_surface(name)
    (x0, x1), (y0, y1) = s.bounds
    assert x0 < x1 and y0 < y1
    for x, y in (s.start, *s.minima, *s.saddles):
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert s.grad(*s.start) != (0, 0)
    assert all(isinstance(c, float) for p in (s.start, *s.minima, *s.saddles) for c in p)


# --------------------------------------------------------------------------------------------------
# f, gradient and Hessian against torch


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_value_gradient_and_hessian_match_torch_autograd(name, params):
    s = get_surface(name, **params)
    xs, ys = random_points(s, 400, seed=hash(name) % 2**32)
    # a few points on the edges and at the critical points too
    extra = [(b[0][i], b[1][j]) for b in [s.bounds] for i in (0, 1) for j in (0, 1)]
    extra += list(s.minima[:20]) + list(s.saddles[:20])
    xs = np.concatenate([xs, [p[0] for p in extra]])
    ys = np.concatenate([ys, [p[1] for p in extra]])
    expected = torch_derivatives(torch_f(name, s.params), xs, ys)
    got = [s.f(xs, ys), *s.grad(xs, ys), *s.hessian(xs, ys)]
    labels = ["f", "fx", "fy", "fxx", "fxy", "fyy"]
    for label, g, e in zip(labels, got, expected, strict=True):
        assert np.shape(g) == xs.shape, label
        scale = np.max(np.abs(e)) + 1.0
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12 * scale, err_msg=f"{name} {label}")


@pytest.mark.parametrize("name", TEACHING_ORDER)
def test_vectorized_over_grids_and_broadcasting(name):
    s = get_surface(name)
    (x0, x1), (y0, y1) = s.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5))
    values = [s.f(X, Y), *s.grad(X, Y), *s.hessian(X, Y)]
    for v in values:
        assert isinstance(v, np.ndarray) and v.shape == (5, 7) and v.dtype == np.float64
    # the same numbers one point at a time
    for i, j in [(0, 0), (2, 3), (4, 6)]:
        one = [s.f(X[i, j], Y[i, j]), *s.grad(X[i, j], Y[i, j]), *s.hessian(X[i, j], Y[i, j])]
        for v, scalar in zip(values, one, strict=True):
            assert np.ndim(scalar) == 0
            assert v[i, j] == pytest.approx(float(scalar), rel=1e-12, abs=1e-12)
    # column x row broadcasting gives the full grid
    xs, ys = np.linspace(x0, x1, 7)[None, :], np.linspace(y0, y1, 5)[:, None]
    for v, grid in zip([s.f(xs, ys), *s.grad(xs, ys), *s.hessian(xs, ys)], values, strict=True):
        np.testing.assert_allclose(v, grid, rtol=1e-13, atol=1e-13)


def test_evaluation_far_outside_the_window_gives_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = get_surface("plateau", steepness=50.0)
        assert np.all(np.isfinite(s.grad(np.array([-400.0, 400.0]), np.array([0.0, 0.0]))[0]))
        assert np.all(np.isfinite(s.hessian(np.array([-400.0, 400.0]), np.array([0.0, 0.0]))[0]))


# --------------------------------------------------------------------------------------------------
# critical points


def grad_scale(s):
    xs, ys = random_points(s, 200, seed=1)
    gx, gy = s.grad(xs, ys)
    return float(np.median(np.hypot(gx, gy))) + 1.0


def changes_sign_around(s, p, radius=1e-3):
    """Whether f takes values both above and below f(p) on a small circle: a saddle, even a degenerate one."""
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    d = s.f(p[0] + radius * np.cos(angles), p[1] + radius * np.sin(angles)) - s.f(*p)
    return d.max() > 0 > d.min()


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_minima_have_zero_gradient_and_positive_definite_hessian(name, params):
    s = get_surface(name, **params)
    assert s.minima or name in {"saddle", "monkey_saddle"}
    tol = 1e-9 * grad_scale(s)
    for p in s.minima:
        assert math.hypot(*s.grad(*p)) < tol, p
        assert eigenvalues(s.hessian(*p)).min() > 1e-6, p
    values = [float(s.f(*p)) for p in s.minima]
    # sorted by f, global first (ties to 1e-12 are ordered by position)
    assert all(a <= b + 1e-12 * (1 + abs(b)) for a, b in zip(values, values[1:], strict=False)), values


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_saddles_have_zero_gradient_and_indefinite_hessian(name, params):
    s = get_surface(name, **params)
    tol = 1e-9 * grad_scale(s)
    for p in s.saddles:
        assert math.hypot(*s.grad(*p)) < tol, p
        assert changes_sign_around(s, p), p
        low, high = eigenvalues(s.hessian(*p))
        if name == "monkey_saddle":
            # the one degenerate saddle: its Hessian vanishes, only the third-order term bends f
            assert low == high == 0.0
        else:
            assert low < -1e-6 < 1e-6 < high, p


def blind_critical_point_search(s, n):
    """All critical points Newton's method reaches from an n x n grid over the window, deduplicated."""
    (x0, x1), (y0, y1) = s.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    x, y = X.ravel(), Y.ravel()
    max_step = 0.1 * max(x1 - x0, y1 - y0)
    with np.errstate(all="ignore"):
        for _ in range(80):
            gx, gy = s.grad(x, y)
            hxx, hxy, hyy = s.hessian(x, y)
            det = hxx * hyy - hxy**2
            dx = -(hyy * gx - hxy * gy) / det
            dy = -(hxx * gy - hxy * gx) / det
            length = np.hypot(dx, dy)
            shrink = np.where(length > max_step, max_step / length, 1.0)
            x, y = x + shrink * dx, y + shrink * dy
        gx, gy = s.grad(x, y)
    ok = (np.hypot(gx, gy) < 1e-9 * grad_scale(s)) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    found = []
    for p in zip(x[ok].tolist(), y[ok].tolist(), strict=True):
        if all(math.hypot(p[0] - q[0], p[1] - q[1]) > 1e-6 for q in found):
            found.append(p)
    return found


def same_points(a, b, tol=1e-7):
    return all(any(math.hypot(p[0] - q[0], p[1] - q[1]) < tol for q in b) for p in a) and all(
        any(math.hypot(p[0] - q[0], p[1] - q[1]) < tol for q in a) for p in b
    )


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_listed_critical_points_are_all_there_are(name, params):
    s = get_surface(name, **params)
    n = 90 if name == "rastrigin" else 40
    minima, saddles = [], []
    for p in blind_critical_point_search(s, n):
        low, high = eigenvalues(s.hessian(*p))
        if low > 0:
            minima.append(p)
        elif low < 0 < high or changes_sign_around(s, p):
            saddles.append(p)
    assert same_points(minima, s.minima), (sorted(minima), s.minima)
    assert same_points(saddles, s.saddles), (sorted(saddles), s.saddles)


def test_exact_and_published_critical_points():
    himmelblau = get_surface("himmelblau")
    assert len(himmelblau.minima) == 4 and len(himmelblau.saddles) == 4
    for p in himmelblau.minima:
        assert himmelblau.f(*p) == pytest.approx(0.0, abs=1e-20)
    assert (3.0, 2.0) in himmelblau.minima

    camel = get_surface("six_hump_camel")
    assert len(camel.minima) == 6 and len(camel.saddles) == 7
    global_value = -1.0316284534898774
    assert [round(float(camel.f(*p)), 10) for p in camel.minima[:2]] == [round(global_value, 10)] * 2
    assert camel.f(*camel.minima[2]) > global_value + 0.5
    # the published location; ours is 6e-10 away and has an exactly zero gradient, theirs |∇f| ≈ 5e-9
    assert camel.minima[0] == pytest.approx((-0.08984201368301331, 0.7126564032704135), abs=1e-9)

    rastrigin = get_surface("rastrigin")
    assert len(rastrigin.minima) == 121 and len(rastrigin.saddles) == 220
    assert rastrigin.minima[0] == (0.0, 0.0) and rastrigin.f(0.0, 0.0) == 0.0

    beale = get_surface("beale")
    assert beale.minima == ((3.0, 0.5),) and (0.0, 1.0) in beale.saddles

    assert get_surface("rosenbrock", a=2.0).minima == ((2.0, 4.0),)
    assert get_surface("ravine", angle=40).minima == ((0.0, 0.0),)


# --------------------------------------------------------------------------------------------------
# the teaching properties the surfaces exist for


@pytest.mark.parametrize("condition, angle", [(1.0, 0.0), (20.0, 0.0), (50.0, 30.0), (300.0, -60.0)])
def test_ravine_condition_number_is_the_hessian_eigenvalue_ratio(condition, angle):
    s = get_surface("ravine", condition=condition, angle=angle)
    low, high = eigenvalues(s.hessian(0.7, -0.2))
    assert high / low == pytest.approx(condition, rel=1e-12)
    assert low == pytest.approx(1.0, rel=1e-12)


def run_torch_optimizer(surface, make_optimizer, steps):
    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    for _ in range(steps):
        optimizer.zero_grad()
        gx, gy = surface.grad(*p.detach().tolist())
        p.grad = torch.tensor([float(gx), float(gy)], dtype=torch.float64)
        optimizer.step()
    return p.detach().numpy()


def test_plateau_stalls_sgd_but_not_adam():
    s = get_surface("plateau")
    ((xm, ym),) = s.minima
    # on the plateau the slope is tiny compared with the cliff
    start_slope = math.hypot(*s.grad(*s.start))
    cliff_slope = max(abs(float(v)) for v in s.grad(np.linspace(-3, 3, 601), 0.0 * np.ones(601))[0])
    assert start_slope < 0.05 * cliff_slope
    assert s.f(*s.start) > s.f(xm, ym) + 0.9
    sgd = run_torch_optimizer(s, lambda p: torch.optim.SGD(p, lr=0.1), 200)
    adam = run_torch_optimizer(s, lambda p: torch.optim.Adam(p, lr=0.1), 200)
    assert sgd[0] < -1.5, sgd  # still on the plateau
    assert abs(adam[0] - xm) < 0.3 and s.f(*adam) < 0.05, adam  # down the cliff, in the basin


def test_saddle_start_slows_down_near_the_saddle_before_escaping():
    s = get_surface("saddle")
    path = [np.array(s.start)]
    for _ in range(150):
        path.append(path[-1] - 0.02 * np.array(s.grad(*path[-1])))
    distances = [float(np.hypot(*p)) for p in path]
    assert min(distances) < 0.3 and distances[-1] > 1.0


def test_himmelblau_maximum_is_in_the_description():
    text = get_surface("himmelblau").description["en"]
    assert "(-0.271, -0.923)" in text
