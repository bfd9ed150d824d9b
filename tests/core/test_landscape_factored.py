"""The factored landscape forward (landscape/factored.py) and its compiled loops (landscape/kernels.py).

test_landscape_grid.py compares every method with the per-point loop on the run's architecture (residual
blocks, width 0.5); here: the other shapes the factored path must handle (no BatchNorm, three input
channels, odd sizes that pooling crops, one direction: a line), each compiled loop against torch, and
the precision of the factored logits against a float64 evaluation of the same weights.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from optim_core.training.landscape import kernels
from optim_core.training.landscape.factored import FactoredForward, chunks_in_threads, first_layer_maps
from optim_core.training.landscape.flat import flatten_parameters, parameters_from_flat
from optim_core.training.landscape.grid import (
    MAX_CHUNK,
    _as_tensors,
    _points,
    chunk_for,
    evaluate_points,
    evaluate_points_naive,
    evaluation_model,
)
from optim_core.training.model import SmallCNN

torch.set_num_threads(1)

LOSS_TOL = 1e-5  # as test_landscape_grid.py: float32 losses about 2.3


def images(shape: tuple[int, int, int], n: int = 48, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand((n, *shape), generator=generator), torch.randint(0, 10, (n,), generator=generator)


def directions(origin: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k random directions, each as long as the origin."""
    d = np.random.default_rng(seed).standard_normal((k, len(origin)))
    return d / np.linalg.norm(d, axis=1, keepdims=True) * np.linalg.norm(origin)


@pytest.mark.parametrize(
    ("shape", "options", "k"),
    [
        ((1, 8, 8), {"batch_norm": False}, 2),  # the first conv's bias instead of BatchNorm
        ((3, 14, 14), {}, 2),  # three channels; 14 -> 7 -> 3: pooling drops a row and a column
        ((1, 12, 12), {"residual": True, "batch_norm": False}, 2),
        ((1, 8, 8), {"width": 0.75}, 1),  # a line (the interpolation), 12 channels
    ],
)
def test_the_factored_points_equal_the_per_point_loop(shape, options, k):
    torch.manual_seed(0)
    model = SmallCNN(shape, 10, **options)
    x, y = images(shape)
    origin = flatten_parameters(model).astype(np.float64)
    coefficients = np.random.default_rng(1).uniform(-1.5, 1.5, (11, k))
    dirs = directions(origin, k)
    loss, accuracy = evaluate_points(model, x, y, origin, dirs, coefficients, chunk=4, method="factored")
    naive_loss, naive_accuracy = evaluate_points_naive(model, x, y, origin, dirs, coefficients)
    np.testing.assert_allclose(loss, naive_loss, rtol=0, atol=LOSS_TOL)
    np.testing.assert_array_equal(accuracy, naive_accuracy)
    assert np.ptp(naive_loss) > 0.01  # the points differ: the comparison means something


def test_the_factored_logits_are_within_float32_rounding_of_float64():
    """Against the same float32 weights evaluated in float64 (BatchNorm by the batch, as everywhere)."""
    torch.manual_seed(0)
    model = SmallCNN((1, 8, 8), 10)
    x, _ = images((1, 8, 8), n=256)
    origin = flatten_parameters(model).astype(np.float64)
    origin_t, directions_t, coefficients_t = _as_tensors(
        origin, directions(origin, 2), np.random.default_rng(2).uniform(-2, 2, (6, 2))
    )
    flats = _points(origin_t, directions_t, coefficients_t)
    with torch.no_grad():
        logits = FactoredForward(model, x, origin_t, directions_t)(flats, coefficients_t)
        exact = evaluation_model(model).double()
        for point, flat in enumerate(flats):
            exact.load_state_dict(parameters_from_flat(exact, flat.double()))
            error = (logits[point].double() - exact(x.double())).abs().max()
            assert error < 5e-6  # measured about 1e-6; the naive loop's about 1e-5 (digits, 512 images)


@pytest.mark.parametrize("d", [2, 3, 4])  # a line, a plane (one pass each), three directions (a pass more)
def test_combine_pool_relu_is_the_pooled_relu_of_the_affine_combination(d):
    rng = np.random.default_rng(0)
    n, hp, wp, c, k_points = 3, 2, 3, 5, 4
    z = rng.standard_normal((n, d, hp, wp, 4, c)).astype(np.float32)
    scale = rng.standard_normal((k_points, d, c)).astype(np.float32)
    shift = rng.standard_normal((k_points, c)).astype(np.float32)
    out = np.full((n, hp, wp, k_points, c), np.nan, dtype=np.float32)
    tiled = np.ascontiguousarray(np.broadcast_to(scale[:, :, None, :], (k_points, d, hp * wp * 4, c)))
    shift_tiled = np.ascontiguousarray(np.broadcast_to(shift[:, None, :], (k_points, hp * wp * 4, c)))
    kernels.combine_pool_relu(z, tiled.reshape(k_points, d, -1), shift_tiled.reshape(k_points, -1), out)
    # (n, hp, wp, q, k, c): Σ_d scale·z + shift, then the max over the window's 4 pixels and 0
    combined = np.einsum("ndijqc,kdc->nijqkc", z.astype(np.float64), scale) + shift
    np.testing.assert_allclose(out, np.maximum(combined.max(axis=3), 0), rtol=1e-6, atol=1e-6)
    assert (out == 0).any() and (out > 0).any()  # the ReLU cut something and kept something


