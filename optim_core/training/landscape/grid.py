"""The loss and accuracy of a network at many points of its weight space, evaluated in batches.

A point is a flat weight vector θ (flat.py). The surface over a plane is

    L(a, b) = loss(θ_o + a·u + b·v)    on a grid of (a, b),

and the 1D interpolation between two solutions (Goodfellow et al., 2015) is

    L(α) = loss((1 − α)·θ_A + α·θ_B) = loss(θ_A + α·(θ_B − θ_A)),   α ∈ [−0.5, 1.5].

Both are `evaluate_points`: origin + coefficients @ directions for M points, over a fixed validation
subset (the first n validation images, the same at every point).

Batched, never one load_state_dict + forward per point: chunks of K points at once, in one of three ways
(`evaluate_points`' method):
- "factored" (factored.py), the default for a SmallCNN: the first layer is linear in its weights, so its
  convolution at every point of the plane is a combination of 1 + k convolutions of the input made once
  (k directions), and its BatchNorm statistics follow in closed form; the later blocks run as K networks
  side by side (grouped convolutions), BatchNorm, ReLU and pooling in compiled passes (kernels.py).
- "packed": the K points as the K lanes of a model.PackedCNN (the trainer's several-SmallCNNs-as-one
  network), SmallCNN's NHWC layout (model.first_conv), in which the CPU's pooling is several times faster.
- "vmap": torch.func.functional_call under torch.func.vmap over the K stacked weight sets; any model.
Digits, 31 × 31 points over 512 images, on this 2-core machine (tests/benchmarks/bench_cnn_landscape.py,
quiet, 10 runs): on two threads factored takes 0.72 to 0.92 s (a chunk per thread, and its first layer's
maps too: factored.chunks_in_threads) and the naive loop 3.4 to 6.7 s (two threads splitting its small
per-point kernels wait on each other, worst when the machine is busy): 4.8 to 7.8 times in the same run,
at least 5 in 9 of the 10; on one thread 1.5 s against 4.7 to 5.3 s. Over half of factored's time is the
second convolution (38 M multiply-adds per point, at about the core's peak), which no identity shares
between points; Winograd's F(4×4, 3×3) would do a quarter of its multiplications, but as batched matrix
products of inner size 16 they run at a third of the convolution's speed, and its transforms cost as
much again. vmap is the slowest on the CPU; packed, on one thread, is slower than the naive loop (4.7 to 5.2
s against 3.6 to 4.1 s when last measured).
The per-point loop is kept beside them as the reference (`evaluate_points_naive`); tests prove that
all three agree with it.

BatchNorm, and why: running statistics are buffers, not part of a point (flat.py), and the running
statistics of one lane mean nothing at another point of the plane. So each point normalizes with the
batch statistics of the whole subset (one batch of n images per point). `evaluation_model` gets them by
removing BatchNorm's running statistics (track_running_stats off, running_mean / running_var None):
BatchNorm then always normalizes by the batch, and writes no buffer, which vmap also needs (an in-place
update of an unbatched buffer by K batched values cannot be vmapped). The copy is then put in eval mode,
so dropout and drop path are identities. This equals model.train() with dropout p = 0 and no drop path,
without touching any running statistics; the tests check it against such a model.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

from optim_core.training.landscape.factored import FactoredForward, chunks_in_threads
from optim_core.training.landscape.flat import parameter_shapes, parameters_from_flat
from optim_core.training.model import PackedCNN, SmallCNN

Progress = Callable[[int, int], None]  # (points done, points in all)

INTERPOLATION_ALPHAS = (-0.5, 1.5)  # Goodfellow et al. (2015): a little beyond both ends
CHUNK_BUDGET_BYTES = 96 * 2**20  # activations of one chunk of points (sets the default chunk size)
# The most points per chunk, by method: beyond these no speed was gained on a 2-core CPU
# (tests/benchmarks/bench_cnn_landscape.py --chunks)
MAX_CHUNK = {"factored": 16, "packed": 8, "vmap": 16}


@dataclass(frozen=True)
class Surface:
    """Loss and accuracy on the grid a × b: `loss[j, i]` is at (a[i], b[j]) (rows b, as a contour's z)."""

    a: np.ndarray  # (na,) coordinates along u
    b: np.ndarray  # (nb,) coordinates along v
    loss: np.ndarray  # (nb, na) mean cross-entropy over the subset, float64
    accuracy: np.ndarray  # (nb, na) fraction of the subset classified right, float64
    n_images: int


@dataclass(frozen=True)
class Interpolation:
    """Loss and accuracy along (1 − α)·θ_A + α·θ_B."""

    alpha: np.ndarray  # (m,)
    loss: np.ndarray  # (m,)
    accuracy: np.ndarray  # (m,)
    n_images: int

    def barrier(self) -> float:
        """How far the loss rises between the two ends above the straight line joining them
        (max over 0 ≤ α ≤ 1 of L(α) − ((1 − α)·L(0) + α·L(1))); 0 when it never rises above it."""
        inside = (self.alpha >= 0) & (self.alpha <= 1)
        alpha, loss = self.alpha[inside], self.loss[inside]
        if len(alpha) < 2:
            return 0.0
        start, end = loss[np.argmin(alpha)], loss[np.argmax(alpha)]
        return float(max(0.0, np.max(loss - ((1 - alpha) * start + alpha * end))))


def evaluation_model(model: nn.Module) -> nn.Module:
    """A copy of `model` that evaluates a point as described above: BatchNorm by the batch statistics
    of its input (running statistics removed), dropout and drop path off, no gradients."""
    copy_ = copy.deepcopy(model)
    for module in copy_.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.track_running_stats = False
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
    for p in copy_.parameters():
        p.requires_grad_(False)
    return copy_.eval()


def validation_subset(data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first `n` validation images and labels of an ImageDataset (fewer when it has fewer)."""
    if n < 1:
        raise ValueError(f"a validation subset needs at least one image, got {n}")
    return data.x_val[:n].cpu(), data.y_val[:n].cpu()


def default_chunk(model: nn.Module, x: torch.Tensor, limit: int, skip: tuple[nn.Module, ...] = ()) -> int:
    """Points per chunk: as many as keep one chunk's activations within CHUNK_BUDGET_BYTES (the outputs
    of `skip`'s modules not counted)."""
    sizes: list[int] = []

    def count(_module, _inputs, out) -> None:
        sizes.append(out.numel() if isinstance(out, torch.Tensor) else 0)

    leaves = [m for m in model.modules() if not list(m.children()) and not any(m is s for s in skip)]
    hooks = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        for hook in hooks:
            hook.remove()
    per_point = sum(sizes) * len(x) * 4 * 3  # float32; a forward's temporaries about thrice its outputs
    return int(max(1, min(limit, CHUNK_BUDGET_BYTES // max(1, per_point))))


def chunk_for(model: nn.Module, x: torch.Tensor, method: str) -> int:
    """evaluate_points' default chunk for `method`. The factored path never makes a point's full-size
    first-layer outputs (only their pooled activations), so they are not counted; it runs a chunk per
    thread (factored.chunks_in_threads), so that many chunks are in memory at once."""
    net = evaluation_model(model)
    first = net.get_submodule("blocks.0") if method == "factored" else None
    skip = (first.get_submodule("conv"), first.get_submodule("bn")) if first is not None else ()
    return default_chunk(net, x, MAX_CHUNK[method], skip)


def _points(origin: torch.Tensor, directions: torch.Tensor, coefficients: torch.Tensor) -> torch.Tensor:
    """(K, P): origin + coefficients @ directions, summed in float64, then float32."""
    return (origin + coefficients @ directions).float()


def _mean_loss_and_accuracy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., n, C) logits -> (mean cross-entropy, accuracy) over the n images, per leading index."""
    # over the classes as the second-to-last dimension of a transposed view: torch's CPU kernels then run
    # along the n images (a few classes as the last dimension are four times slower; same values)
    by_class = logits.transpose(-1, -2)  # (..., C, n)
    log_p = F.log_softmax(by_class, dim=-2)
    picked = log_p.gather(-2, y.expand(*by_class.shape[:-2], 1, -1)).squeeze(-2)
    correct = (by_class.argmax(-2) == y).to(logits.dtype)
    return -picked.mean(-1), correct.mean(-1)


def _as_tensors(origin, directions, coefficients) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    origin_t = torch.as_tensor(np.asarray(origin, dtype=np.float64))
    directions_t = torch.as_tensor(np.atleast_2d(np.asarray(directions, dtype=np.float64)))
    coefficients_t = torch.as_tensor(np.asarray(coefficients, dtype=np.float64))
    if coefficients_t.ndim == 1:
        coefficients_t = coefficients_t[:, None]
    if origin_t.ndim != 1 or directions_t.shape[1] != origin_t.numel():
        raise ValueError(f"origin {tuple(origin_t.shape)} and directions {tuple(directions_t.shape)} differ")
    if coefficients_t.shape[1] != directions_t.shape[0]:
        raise ValueError(
            f"{coefficients_t.shape[1]} coefficients per point for {directions_t.shape[0]} directions"
        )
    return origin_t, directions_t, coefficients_t


def _vmap_forward(model: nn.Module, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """flats (K, P) -> logits (K, n, C): functional_call under vmap over the K points' weights."""
    net = evaluation_model(model)
    shapes = parameter_shapes(net)
    sizes = [math.prod(shape) for _, shape in shapes]
    batched = vmap(lambda params: functional_call(net, params, (x,)))

    def forward(flats: torch.Tensor) -> torch.Tensor:
        # each parameter as (K, *shape): the K points' weights side by side
        columns = torch.split(flats, sizes, dim=1)
        return batched(
            {name: c.reshape(len(flats), *shape) for (name, shape), c in zip(shapes, columns, strict=True)}
        )

    return forward


def _packed_forward(model: SmallCNN, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """flats (K, P) -> logits (K, n, C): the K points as the K lanes of a model.PackedCNN.

    PackedCNN.forward(train=True) normalizes each lane by its batch statistics (it also updates the running
    statistics of these scratch copies, which nothing reads), applies no dropout and no drop path when
    given no masks, and keeps SmallCNN's NHWC first convolution, which vmap cannot use (see above)."""
    packs: dict[int, tuple[PackedCNN, torch.Tensor]] = {}

    def forward(flats: torch.Tensor) -> torch.Tensor:
        k = len(flats)
        if k not in packs:
            packed = PackedCNN([copy.deepcopy(model) for _ in range(k)])
            packs[k] = packed, packed.lane_major_order()
        packed, order = packs[k]
        # lane l's parameters are flat[order].view(K, -1)[l], in the order of a flat vector (flat.py)
        packed.flat[order] = flats.reshape(-1)
        return packed.forward(x, True)

    return forward


def evaluate_points(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    origin: np.ndarray,
    directions: np.ndarray,
    coefficients: np.ndarray,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """(loss (M,), accuracy (M,)) at the M points origin + coefficients[m] @ directions.

    model: the run's architecture (its weights are not used, nor changed). origin (P,), directions
    (k, P), coefficients (M, k). x, y: the subset, one batch per point. method: "factored", "packed" (a
    SmallCNN only), "vmap" or "auto" (factored for a SmallCNN: the fastest on the CPU, see the module's
    docstring; else vmap).
    chunk: points per batched forward (by default as many as fit CHUNK_BUDGET_BYTES, at most
    MAX_CHUNK[method]). progress(done, total) after each chunk.
    """
    if method == "auto":
        method = "factored" if isinstance(model, SmallCNN) else "vmap"
    if method in ("packed", "factored") and not isinstance(model, SmallCNN):
        raise ValueError(f"the {method} method evaluates a SmallCNN, not a {type(model).__name__}")
    if method not in MAX_CHUNK:
        raise ValueError(f"method is 'auto', 'factored', 'packed' or 'vmap', not {method!r}")
    origin_t, directions_t, coefficients_t = _as_tensors(origin, directions, coefficients)
    x = x.cpu()
    chunk = chunk or chunk_for(model, x, method)
    # factored: one chunk per thread, each on one thread (see chunks_in_threads); the others: torch's threads
    workers = torch.get_num_threads() if method == "factored" else 1
    if method == "factored":
        forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = FactoredForward(
            cast(SmallCNN, model), x, origin_t, directions_t, workers
        )
    else:
        points_only = (
            _packed_forward(cast(SmallCNN, model), x) if method == "packed" else _vmap_forward(model, x)
        )
        forward = lambda flats, _coefficients: points_only(flats)  # noqa: E731
    total = len(coefficients_t)

    def evaluate(start: int) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():  # per thread: grad mode is thread-local
            chunk_coefficients = coefficients_t[start : start + chunk]
            flats = _points(origin_t, directions_t, chunk_coefficients)
            return _mean_loss_and_accuracy(forward(flats, chunk_coefficients), y)

    losses, accuracies = [], []
    starts = range(0, total, chunk)
    for start, (loss, accuracy) in zip(starts, chunks_in_threads(evaluate, starts, workers), strict=True):
        losses.append(loss)
        accuracies.append(accuracy)
        if progress is not None:
            progress(min(start + chunk, total), total)
    return torch.cat(losses).double().numpy(), torch.cat(accuracies).double().numpy()


def evaluate_points_naive(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    origin: np.ndarray,
    directions: np.ndarray,
    coefficients: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The reference for `evaluate_points`: per point, load_state_dict into the evaluation model, then
    one forward of the subset."""
    net = evaluation_model(model)
    origin_t, directions_t, coefficients_t = _as_tensors(origin, directions, coefficients)
    losses, accuracies = np.empty(len(coefficients_t)), np.empty(len(coefficients_t))
    with torch.no_grad():
        for m in range(len(coefficients_t)):
            flat = _points(origin_t, directions_t, coefficients_t[m : m + 1])[0]
            net.load_state_dict(parameters_from_flat(net, flat))
            loss, accuracy = _mean_loss_and_accuracy(net(x), y)
            losses[m], accuracies[m] = float(loss), float(accuracy)
    return losses, accuracies


def grid_coefficients(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(nb·na, 2) coefficients (a_i, b_j), row-major over (b, a): reshaped (nb, na) they give Surface's
    layout."""
    aa, bb = np.meshgrid(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return np.stack([aa.ravel(), bb.ravel()], axis=1)


def loss_surface(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    origin: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
    method: str = "auto",
) -> Surface:
    """The Surface at origin + a·u + b·v for every (a, b) of the grid a × b. method: evaluate_points's,
    or "naive" (the per-point reference loop)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    coefficients = grid_coefficients(a, b)
    directions = np.stack([np.asarray(u), np.asarray(v)])
    if method == "naive":
        loss, accuracy = evaluate_points_naive(model, x, y, origin, directions, coefficients)
    else:
        loss, accuracy = evaluate_points(
            model, x, y, origin, directions, coefficients, chunk=chunk, progress=progress, method=method
        )
    shape = (len(b), len(a))
    return Surface(a, b, loss.reshape(shape), accuracy.reshape(shape), int(len(y)))


def interpolate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    theta_a: np.ndarray,
    theta_b: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> Interpolation:
    """Loss and accuracy along (1 − α)·θ_A + α·θ_B; α defaults to 41 points over [−0.5, 1.5]."""
    if alpha is None:
        alpha = np.linspace(*INTERPOLATION_ALPHAS, 41)
    alpha = np.asarray(alpha, dtype=np.float64)
    theta_a64 = np.asarray(theta_a, dtype=np.float64)
    # $\theta(\alpha) = \theta_A + \alpha (\theta_B - \theta_A)$
    direction = np.asarray(theta_b, dtype=np.float64) - theta_a64
    loss, accuracy = evaluate_points(
        model, x, y, theta_a64, direction[None, :], alpha[:, None], chunk=chunk, progress=progress
    )
    return Interpolation(alpha, loss, accuracy, int(len(y)))
