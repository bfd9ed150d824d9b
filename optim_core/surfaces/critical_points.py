r"""Critical points of a 2D surface: where ∇f = 0, and what kind of point each one is.

The one home of what the built-in surfaces, formula surfaces and analysis.py share:

- `symmetric_eigenvalues` / `symmetric_eigen`: the closed-form eigen-decomposition of a symmetric
  2 × 2 matrix such as the Hessian [[f_xx, f_xy], [f_xy, f_yy]];
- `classify_hessian`: minimum, maximum, saddle or degenerate, by one rule (`EIG_TOL`);
- `newton_refine` / `newton_polish`: Newton's method on ∇f = 0;
- `find_critical_points`: the grid search a formula surface uses to list its minima and saddles, and
  every surface's maxima (the built-in surfaces polish published minima and saddles with
  `newton_polish` instead).

Everything here works on the functions f, grad, hessian of a surface, never on a Surface itself.
"""

from __future__ import annotations

import math

import numpy as np

Point = tuple[float, float]

EIG_TOL = 1e-8  # an eigenvalue is zero when |λ| <= EIG_TOL · (1 + max |λ|): see classify_hessian
MAX_CRITICAL_POINTS = 64  # of each kind that find_critical_points reports


# ---- the symmetric 2 × 2 eigen-decomposition --------------------------------------------------------


def symmetric_eigenvalues(a, b, c):
    r"""(λ_min, λ_max) of the symmetric matrices [[a, b], [b, c]], given element-wise (any shapes).

    $\lambda_\pm = m \pm r,\; m = \tfrac{a + c}{2},\; r = \sqrt{(\tfrac{a - c}{2})^2 + b^2}$; r is
    computed with hypot, so it neither overflows nor underflows where the eigenvalues are finite.
    """
    a, b, c = (np.asarray(v, dtype=float) for v in (a, b, c))
    # m = (a + c)/2, r = √(((a − c)/2)² + b²): the eigenvalues are m ∓ r
    mean = 0.5 * (a + c)
    radius = np.hypot(0.5 * (a - c), b)
    return mean - radius, mean + radius