@pytest.mark.parametrize("size", [(4, 4), (5, 7)])
def test_affine_pool_relu_is_batch_norm_relu_and_max_pooling(size):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, *size, 6)).astype(np.float32)  # NHWC
    scale, shift = rng.standard_normal((2, 6)).astype(np.float32)
    out = np.empty((3, size[0] // 2, size[1] // 2, 6), dtype=np.float32)
    kernels.affine_pool_relu(x, scale, shift, out)
    nchw = torch.from_numpy(x).permute(0, 3, 1, 2) * torch.from_numpy(scale)[:, None, None]
    expected = F.max_pool2d(F.relu(nchw + torch.from_numpy(shift)[:, None, None]), 2)
    np.testing.assert_allclose(out, expected.permute(0, 2, 3, 1).numpy(), rtol=1e-6, atol=1e-6)


def test_channel_moments_are_the_mean_and_biased_variance():
    x = (np.random.default_rng(2).standard_normal((1001, 7)) * 3 + 10).astype(np.float32)
    x[:, 0] = x[:, 0] * 1e-3 + 1e4  # a small spread far from zero: an unshifted one-pass sum cancels
    mean, variance = kernels.channel_moments(x)
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, x.astype(np.float64).var(axis=0), rtol=1e-12)


def test_the_first_layer_maps_do_not_depend_on_the_images_per_pass_or_the_threads():
    x, _ = images((3, 8, 10), n=23)
    weights = torch.randn(3, 4, 3, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    one_pass = first_layer_maps(x, weights, centre=True, rows=1000)
    for rows, workers in ((5, 1), (1, 1), (5, 2)):
        windows, covariance = first_layer_maps(x, weights, centre=True, rows=rows, workers=workers)
        np.testing.assert_allclose(windows, one_pass[0], rtol=0, atol=1e-6)
        torch.testing.assert_close(covariance, one_pass[1], rtol=1e-12, atol=1e-12)
    # centred: each map averages to zero per channel (even sizes: pooling keeps every pixel); a covariance
    assert np.abs(one_pass[0].astype(np.float64).mean(axis=(0, 2, 3, 4))).max() < 1e-6
    torch.testing.assert_close(one_pass[1], one_pass[1].transpose(1, 2))


def test_two_threads_evaluate_whole_chunks_and_give_torch_its_threads_back():
    torch.manual_seed(0)
    model = SmallCNN((1, 8, 8), 10)
    x, y = images((1, 8, 8))
    origin = flatten_parameters(model).astype(np.float64)
    dirs = directions(origin, 2)
    coefficients = np.random.default_rng(4).uniform(-1, 1, (13, 2))
    seen: list[tuple[int, int]] = []
    torch.set_num_threads(2)
    try:
        loss, accuracy = evaluate_points(
            model,
            x,
            y,
            origin,
            dirs,
            coefficients,
            chunk=3,
            method="factored",
            progress=lambda *p: seen.append(p),
        )
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    naive_loss, naive_accuracy = evaluate_points_naive(model, x, y, origin, dirs, coefficients)
    np.testing.assert_allclose(loss, naive_loss, rtol=0, atol=LOSS_TOL)
    np.testing.assert_array_equal(accuracy, naive_accuracy)
    assert seen == [
        (3, 13),
        (6, 13),
        (9, 13),
        (12, 13),
        (13, 13),
    ]  # in order, whichever thread finished first


def test_chunks_in_threads_keeps_the_order_and_stops_early():
    def evaluate(start: int) -> int:
        return start * 10

    assert list(chunks_in_threads(evaluate, range(0, 20, 4), workers=2)) == [0, 40, 80, 120, 160]
    assert list(chunks_in_threads(evaluate, range(3), workers=1)) == [0, 10, 20]
    threads = torch.get_num_threads()
    results = chunks_in_threads(evaluate, range(1000), workers=2)
    assert next(results) == 0
    results.close()  # the caller stops: torch's threads come back
    assert torch.get_num_threads() == threads


def test_the_factored_default_chunk_leaves_out_the_first_layers_full_size_outputs():
    model = SmallCNN((1, 8, 8), 10)
    x, _ = images((1, 8, 8), n=512)
    packed, factored = chunk_for(model, x, "packed"), chunk_for(model, x, "factored")
    assert packed < factored <= MAX_CHUNK["factored"]  # digits over 512 images: 7 and 14
