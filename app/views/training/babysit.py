"""Two checks a practitioner runs on a new network (CS231n, "babysitting the learning process"); no
streamlit here, babysit_panel.py draws them.

1. The initial loss. With small random weights a softmax classifier of C classes gives each class about
   1/C, so its cross-entropy at step 1 is about −ln(1/C) = ln C (2.30 for 10 classes). A little above
   (up to half again): the first logits are not small; SmallCNN with BatchNorm starts there (2.4-2.7 on
   digits: unit-variance features feed the last layer), without BatchNorm at 2.30. Far above: an init
   scale too big, or labels that do not match the outputs. Below: the network already knows something
   at θ₀ (a warm start, or labels that leak into the inputs).
2. The first layer's filters as small images at a few moments of training, one picture per lane and
   moment: on images, trained filters grow into smooth edge and blob detectors out of noise, and the
   optimizers get there at different speeds (or not at all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.views.training.frames import LaneView, RunSeries
from optim_core.training.landscape.paths import Paths

# The initial loss is "as expected" within this fraction of ln C, "far above" beyond FAR_ABOVE × ln C.
INITIAL_LOSS_TOLERANCE = 0.10
FAR_ABOVE = 1.5
INITIAL_LOSS_METRIC = "train_loss"  # step 1's value: the loss of the first batch at θ₀, before any update


VERDICTS = ("expected", "above", "far_above", "low", "not_finite")


@dataclass(frozen=True)
class InitialLoss:
    """A lane's first recorded training loss beside ln(number of classes)."""

    lane: str  # the store's label
    loss: float
    expected: float  # ln C
    verdict: str  # one of VERDICTS

    @property
    def ratio(self) -> float:
        """loss / ln C (nan when the loss is not finite)."""
        return self.loss / self.expected if math.isfinite(self.loss) else math.nan


def initial_loss_verdict(loss: float, n_classes: int, tolerance: float = INITIAL_LOSS_TOLERANCE) -> str:
    """ "expected" when |loss − ln C| ≤ tolerance · ln C, "low" below that, "above" up to FAR_ABOVE · ln C,
    "far_above" beyond, "not_finite" for nan or inf. Raises ValueError for fewer than 2 classes (ln 1 = 0:
    no scale to compare with)."""
    if n_classes < 2:
        raise ValueError(f"the initial-loss check needs at least 2 classes, got {n_classes}")
    if not math.isfinite(loss):
        return "not_finite"
    expected = math.log(n_classes)
    if abs(loss - expected) <= tolerance * expected:
        return "expected"
    if loss < expected:
        return "low"
    return "above" if loss <= FAR_ABOVE * expected else "far_above"


def initial_losses(metrics: RunSeries, lanes: list[LaneView], n_classes: int) -> list[InitialLoss]:
    """Each lane's first recorded training loss (its lowest step; lanes without one left out) and verdict."""
    out = []
    for lane in lanes:
        series = metrics.get(lane.key, INITIAL_LOSS_METRIC)
        if len(series.value) == 0:
            continue
        first = int(np.argmin(series.step))
        loss = float(series.value[first])
        out.append(InitialLoss(lane.key, loss, math.log(n_classes), initial_loss_verdict(loss, n_classes)))
    return out


# ---- first-layer filters ------------------------------------------------------------------------------
def first_layer_filters(flat: np.ndarray, shapes: list[tuple[str, tuple[int, ...]]]) -> np.ndarray:
    """The first convolution's filters of a flat weight vector (flat.parameter_shapes' order: the first
    parameter is the first conv's weight, (out, in, kh, kw)) as (out, kh, kw) grey images, the input
    channels averaged, each filter scaled to [0, 1] on its own (a constant filter is 0.5 everywhere)."""
    name, shape = shapes[0]
    if len(shape) != 4:
        raise ValueError(f"the first parameter {name!r} is not a convolution's weight: shape {shape}")
    size = int(np.prod(shape))
    weights = np.asarray(flat[:size], dtype=np.float64).reshape(shape).mean(axis=1)
    low = weights.min(axis=(1, 2), keepdims=True)
    span = weights.max(axis=(1, 2), keepdims=True) - low
    flat_filter = span <= 1e-12 * np.maximum(1.0, np.abs(low))
    scaled = np.where(flat_filter, 0.5, (weights - low) / np.where(flat_filter, 1.0, span))
    return scaled.astype(np.float32)


def filter_mosaic(filters: np.ndarray, columns: int = 8, scale: int = 6, gap: int = 1) -> np.ndarray:
    """(n, kh, kw) filters in [0, 1] as one grey uint8 image: a grid of `columns` filters a row, each
    pixel `scale` × `scale`, `gap` pixels of mid-grey between them (so no filter's edge reads as a line)."""
    n, kh, kw = filters.shape
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    cell_h, cell_w = kh * scale, kw * scale
    height, width = rows * cell_h + (rows + 1) * gap, columns * cell_w + (columns + 1) * gap
    image = np.full((height, width), 128, dtype=np.uint8)
    big = np.kron(filters, np.ones((1, scale, scale), dtype=np.float32))
    pixels = np.clip(np.rint(big * 255), 0, 255).astype(np.uint8)
    for i in range(n):
        row, col = divmod(i, columns)
        top, left = gap + row * (cell_h + gap), gap + col * (cell_w + gap)
        image[top : top + cell_h, left : left + cell_w] = pixels[i]
    return image


def filter_moments(paths: Paths, label: str, at_most: int = 4) -> list[tuple[int, np.ndarray]]:
    """(epoch, flat weights) of the moments whose filters are shown, at most `at_most`: θ₀ (epoch 0), the
    lane's last epoch end, and epoch ends evenly between (the recorded paths keep every epoch end of a
    short run, every stride-th of a long one)."""
    lane = paths.lane(label)
    ends = [i for i in range(len(lane.epochs)) if lane.epoch_end[i]]
    moments = [(0, paths.theta0)]
    if at_most <= 1 or not ends:
        return moments
    picks = np.linspace(0, len(ends) - 1, min(at_most - 1, len(ends))).round().astype(int)
    return moments + [(int(lane.epochs[ends[p]]), lane.weights[ends[p]]) for p in dict.fromkeys(picks)]
