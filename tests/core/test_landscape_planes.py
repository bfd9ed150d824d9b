"""Planes through weight space (landscape/planes.py): through two runs, PCA, filter-normalized random.

Pure NumPy on made-up paths in the small CNN's own parameter layout (8x8 digits: P = 6,138).
"""

from __future__ import annotations

import numpy as np
import pytest

from optim_core.training.landscape.flat import parameter_shapes
from optim_core.training.landscape.paths import LandscapeError, LanePath, Paths
from optim_core.training.landscape.planes import (
    filter_normalized,
    filter_normalized_directions,
    off_plane,
    pca,
    project,
    through_runs,
)
from optim_core.training.model import SmallCNN

SHAPES = tuple(parameter_shapes(SmallCNN((1, 8, 8), 10)))
P = sum(int(np.prod(shape)) for _, shape in SHAPES)


def lane_path(label, weights):
    k = len(weights)
    steps = np.arange(1, k + 1, dtype=np.int64)
    return LanePath(
        label, np.asarray(weights, np.float32), steps, steps, np.full(k, np.nan), np.ones(k, dtype=bool)
    )


def random_walk(rng, theta0, k, drift):
    """k snapshots of a noisy walk from θ₀ along `drift`."""
    steps = drift[None, :] / k + 0.02 * rng.standard_normal((k, P))
    return theta0 + np.cumsum(steps, axis=0)


@pytest.fixture
def paths():
    rng = np.random.default_rng(0)
    theta0 = (0.1 * rng.standard_normal(P)).astype(np.float32)
    lanes = [lane_path(label, random_walk(rng, theta0, 12, rng.standard_normal(P))) for label in "abc"]
    return Paths(theta0, tuple(lanes), SHAPES)


def test_the_two_defining_lanes_end_on_the_plane_at_exact_coordinates(paths):
    plane = through_runs(paths, "a", "b")
    theta0 = paths.theta0.astype(np.float64)
    a, b = (paths.final(x).astype(np.float64) - theta0 for x in "ab")
    assert plane.kind == "runs" and plane.lanes == ("a", "b") and "'a'" in plane.description
    np.testing.assert_allclose(
        [plane.u @ plane.u, plane.v @ plane.v, plane.u @ plane.v], [1, 1, 0], atol=1e-12
    )
    coords, distance = project(plane, np.stack([paths.final("a"), paths.final("b"), paths.theta0]))
    along = b @ a / np.linalg.norm(a)
    across = np.sqrt(b @ b - along**2)
    np.testing.assert_allclose(
        coords, [[np.linalg.norm(a), 0], [along, across], [0, 0]], rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(distance, 0, atol=1e-12 * np.linalg.norm(a))
    single, _ = project(plane, paths.final("a"))  # one point (P,) works too
    assert single.shape == (1, 2)
    np.testing.assert_allclose(plane.point(*coords[1]), paths.final("b"), atol=1e-12)
    # the paths themselves wander off the plane: say how far, relative to how far each lane went
    off = off_plane(plane, paths)
    assert off["a"].final_distance < 1e-12 * off["a"].path_length
    assert 0 < off["a"].ratio < 1 and off["c"].final_distance > 0.1 * off["c"].path_length
    assert off["a"].max_distance == pytest.approx(off["a"].ratio * off["a"].path_length)


def test_collinear_or_missing_lanes_are_refused_by_key(paths):
    theta0 = paths.theta0.astype(np.float64)
    twice = theta0 + 2.0 * (paths.final("a").astype(np.float64) - theta0)
    still = np.stack([paths.theta0, paths.theta0])  # moved, then came back: ends at θ₀
    more = Paths(paths.theta0, (*paths.lanes, lane_path("a2", twice[None]), lane_path("z", still)), SHAPES)
    for a, b, key in [
        ("a", "a2", "collinear"),
        ("a", "a", "collinear"),
        ("a", "nope", "missing_lane"),
        ("z", "a", "not_moved"),
    ]:
        with pytest.raises(ValueError, match=f"landscape.{key}: ") as caught:
            through_runs(more, a, b)
        assert isinstance(caught.value, LandscapeError) and caught.value.key == key


def test_pca_coordinates_equal_an_svd_done_here(paths):
    plane = pca(paths)
    points = np.vstack([lane.weights for lane in paths.lanes]).astype(np.float64)
    x = points - paths.theta0.astype(np.float64)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    raw = x @ vt[:2].T
    signs = np.sign(raw[np.argmax(np.abs(raw), axis=0), [0, 1]])  # the farthest point along each: positive
    directions = vt[:2] * signs[:, None]
    expected = x @ directions.T
    coords, distance = project(plane, points)
    np.testing.assert_allclose(coords, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(distance, np.linalg.norm(x - expected @ directions, axis=1), rtol=1e-9)
    assert plane.explained == pytest.approx(tuple(s[:2] ** 2 / np.sum(s**2)))
    assert plane.kind == "pca" and plane.lanes == ("a", "b", "c")
    np.testing.assert_array_equal(plane.origin, paths.theta0.astype(np.float64))
    # every snapshot on one line through θ₀: no second direction
    line = paths.theta0 + np.outer(np.arange(1, 5), np.ones(P, np.float32))
    with pytest.raises(LandscapeError, match="pca_rank"):
        pca(Paths(paths.theta0, (lane_path("a", line),), SHAPES))


def test_filter_normalized_directions_have_each_filter_norm_of_the_weights(paths):
    weights = paths.final("b").astype(np.float64)
    d1, d2 = filter_normalized_directions(paths, "b", seed=7)
    start, filters = 0, 0
    for _, shape in SHAPES:
        stop = start + int(np.prod(shape))
        for d in (d1, d2):
            if len(shape) == 1:  # BatchNorm weights and biases, biases: not moved
                assert not d[start:stop].any()
            else:  # each conv output channel, each linear row: the norm of the weights' same filter
                norms = np.linalg.norm(d[start:stop].reshape(shape[0], -1), axis=1)
                expected = np.linalg.norm(weights[start:stop].reshape(shape[0], -1), axis=1)
                np.testing.assert_allclose(norms, expected, rtol=1e-12)
                filters += shape[0]
        start = stop
    assert filters == 2 * (16 + 32 + 10)
    again = filter_normalized_directions(paths, "b", seed=7)
    np.testing.assert_array_equal(again[0], d1)
    np.testing.assert_array_equal(again[1], d2)
    assert not np.allclose(filter_normalized_directions(paths, "b", seed=8)[0], d1)
    plane = filter_normalized(paths, "b", seed=7)
    assert plane.kind == "random" and plane.seed == 7 and plane.lanes == ("b",)
    np.testing.assert_array_equal(plane.origin, weights)
    np.testing.assert_allclose(plane.u * plane.scale[0], d1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([plane.u @ plane.v, plane.v @ plane.v], [0, 1], atol=1e-12)
    assert plane.scale[1] == pytest.approx(np.linalg.norm(d2))
    coords, distance = project(plane, weights + 0.5 * d1)  # α = 0.5 of Li et al.
    np.testing.assert_allclose(coords[0] / plane.scale[0], [0.5, 0.0], atol=1e-12)
    assert distance[0] < 1e-9
