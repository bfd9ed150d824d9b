"""The loss landscape on a grid (landscape/grid.py) and its background job (landscape/job.py).

Tolerances: the batched (vmapped) and per-point evaluations run the same float32 network with the
kernels in another order, so their losses agree to 1e-5 (absolute, losses about 2.3); accuracies agree
exactly (no logit of these random networks ties to within float32 error).
"""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from optim_core.training.config import RunConfig
from optim_core.training.data.load import load_dataset
from optim_core.training.landscape import grid, job
from optim_core.training.landscape.flat import flatten_parameters, parameter_shapes, parameters_from_flat
from optim_core.training.landscape.grid import interpolate, loss_surface, validation_subset
from optim_core.training.landscape.job import (
    InterpolationRequest,
    LandscapeJobs,
    LandscapeRefused,
    SurfaceRequest,
    compute,
)
from optim_core.training.landscape.paths import PATHS_FILE, LanePath, Paths, load_paths, write_paths
from optim_core.training.landscape.planes import through_runs
from optim_core.training.model import SmallCNN, model_for

torch.set_num_threads(1)

LOSS_TOL = 1e-5
# dropout and drop path on, so the tests see that the landscape turns them off
CONFIG = RunConfig(width=0.5, dropout=0.5, residual=True, drop_path=0.2, max_samples=400)


@pytest.fixture(scope="module")
def data():
    return load_dataset("digits", max_samples=400)


@pytest.fixture(scope="module")
def subset(data):
    return validation_subset(data, 64)


def network(data, seed: int) -> SmallCNN:
    torch.manual_seed(seed)
    return model_for(CONFIG, data.input_shape, data.n_classes)


def plane(model, seed: int = 0):
    """origin = the model's weights, two random orthonormal directions of a tenth of its norm."""
    origin = flatten_parameters(model).astype(np.float64)
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal((2, len(origin)))
    u /= np.linalg.norm(u)
    v -= (u @ v) * u
    v /= np.linalg.norm(v)
    return origin, u * 0.1 * np.linalg.norm(origin), v * 0.1 * np.linalg.norm(origin)


def direct_loss(data, flat: np.ndarray, x, y) -> tuple[float, float]:
    """The loss of the weights `flat`, evaluated without grid.py: a fresh SmallCNN of the run's shape but
    dropout 0 and no drop path, its BatchNorm normalizing by the batch (train mode), one forward."""
    model = SmallCNN(data.input_shape, data.n_classes, width=CONFIG.width, residual=True)
    model.load_state_dict(
        parameters_from_flat(model, torch.as_tensor(flat, dtype=torch.float32)), strict=False
    )
    with torch.no_grad():
        logits = model.train()(x)
    return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


# ---------------------------------------------------------------------- the grid


@pytest.mark.parametrize("method", ["factored", "packed", "vmap"])
def test_the_batched_grid_equals_the_per_point_loop(data, subset, method):
    model = network(data, 0)
    origin, u, v = plane(model)
    a, b = np.linspace(-1, 1, 5), np.linspace(-0.5, 1.5, 5)
    seen = []
    batched = loss_surface(
        model, *subset, origin, u, v, a, b, chunk=3, progress=lambda *p: seen.append(p), method=method
    )
    naive = loss_surface(model, *subset, origin, u, v, a, b, method="naive")
    assert batched.loss.shape == batched.accuracy.shape == (5, 5)
    np.testing.assert_allclose(batched.loss, naive.loss, rtol=0, atol=LOSS_TOL)
    np.testing.assert_array_equal(batched.accuracy, naive.accuracy)
    assert np.ptp(batched.loss) > 0.01  # the plane is not flat: the comparison means something
    assert seen[-1] == (25, 25) and len(seen) == 9  # 25 points in chunks of 3, the last of one


@pytest.mark.parametrize("method", ["auto", "packed", "vmap"])
def test_a_grid_point_is_the_loss_of_its_weights(data, subset, method):
    model = network(data, 1)
    running_mean = model.blocks[0].bn.running_mean.clone()
    origin, u, v = plane(model, seed=1)
    a, b = np.array([-0.7, 0.0, 0.4]), np.array([-0.2, 0.9])
    surface = loss_surface(model, *subset, origin, u, v, a, b, method=method)
    for j, i in [(0, 0), (1, 2), (0, 1)]:
        loss, accuracy = direct_loss(data, origin + a[i] * u + b[j] * v, *subset)
        assert surface.loss[j, i] == pytest.approx(loss, abs=LOSS_TOL)
        assert surface.accuracy[j, i] == accuracy
    assert surface.n_images == 64
    assert torch.equal(model.blocks[0].bn.running_mean, running_mean)  # the run's model is untouched


