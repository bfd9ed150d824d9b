"""Planes through weight space, on which a loss landscape is drawn, and the paths projected onto them.

A Plane is an origin and two orthonormal directions u, v of R^P, in float64: the point at coordinates
(a, b) is origin + a·u + b·v, so coordinates are Euclidean distances in weight space (over the flat
vector of flat.py). Three kinds:

* "runs", `through_runs(paths, A, B)`: the plane through θ₀ and the final weights of lanes A and B
  (Gram–Schmidt on θ_A − θ₀ and θ_B − θ₀). Both ends lie on it exactly; A's end is at (‖θ_A − θ₀‖, 0).
* "pca", `pca(paths)`: the plane through θ₀ that best fits every snapshot of every lane (the top two
  right singular vectors of the displacements θ − θ₀, not centred: the plane must contain θ₀, where
  all lanes start). Li et al. 2018 (§7) centre on the final weights of one run instead.
* "random", `filter_normalized(paths, lane, seed)`: two Gaussian directions around one lane's final
  weights, filter-normalized (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets", §4).

A projection is a shadow, not the path: `project` returns each point's distance from the plane beside
its coordinates, and `off_plane` each lane's largest distance as a fraction of its path length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optim_core.training.landscape.paths import LandscapeError, Paths

COLLINEAR_TOL = 1e-6  # two directions are refused when the sine of their angle is below this


@dataclass(frozen=True)
class Plane:
    """origin + a·u + b·v: u, v unit and orthogonal (float64, length P)."""

    origin: np.ndarray
    u: np.ndarray
    v: np.ndarray
    kind: str  # "runs" | "pca" | "random"
    description: str  # in English; the app builds its own from the fields below
    lanes: tuple[str, ...] = ()  # the lanes that define it (runs: A and B; random: the centre's lane)
    explained: tuple[float, float] | None = None  # pca: the variance ratio along u and v
    seed: int | None = None  # random: the seed of the directions
    # The length of one natural unit along u and v: random, the norms of the two filter-normalized
    # directions (a / scale[0] is Li et al.'s α); otherwise 1 (coordinates are distances).
    scale: tuple[float, float] = (1.0, 1.0)

    def point(self, a: float, b: float) -> np.ndarray:
        """The weights at coordinates (a, b), float64."""
        return self.origin + a * self.u + b * self.v


@dataclass(frozen=True)
class OffPlane:
    """How far a lane's recorded path (θ₀, then its snapshots) lies from a plane."""

    label: str
    max_distance: float
    final_distance: float  # of the lane's last snapshot
    path_length: float  # of the recorded polyline θ₀ → snapshots (a thinned path is a little shorter)
    ratio: float  # max_distance / path_length; NaN when the lane has not moved


