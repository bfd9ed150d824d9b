"""The "factored" forward of a SmallCNN at K points of a plane (or a line) at once: the first layer by
linearity, the rest as K networks side by side.

A point is θ = θ_o + Σ_d c_d·D_d (origin θ_o, directions D_d, grid.py). The first convolution is linear
in its weights, so for the whole grid

    conv(x, W_o + Σ_d c_d·W_d) = conv(x, W_o) + Σ_d c_d·conv(x, W_d)                      (1)

with W_d the first layer's slice of D_d: 1 + k convolutions of the input per call (k = 2 for a plane),
not one per point. Its BatchNorm normalizes by the batch statistics of z = Σ_d w_d·Z_d (w = (1, c),
Z_d = conv(x, W_d)), and these follow from the per-channel moments of the Z_d, computed once:

    μ = Σ_d w_d·mean(Z_d),    σ² = wᵀ·Cov(Z)·w                                             (2)

(Cov per channel over images and pixels, in float64). So the first block of a point is one affine map
per channel of the centred maps, z − μ = Σ_d w_d·(Z_d − mean(Z_d)), then γ/√(σ² + ε)·(z − μ) + β, ReLU
and 2×2 max-pooling: one compiled pass (kernels.combine_pool_relu) that writes the pooled activations of
the K points NHWC, the layout the next, grouped convolution reads fastest (model.first_conv's "why").

The later blocks cannot be factored (their input depends on the point through ReLU and pooling): their
convolutions run as one grouped convolution of the K points (groups = K, as model.PackedCNN), each
BatchNorm's batch statistics in one compiled pass (kernels.channel_moments), its scale and shift, ReLU and
pooling in another (kernels.affine_pool_relu), the head as one batched matmul. A residual branch runs in
torch. With several threads, each evaluates whole chunks on its own (chunks_in_threads says why).

Equal to the per-point loop (grid.evaluate_points_naive) up to float32 rounding: (1) and (2) are exact
identities; tests/core/test_landscape_grid.py and test_landscape_factored.py compare the two. The
factored logits are the closer to a float64 evaluation of the same weights (about 1e-6 against the
loop's 1e-5 on digits), so where an image's two largest logits tie to within that, the two paths may
call it differently, and the loop is then the one more likely off.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from optim_core.training.landscape.flat import parameter_shapes
from optim_core.training.landscape.kernels import affine_pool_relu, channel_moments, combine_pool_relu
from optim_core.training.model import ConvBlock, SmallCNN

Result = TypeVar("Result")


def chunks_in_threads(
    evaluate: Callable[[int], Result], starts: Iterable[int], workers: int
) -> Iterator[Result]:
    """evaluate(start) for each start, in order; with workers > 1 that many chunks at once, each on one
    thread (torch's intra-op threads 1 in the workers; the compiled loops release the GIL).

    Why not torch's threads within each operation: the factored forward is a chain of short operations, and
    two threads splitting each of them meet at a barrier after every one; on a shared machine a thread
    that waits there for its descheduled sibling stalls the whole chain. Whole chunks per thread share
    nothing until the end, so a busy core slows one chunk, not all of them.
    """
    if workers <= 1:
        yield from map(evaluate, starts)
        return
    threads = torch.get_num_threads()

    def on_one_thread(start: int) -> Result:
        # in this worker only (OpenMP's thread count is per thread): setting it in the caller's thread
        # would make torch rebuild its thread team there, about 0.1 s at the next operation
        torch.set_num_threads(1)
        return evaluate(start)

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        yield from pool.map(on_one_thread, starts)
    finally:  # also when the caller stops early: the chunks not started are dropped
        pool.shutdown(wait=True, cancel_futures=True)
        torch.set_num_threads(threads)  # torch's default for threads started later, as it was


def first_layer_maps(
    x: torch.Tensor, weights: torch.Tensor, centre: bool, rows: int = 128, workers: int = 1
) -> tuple[np.ndarray, torch.Tensor]:
    """(windows, covariance) of the maps Z_d = conv(x, W_d) of (1), in float64 `rows` images at a time
    (on `workers` threads, as chunks_in_threads).

    weights (D, C, Cin, 3, 3). windows: the maps as float32 (n, D, Hp, Wp, 4, C), grouped by 2×2
    pooling window (pixel q = 2·dy + dx of a window; an odd last row or column dropped, as pooling
    drops it); with `centre`, minus each map's per-channel mean. covariance (C, D, D): the per-channel
    covariance of the maps over images and pixels (for (2)); zeros without `centre`.
    """
    n, (d, c), (h, w) = len(x), weights.shape[:2], x.shape[2:]
    hp, wp = h // 2, w // 2
    windows = np.empty((n, d, hp, wp, 4, c), dtype=np.float32)
    stacked = weights.reshape(d * c, *weights.shape[2:])  # the D maps as one convolution's channels
    mean = torch.zeros(1, d, c, 1, 1, dtype=torch.float64)
    if centre:
        # A map's mean over images and pixels, without the maps: each tap (i, j) of the 3×3 kernel meets
        # the mean of the zero-padded input over the window it slides across, so
        # mean(Z_d)[c] = Σ_{c', i, j} W_d[c, c', i, j]·mean(x_pad[:, c', i : i + H, j : j + W])
        padded = F.pad(x.double(), (1, 1, 1, 1))
        taps = torch.stack(
            [padded[:, :, i : i + h, j : j + w].mean(dim=(0, 2, 3)) for i in range(3) for j in range(3)],
            dim=1,
        )  # (Cin, 9)
        mean = torch.einsum("dcut,ut->dc", weights.reshape(d, c, -1, 9), taps).reshape(1, d, c, 1, 1)

    def block(start: int) -> torch.Tensor:  # writes the block's windows; returns its covariance sum
        z = F.conv2d(x[start : start + rows].double(), stacked, padding=1)
        z = z.view(len(z), d, c, h, w) - mean
        grouped = z[..., : 2 * hp, : 2 * wp].reshape(len(z), d, c, hp, 2, wp, 2)
        windows[start : start + rows] = grouped.permute(0, 1, 3, 5, 4, 6, 2).reshape(-1, d, hp, wp, 4, c)
        return torch.einsum("ndchw,nechw->cde", z, z) if centre else torch.zeros(c, d, d, dtype=torch.float64)

    # the blocks' sums in order: the same covariance on any number of threads
    covariance = sum(
        chunks_in_threads(block, range(0, n, rows), workers), torch.zeros(c, d, d, dtype=torch.float64)
    )
    return windows, covariance / (n * h * w)


class FactoredForward:
    """(flats (K, P) float32, coefficients (K, k) float64) -> logits (K, n, classes) of the K points
    origin + coefficients @ directions (flats are those points, as grid._points makes them)."""

    def __init__(
        self,
        model: SmallCNN,
        x: torch.Tensor,
        origin: torch.Tensor,
        directions: torch.Tensor,
        workers: int = 1,
    ):
        self.model = model
        shapes = parameter_shapes(model)
        sizes = [math.prod(shape) for _, shape in shapes]
        starts = np.cumsum([0, *sizes])
        self.slices = {name: slice(starts[i], starts[i + 1]) for i, (name, _) in enumerate(shapes)}
        self.shapes = dict(shapes)
        first = self.slices["blocks.0.conv.weight"]
        basis = torch.cat([origin[None, first], directions[:, first]])  # (D, C·Cin·9), D = 1 + k
        weights = basis.reshape(len(basis), *self.shapes["blocks.0.conv.weight"])
        bn = model.blocks[0].bn
        self.first_bn = bn if isinstance(bn, nn.BatchNorm2d) else None
        self.windows, self.covariance = first_layer_maps(
            x, weights, centre=self.first_bn is not None, workers=workers
        )

    def param(self, flats: torch.Tensor, name: str) -> torch.Tensor:
        """The K points' `name` parameter, (K, *shape)."""
        return flats[:, self.slices[name]].reshape(len(flats), *self.shapes[name])

    def __call__(self, flats: torch.Tensor, coefficients: torch.Tensor) -> torch.Tensor:
        k_points = len(flats)
        w = torch.cat([torch.ones(k_points, 1, dtype=torch.float64), coefficients], dim=1)  # (K, D)
        if self.first_bn is not None:
            # $\sigma^2 = w^\top \mathrm{Cov}\, w$ per channel; scale $\gamma / \sqrt{\sigma^2 + \epsilon}$
            variance = torch.einsum("kd,cde,ke->kc", w, self.covariance, w)
            gain = self.param(flats, "blocks.0.bn.weight").double() / torch.sqrt(variance + self.first_bn.eps)
            shift = self.param(flats, "blocks.0.bn.bias")
        else:
            gain = torch.ones(k_points, self.windows.shape[-1], dtype=torch.float64)
            shift = self.param(flats, "blocks.0.conv.bias")
        n, d, hp, wp, _, c = self.windows.shape
        # per point and channel, repeated over the window's pixels: (K, D, Hp·Wp·4·C), (K, Hp·Wp·4·C)
        scale = (gain[:, None, None, :] * w[:, :, None, None]).float().expand(-1, -1, hp * wp * 4, -1)
        shift = shift[:, None, :].expand(-1, hp * wp * 4, -1)
        pooled = np.empty((n, hp, wp, k_points, c), dtype=np.float32)
        combine_pool_relu(
            self.windows, scale.reshape(k_points, d, -1).numpy(), shift.reshape(k_points, -1).numpy(), pooled
        )
        h = torch.from_numpy(pooled).view(n, hp, wp, k_points * c).permute(0, 3, 1, 2)  # NHWC memory
        for i, block in enumerate(cast(list[ConvBlock], list(self.model.blocks))):
            if i > 0:
                h = self._conv_bn_pool_relu(h, flats, f"blocks.{i}.", block.bn)
            if block.branch is not None:
                h = h + self._branch(h, flats, f"blocks.{i}.branch.", block.branch.bn)
        _, channels, height, width = h.shape
        c = channels // k_points
        # per point: its (H, W, C) activations flattened, one copy (C-contiguous runs of the NHWC memory);
        # the head's weights, (C, H, W)-ordered as SmallCNN flattens, reordered to match (a few kB)
        nhwc = h.permute(0, 2, 3, 1).reshape(n, height * width, k_points, c)
        features = nhwc.permute(2, 0, 1, 3).reshape(k_points, n, -1)
        weight = self.param(flats, "head.weight")
        weight = (
            weight.view(k_points, -1, c, height, width)
            .permute(0, 1, 3, 4, 2)
            .reshape(k_points, -1, c * height * width)
        )
        bias = self.param(flats, "head.bias")
        # logits[k, b] = W_k @ features[k, b] + b_k, one batched matmul
        return torch.baddbmm(bias[:, None, :], features, weight.transpose(1, 2))

    def _conv(self, h: torch.Tensor, flats: torch.Tensor, prefix: str) -> torch.Tensor:
        """The K points' 3×3 convolutions `prefix`conv as one grouped convolution (groups = K)."""
        k_points = len(flats)
        weight = self.param(flats, prefix + "conv.weight")
        bias = (
            self.param(flats, prefix + "conv.bias").reshape(-1)
            if prefix + "conv.bias" in self.slices
            else None
        )
        return F.conv2d(h, weight.reshape(-1, *weight.shape[2:]), bias, padding=1, groups=k_points)

    def _conv_bn_pool_relu(
        self, h: torch.Tensor, flats: torch.Tensor, prefix: str, bn: nn.Module
    ) -> torch.Tensor:
        out = self._conv(h, flats, prefix).contiguous(memory_format=torch.channels_last)
        nhwc = out.permute(0, 2, 3, 1).numpy()  # (n, H, W, K·C), a view of out's memory
        n, height, width, channels = nhwc.shape
        if isinstance(bn, nn.BatchNorm2d):
            mean, variance = channel_moments(nhwc.reshape(-1, channels))
            # $\hat{y} = \gamma (y - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta$ as scale·y + shift
            scale = self.param(flats, prefix + "bn.weight").reshape(-1).double().numpy() / np.sqrt(
                variance + bn.eps
            )
            shift = self.param(flats, prefix + "bn.bias").reshape(-1).double().numpy() - scale * mean
        else:  # the convolution added its bias
            scale, shift = np.ones(channels), np.zeros(channels)
        pooled = np.empty((n, height // 2, width // 2, channels), dtype=np.float32)
        affine_pool_relu(nhwc, scale.astype(np.float32), shift.astype(np.float32), pooled)
        return torch.from_numpy(pooled).permute(0, 3, 1, 2)

    def _branch(self, h: torch.Tensor, flats: torch.Tensor, prefix: str, bn: nn.Module) -> torch.Tensor:
        """F(h) of a residual block's x + F(x), without drop path (model.ResidualBranch)."""
        out = self._conv(h, flats, prefix)
        if isinstance(bn, nn.BatchNorm2d):
            gamma, beta = (self.param(flats, prefix + f"bn.{p}").reshape(-1) for p in ("weight", "bias"))
            out = F.batch_norm(out, None, None, gamma, beta, True, 0.0, bn.eps)
        return F.relu(out)