def test_the_interpolation_ends_are_the_two_lanes_losses(data, subset):
    theta_a = flatten_parameters(network(data, 2))
    theta_b = flatten_parameters(network(data, 3))
    line = interpolate(network(data, 4), *subset, theta_a, theta_b)
    assert line.alpha[0] == -0.5 and line.alpha[-1] == 1.5 and len(line.alpha) == 41
    at = {float(alpha): k for k, alpha in enumerate(line.alpha)}
    for alpha, theta in ((0.0, theta_a), (1.0, theta_b)):
        loss, accuracy = direct_loss(data, theta, *subset)
        assert line.loss[at[alpha]] == pytest.approx(loss, abs=LOSS_TOL)
        assert line.accuracy[at[alpha]] == accuracy
    assert line.barrier() >= 0.0


def test_the_barrier_is_the_rise_above_the_straight_line():
    alpha = np.linspace(-0.5, 1.5, 9)  # 0, 0.25, ..., 1 inside
    loss = np.array([9.0, 9.0, 1.0, 2.5, 3.0, 1.5, 0.0, 9.0, 9.0])
    line = grid.Interpolation(alpha, loss, np.zeros(9), 1)
    assert line.barrier() == pytest.approx(3.0 - 0.5)  # at α = 0.5 the chord is at 0.5


# ---------------------------------------------------------------------- the job


def finished_run(tmp_path, data):
    """A run's checkpoint folder and config dict, and a plane through its (untrained) weights."""
    folder = tmp_path / "run-1"
    folder.mkdir()
    (folder / "last.pt").write_bytes(b"a checkpoint")
    return folder, CONFIG.to_dict(), plane(network(data, 5))


def test_a_cached_surface_is_returned_without_recomputing(tmp_path, data, monkeypatch):
    folder, config, vectors = finished_run(tmp_path, data)
    request = SurfaceRequest({"kind": "test", "seed": 5}, (-1.0, 1.0), (-1.0, 1.0), size=3, subset=32)
    assert job.load_cached(folder, request) is None
    path = compute(folder, config, request, vectors)
    first = job.load_cached(folder, request)
    assert first is not None and first.loss.shape == (3, 3) and first.n_images == 32
    assert path.startswith(str(folder / "landscape"))

    def refuse(*_args, **_kwargs):
        raise AssertionError("recomputed")

    monkeypatch.setattr(grid, "loss_surface", refuse)
    assert compute(folder, config, request, vectors) == path
    jobs = LandscapeJobs()
    assert jobs.submit(folder, config, request, vectors) == job.JobState("done", 1.0)
    assert jobs._pool is None  # no process was started for it
    np.testing.assert_array_equal(jobs.result(folder, request).loss, first.loss)
    # another grid, or a run that trained on (a new checkpoint), is another key
    other = SurfaceRequest({"kind": "test", "seed": 5}, (-1.0, 1.0), (-1.0, 1.0), size=4, subset=32)
    assert jobs.state(folder, other).status == "none"
    (folder / "last.pt").write_bytes(b"a later checkpoint")
    assert job.load_cached(folder, request) is None


def wait(jobs: LandscapeJobs, folder, request) -> job.JobState:
    deadline = time.monotonic() + 120
    while (state := jobs.state(folder, request)).status in {"queued", "running"}:
        assert 0.0 <= state.fraction <= 1.0 and time.monotonic() < deadline
        time.sleep(0.05)
    return state


def recorded_paths(folder, data) -> tuple[np.ndarray, np.ndarray]:
    """A paths.npz in `folder`: θ₀ and lanes "a" and "b" of one snapshot each; returns their ends."""
    theta0 = flatten_parameters(network(data, 6))
    ends = {label: flatten_parameters(network(data, seed)) for label, seed in (("a", 7), ("b", 8))}
    lanes = tuple(
        LanePath(label, end[None, :], np.array([10]), np.array([1]), np.array([np.nan]), np.array([True]))
        for label, end in ends.items()
    )
    write_paths(Paths(theta0, lanes, tuple(parameter_shapes(network(data, 6)))), folder / PATHS_FILE)
    return ends["a"], ends["b"]