def _orthonormal(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Gram–Schmidt: u = a/‖a‖, v ∝ b − (b·u)u; None when b is (nearly) along a or either is zero."""
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0.0 or norm_b == 0.0:
        return None
    u = a / norm_a
    # $w = b - (b \cdot u)\,u$, done twice ("twice is enough": the second pass removes the rounding)
    w = b - (b @ u) * u
    w = w - (w @ u) * u
    norm_w = float(np.linalg.norm(w))
    if norm_w <= COLLINEAR_TOL * norm_b:
        return None
    return u, w / norm_w


def through_runs(paths: Paths, lane_a: str, lane_b: str) -> Plane:
    """The plane through θ₀ and the final weights of lanes A and B.

    u = (θ_A − θ₀)/‖θ_A − θ₀‖ and v is θ_B − θ₀ made orthogonal to u, so A's end is at (‖θ_A − θ₀‖, 0)
    and B's at ((θ_B − θ₀)·u, (θ_B − θ₀)·v), both at distance 0. LandscapeError: "missing_lane" (no
    such lane), "not_moved" (a lane's end is θ₀), "collinear" (the two ends lie on one line through θ₀,
    A = B included).
    """
    theta0 = paths.theta0.astype(np.float64)
    a = paths.final(lane_a).astype(np.float64) - theta0
    b = paths.final(lane_b).astype(np.float64) - theta0
    for label, d in ((lane_a, a), (lane_b, b)):
        if not d.any():
            raise LandscapeError("not_moved", "{lane!r} has not moved from θ₀", lane=label)
    basis = _orthonormal(a, b)
    if basis is None:
        raise LandscapeError(
            "collinear", "the final weights of {a!r} and {b!r} lie on one line through θ₀", a=lane_a, b=lane_b
        )
    return Plane(
        theta0,
        *basis,
        kind="runs",
        description=f"through θ₀ and the final weights of {lane_a!r} and {lane_b!r}",
        lanes=(lane_a, lane_b),
    )


def pca(paths: Paths) -> Plane:
    """The plane through θ₀ along the top two principal directions of every lane's displacements.

    With X the (n, P) matrix of all snapshots θ − θ₀ (every lane) and X = U S Vᵀ its thin SVD, u and v
    are the first two rows of Vᵀ and `explained` is s_i² / Σ s² (uncentred: see the module's docstring).
    Each direction is signed so that the point farthest along it has a positive coordinate.
    LandscapeError("pca_rank") when the displacements span fewer than two directions.
    """
    theta0 = paths.theta0.astype(np.float64)
    rows = [lane.weights.astype(np.float64) - theta0 for lane in paths.lanes if len(lane.weights)]
    x = np.vstack(rows) if rows else np.zeros((0, len(theta0)))
    if len(x) < 2:
        raise LandscapeError("pca_rank", "the paths span fewer than two directions")
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    if s[1] <= COLLINEAR_TOL * s[0]:
        raise LandscapeError("pca_rank", "the paths span fewer than two directions")
    directions = []
    for direction in vt[:2]:
        coords = x @ direction
        directions.append(direction if coords[np.argmax(np.abs(coords))] > 0 else -direction)
    total = float(np.sum(s**2))
    explained = (float(s[0] ** 2 / total), float(s[1] ** 2 / total))
    return Plane(
        theta0,
        directions[0],
        directions[1],
        kind="pca",
        description=(f"PCA of all lanes' paths from θ₀ (explains {explained[0]:.1%} and {explained[1]:.1%})"),
        lanes=tuple(paths.labels),
        explained=explained,
    )


def filter_normalized_directions(paths: Paths, lane: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Two Gaussian directions (float64, length P) filter-normalized to the lane's final weights θ.

    Li et al. 2018, eq. (1): every filter of a direction d is rescaled to the norm of the same filter of
    θ, $d_{i,j} \leftarrow \frac{d_{i,j}}{\|d_{i,j}\|} \|\theta_{i,j}\|$. A filter is a slice along
    the first dimension of a parameter of two or more dimensions: a conv's output channel, a linear
    layer's row. One-dimensional parameters (BatchNorm weights and biases, every bias) are set to 0, as
    in the authors' code (ignore="biasbn"): the picture moves the filters only. The same seed gives the
    same directions (numpy.random.default_rng(seed)).
    """
    weights = paths.final(lane).astype(np.float64)
    directions = np.random.default_rng(seed).standard_normal((2, len(weights)))
    start = 0
    for _, shape in paths.shapes:
        stop = start + math.prod(shape)
        if len(shape) < 2:
            directions[:, start:stop] = 0.0
        else:
            filters = weights[start:stop].reshape(shape[0], -1)
            for d in directions:
                d_filters = d[start:stop].reshape(shape[0], -1)
                scale = np.linalg.norm(filters, axis=1) / np.linalg.norm(d_filters, axis=1)
                d[start:stop] = (d_filters * scale[:, None]).reshape(-1)
        start = stop
    if start != len(weights):
        raise ValueError(f"the parameter shapes hold {start} values, the weights {len(weights)}")
    return directions[0], directions[1]


def filter_normalized(paths: Paths, lane: str, seed: int = 0) -> Plane:
    """Random filter-normalized directions around the lane's final weights (origin there).

    u = d₁/‖d₁‖, v = d₂ made orthogonal to u (in high dimension d₂ is already nearly orthogonal: the
    cosine is about 1/√P), scale = (‖d₁‖, ‖d₂‖): coordinate a is Li et al.'s α·‖d₁‖.
    LandscapeError("missing_lane"), or ("no_filters") when the lane's filters are all zero.
    """
    d1, d2 = filter_normalized_directions(paths, lane, seed)
    basis = _orthonormal(d1, d2)
    if basis is None:
        raise LandscapeError("no_filters", "{lane!r} has no non-zero filter to scale by", lane=lane)
    return Plane(
        paths.final(lane).astype(np.float64),
        *basis,
        kind="random",
        description=f"random filter-normalized directions around the final weights of {lane!r} (seed {seed})",
        lanes=(lane,),
        seed=seed,
        scale=(float(np.linalg.norm(d1)), float(np.linalg.norm(d2))),
    )


def project(plane: Plane, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coords (n, 2), distance (n,)) of points (n, P) or (P,): coordinates (d·u, d·v) of d = point −
    origin, and the distance from the plane ‖d − (d·u)u − (d·v)v‖, all in float64."""
    d = np.atleast_2d(np.asarray(points, dtype=np.float64)) - plane.origin
    coords = np.stack([d @ plane.u, d @ plane.v], axis=1)
    residual = d - coords[:, :1] * plane.u - coords[:, 1:] * plane.v
    return coords, np.linalg.norm(residual, axis=1)


def off_plane(plane: Plane, paths: Paths) -> dict[str, OffPlane]:
    """Per lane, how far its recorded path (θ₀ and its snapshots) lies from the plane."""
    out = {}
    for label in paths.labels:
        points = paths.points(label).astype(np.float64)
        _, distance = project(plane, points)
        length = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
        out[label] = OffPlane(
            label,
            float(distance.max()),
            float(distance[-1]),
            length,
            float(distance.max() / length) if length > 0 else math.nan,
        )
    return out