def symmetric_eigen(a, b, c) -> tuple[np.ndarray, np.ndarray]:
    r"""Eigenvalues (…, 2), ascending, and eigenvectors (…, 2, 2), as columns like numpy.linalg.eigh,
    of the symmetric matrices [[a, b], [b, c]] given element-wise.

    The eigenvalues are `symmetric_eigenvalues`; the eigenvector of λ₊ is (cos θ, sin θ) with
    $\theta = \tfrac12 \operatorname{atan2}(2b, a - c)$, and that of λ₋ is perpendicular to it.
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c)))
    values = np.stack(symmetric_eigenvalues(a, b, c), axis=-1)
    # θ = ½ atan2(2b, a − c) turns the x axis onto the eigenvector of the larger eigenvalue (0 when r = 0)
    theta = 0.5 * np.arctan2(2.0 * b, a - c)
    cos, sin = np.cos(theta), np.sin(theta)
    vectors = np.empty(a.shape + (2, 2))
    vectors[..., 0, 0], vectors[..., 1, 0] = -sin, cos  # column 0: the eigenvector of λ_min
    vectors[..., 0, 1], vectors[..., 1, 1] = cos, sin  # column 1: the eigenvector of λ_max
    return values, vectors


# ---- what kind of critical point ---------------------------------------------------------------------


def classify_hessian(hxx, hxy, hyy, *, eig_tol: float = EIG_TOL) -> str:
    r""" "minimum", "maximum", "saddle" or "degenerate": the second-derivative test at a critical point
    whose Hessian is [[hxx, hxy], [hxy, hyy]].

    The one rule for degenerate points: an eigenvalue counts as zero when
    $|\lambda| \le \text{eig\_tol} \cdot (1 + \max(|\lambda_{min}|, |\lambda_{max}|))$, and a point with
    a zero (or non-finite) eigenvalue is "degenerate": the Hessian cannot tell (x⁴ + y⁴, the monkey
    saddle). `probe_degenerate` then looks at f itself.

    Before there was one home, the formula search used this rule and analysis.classify_point used
    |λ| <= 1e-9 · max(1, |λ_min|, |λ_max|). The tests pin down what both must say (the monkey saddle is
    "degenerate", x³ − 3xy² and x⁴ + y⁴ are found as a saddle and a minimum, x² − y² is a saddle) and
    pass with either; this one is kept because Newton's method converges only linearly to a degenerate
    critical point, so there its zero eigenvalue is known to about √eps ≈ 1e-8, and the tighter rule
    took such points for maxima or minima (a saddle of -x² - y + sin(y + 0.5) went missing).
    """
    with np.errstate(all="ignore"):
        low, high = (float(v) for v in symmetric_eigenvalues(hxx, hxy, hyy))
    if not (math.isfinite(low) and math.isfinite(high)):
        return "degenerate"
    zero = eig_tol * (1.0 + max(abs(low), abs(high)))
    if abs(low) <= zero or abs(high) <= zero:
        return "degenerate"
    if low > 0:
        return "minimum"
    if high < 0:
        return "maximum"
    return "saddle"


def probe_degenerate(f, x: float, y: float, radius: float) -> str:
    """A critical point the Hessian cannot classify, told apart by f on a circle of `radius` around it:
    "minimum" where f rises all around, "maximum" where it falls all around, "saddle" where it does both,
    else "degenerate" (f stays level along some direction: the point is not isolated, e.g. x² at x = 0)."""
    angles = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    with np.errstate(all="ignore"):
        f0 = float(f(x, y))
        change = f(x + radius * np.cos(angles), y + radius * np.sin(angles)) - f0
    small = 1e-12 * (1.0 + abs(f0))
    rises, falls = change > small, change < -small
    if np.all(rises):
        return "minimum"
    if np.all(falls):
        return "maximum"
    if np.any(rises) and np.any(falls):
        return "saddle"
    return "degenerate"


def by_value(f, points) -> tuple[Point, ...]:
    """Points sorted by f, lowest first (ties to 1e-12 by position, so the order is deterministic)."""
    return tuple(sorted(points, key=lambda p: (round(float(f(*p)), 12), p)))


# ---- Newton's method on ∇f = 0 ----------------------------------------------------------------------


def newton_refine(grad, hessian, x, y, *, iterations: int = 50, max_step: float = math.inf):
    r"""Newton's method on ∇f = 0 from every point (x, y) at once (arrays of one shape): the points it
    reaches, as float arrays. Points that do not converge are returned where they stopped; the caller
    judges them (`newton_polish` raises, `find_critical_points` drops them).

    $p \leftarrow p - H(p)^{-1} \nabla f(p)$, the 2 × 2 inverse in closed form. Where H is singular
    (|det H| <= 1e-12 ‖H‖²) a gradient step scaled by 1/‖H‖ is taken instead, and a step longer than
    max_step is shortened to it (so a seed on a flat stretch does not jump far away). Each point stops
    once its step is below 1e-15 of its size: quadratic convergence turns a 4-digit location into a
    machine-precision one in a few steps.
    """
    x, y = np.array(x, dtype=float), np.array(y, dtype=float)
    moving = np.ones(x.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            gx, gy = grad(x, y)
            hxx, hxy, hyy = hessian(x, y)
            det = hxx * hyy - hxy * hxy
            size = hxx * hxx + 2 * hxy * hxy + hyy * hyy  # ‖H‖² (Frobenius)
            regular = np.abs(det) > 1e-12 * size
            scale = np.where(size > 0, np.sqrt(size), 1.0)
            # [dx, dy] = −H⁻¹ ∇f  with  H⁻¹ = [[hyy, −hxy], [−hxy, hxx]] / det; −∇f / ‖H‖ where H is singular
            safe_det = np.where(regular, det, 1.0)
            dx = np.where(regular, -(hyy * gx - hxy * gy) / safe_det, -gx / scale)
            dy = np.where(regular, -(hxx * gy - hxy * gx) / safe_det, -gy / scale)
            length = np.hypot(dx, dy)
            shrink = np.where(length > max_step, max_step / np.where(length > 0, length, 1.0), 1.0)
            dx, dy = np.where(moving, shrink * dx, 0.0), np.where(moving, shrink * dy, 0.0)
            x, y = x + dx, y + dy
            moving &= np.abs(dx) + np.abs(dy) > 1e-15 * (1 + np.abs(x) + np.abs(y))
            if not moving.any():
                break
    return x, y


def newton_polish(grad, hessian, points, iterations: int = 50) -> tuple[Point, ...]:
    """Approximate critical points (a published 4-digit location) refined to machine precision by
    `newton_refine`. Raises ArithmeticError if a point does not converge: a wrong seed is a bug, not
    something to plot."""
    points = [(float(x), float(y)) for x, y in points]
    if not points:
        return ()
    px, py = newton_refine(grad, hessian, *zip(*points, strict=True), iterations=iterations)
    with np.errstate(all="ignore"):
        gx, gy = grad(px, py)
    polished = []
    for x, y, g in zip(px.tolist(), py.tolist(), np.hypot(gx, gy).tolist(), strict=True):
        if not (math.isfinite(x) and math.isfinite(y) and g <= 1e-7 * (1 + abs(x) + abs(y))):
            raise ArithmeticError(f"Newton's method did not converge to a critical point near {(x, y)}")
        polished.append((x, y))
    return tuple(polished)


# ---- the grid search --------------------------------------------------------------------------------


CRITICAL_KINDS = ("minimum", "saddle", "maximum")


def find_critical_points(
    f, grad, hessian, bounds, grid: int = 48, max_seeds: int = 256, kinds=("minimum", "saddle")
):
    """Isolated critical points of f inside bounds, one tuple per entry of `kinds` (by default
    (minima, saddles); any of CRITICAL_KINDS), each sorted by f and at most MAX_CRITICAL_POINTS long.

    Seeds are the grid points where |∇f| is locally smallest; `newton_refine` polishes them. Each point
    is classified by `classify_hessian`, and a degenerate one (x⁴, a monkey saddle) by `probe_degenerate`.
    Critical points that are not isolated (the line x = 0 of f = x²) are left out. Maxima are found like
    the others (Himmelblau's one maximum, at about (−0.2708, −0.9230)); they used to be dropped here,
    so no page could list them.
    """
    unknown = set(kinds) - set(CRITICAL_KINDS)
    if unknown:
        raise ValueError(f"kinds must be among {CRITICAL_KINDS}, got {sorted(unknown)}")
    (x0, x1), (y0, y1) = bounds
    span = max(x1 - x0, y1 - y0)
    X, Y = np.meshgrid(np.linspace(x0, x1, grid), np.linspace(y0, y1, grid))
    gx, gy = grad(X, Y)
    with np.errstate(all="ignore"):
        g2 = gx * gx + gy * gy
    g2 = np.where(np.isfinite(g2), g2, np.inf)
    padded = np.pad(g2, 1, constant_values=np.inf)
    seed = np.isfinite(g2)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                seed &= g2 <= padded[1 + di : 1 + di + grid, 1 + dj : 1 + dj + grid]
    order = np.argsort(g2[seed])[:max_seeds]
    # |∇f| is "zero" relative to its typical size on the grid (the middle value; np.median would
    # import numpy.ma on first use)
    finite = np.sort(np.sqrt(g2[np.isfinite(g2)]))
    tolerance = 1e-8 * (1.0 + (float(finite[finite.size // 2]) if finite.size else 0.0))

    px, py = newton_refine(grad, hessian, X[seed][order], Y[seed][order], iterations=40, max_step=0.1 * span)
    with np.errstate(all="ignore"):
        gx, gy = grad(px, py)
    margin = 1e-9 * span
    keep = (
        (np.hypot(gx, gy) <= tolerance)
        & (px >= x0 - margin)
        & (px <= x1 + margin)
        & (py >= y0 - margin)
        & (py <= y1 + margin)
    )
    points: list[Point] = []
    for p in zip(np.clip(px[keep], x0, x1).tolist(), np.clip(py[keep], y0, y1).tolist(), strict=True):
        if all(math.hypot(p[0] - q[0], p[1] - q[1]) > 1e-6 * span for q in points):
            points.append(p)

    found: dict[str, list[Point]] = {kind: [] for kind in CRITICAL_KINDS}
    for x, y in points:
        hxx, hxy, hyy = (float(v) for v in hessian(x, y))
        if not all(math.isfinite(v) for v in (hxx, hxy, hyy)):
            continue
        kind = classify_hessian(hxx, hxy, hyy)
        if kind == "degenerate":
            kind = probe_degenerate(f, x, y, 1e-3 * span)
        found.get(kind, []).append((x, y))
    return tuple(by_value(f, found[kind])[:MAX_CRITICAL_POINTS] for kind in kinds)