def test_the_job_runs_in_its_own_process_with_progress(tmp_path, data):
    folder, config, _ = finished_run(tmp_path, data)
    theta_a, theta_b = recorded_paths(folder, data)
    missing = InterpolationRequest(("a", "no such lane"), points=5, subset=16)
    request = InterpolationRequest(("a", "b"), points=11, subset=48)
    jobs = LandscapeJobs(threads=1)
    try:
        # an error in the job (here one whose exception does not unpickle) comes back as text
        assert jobs.submit(folder, config, missing).status in {"queued", "running"}
        failed = wait(jobs, folder, missing)
        assert failed.status == "failed" and "no such lane" in failed.error
        assert jobs.submit(folder, config, request).status in {"queued", "running"}
        assert wait(jobs, folder, request) == job.JobState("done", 1.0)
    finally:
        jobs.shutdown()
    line = jobs.result(folder, request)
    x, y = validation_subset(data, 48)
    model = model_for(CONFIG, data.input_shape, data.n_classes)
    here = interpolate(model, x, y, theta_a, theta_b, line.alpha)
    np.testing.assert_allclose(line.loss, here.loss, rtol=0, atol=LOSS_TOL)
    assert not list((folder / "landscape").glob("*.progress"))


def test_a_refusal_survives_pickling():
    refused = pickle.loads(pickle.dumps(LandscapeRefused("too big", reason="grid", size=60, limit=51)))
    assert (str(refused), refused.reason, refused.values) == ("too big", "grid", {"size": 60, "limit": 51})


def test_the_job_builds_the_plane_from_the_recorded_paths(tmp_path, data):
    """vectors=None: the job reads the run's paths.npz and builds the plane its spec names."""
    folder = tmp_path / "run-2"
    ends = dict(zip("ab", recorded_paths(folder, data), strict=True))
    config, x_y = CONFIG.to_dict(), validation_subset(data, 32)
    request = SurfaceRequest(
        {"kind": "runs", "lanes": ["a", "b"]}, (-0.5, 1.0), (-0.5, 1.0), size=3, subset=32
    )
    compute(folder, config, request)
    expected = through_runs(load_paths(folder), "a", "b")
    here = loss_surface(network(data, 6), *x_y, expected.origin, expected.u, expected.v, *request.axes())
    np.testing.assert_allclose(job.load_cached(folder, request).loss, here.loss, rtol=0, atol=LOSS_TOL)
    line_request = InterpolationRequest(("a", "b"), points=3, alpha_range=(0.0, 1.0), subset=32)
    compute(folder, config, line_request)
    line = job.load_cached(folder, line_request)
    for k, label in ((0, "a"), (2, "b")):
        assert line.loss[k] == pytest.approx(direct_loss(data, ends[label], *x_y)[0], abs=LOSS_TOL)
    with pytest.raises(ValueError, match="not a plane spec"):
        compute(folder, config, SurfaceRequest({"kind": "runs"}, (0, 1), (0, 1), size=2, subset=8))


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (SurfaceRequest({}, (0, 1), (0, 1), size=52), "grid"),
        (SurfaceRequest({}, (0, 1), (0, 1), size=1), "grid"),
        (SurfaceRequest({}, (0, 1), (0, 1), subset=1025), "subset"),
        (SurfaceRequest({}, (1, 0), (0, 1)), "range"),
        (SurfaceRequest({}, (0, 1), (0, float("nan"))), "range"),
        (InterpolationRequest(("a", "b"), points=500), "line"),
        (InterpolationRequest(("a", "b"), subset=0), "subset"),
    ],
)
def test_out_of_bounds_requests_are_refused(tmp_path, request_, reason):
    jobs = LandscapeJobs()
    with pytest.raises(LandscapeRefused) as refused:
        jobs.submit(tmp_path, {}, request_, None)
    assert refused.value.reason == reason and jobs._pool is None
    with pytest.raises(LandscapeRefused):
        compute(tmp_path, {}, request_, None)
    assert SurfaceRequest({}, (0, 1), (0, 1), size=51, subset=1024).check() is None
