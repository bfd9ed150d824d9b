"""How many points of a long series the Training page's charts draw, and which (no streamlit here).

A viewer of a running run is sent every chart at every poll, so what a chart draws is bounded however long
the run: a lane's series is thinned to a fixed number of points (thin_index: each bucket's lowest and
highest point, so a spike or the best epoch stays in the picture), and a smooth series such as a learning
rate schedule is further cut to the points a straight line between them does not already draw
(simplify_index). Smoothing uses all the points, and the store and the CSV keep all of them.
"""

from __future__ import annotations

import math

import numpy as np

# A lane's series of more points than this is thinned for its chart, whatever the chart.
MAX_POINTS = 1200
# What a per-step chart of several lanes draws in all: 100 points a lane for 3 lanes, never fewer than 80 a
# lane (40 buckets of a lowest and a highest point: one per 12 px of a chart 480 px wide). A per-epoch chart
# draws half as many (a validation curve is smoother, and it has a marker per point).
POINTS_PER_CHART = 300
MIN_POINTS = 80
# simplify_index's tolerance: this share of a lane's drawn range (in log10 on a log axis), about a third of
# a pixel of a chart 260 px high
SIMPLIFY_SHARE = 1 / 800


def points_per_lane(lanes: int, per_epoch: bool = False) -> int:
    """How many points of each lane a per-step (or per_epoch) chart of `lanes` lanes draws, at most."""
    most = max(MIN_POINTS, POINTS_PER_CHART // max(1, lanes))
    return most // 2 if per_epoch else most


def thin_index(values: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """The indices drawn of a series: all, or the first, the last and each bucket's lowest and highest
    point (buckets of consecutive points, about max_points / 2 of them), so a spike stays in the picture.
    A NaN is neither a lowest nor a highest point (a bucket of NaNs only keeps its first)."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    values = np.asarray(values, float)
    k = math.ceil(2 * n / max(2, max_points - 2))
    m = n // k * k
    nan = np.isnan(values)
    low, high = (
        (np.where(nan, np.inf, values), np.where(nan, -np.inf, values)) if nan.any() else (values,) * 2
    )
    base = np.arange(0, m, k)
    parts = [
        base + low[:m].reshape(-1, k).argmin(axis=1),
        base + high[:m].reshape(-1, k).argmax(axis=1),
        [0, n - 1],
    ]
    if m < n:
        parts.append([m + int(low[m:].argmin()), m + int(high[m:].argmax())])
    return np.unique(np.concatenate(parts).astype(np.int64))


def simplify_index(x: np.ndarray, y: np.ndarray, share: float = SIMPLIFY_SHARE) -> np.ndarray:
    """The indices of the points of a line (x increasing) that a chart needs: the first, the last, and those
    that lie further than `share` of y's range from the straight line between the points kept around them
    (Ramer-Douglas-Peucker, measured along y). A constant learning rate is 2 points, a schedule a few."""
    n = len(y)
    if n <= 2:
        return np.arange(n)
    x, y = np.asarray(x, float), np.asarray(y, float)
    tolerance = share * float(np.ptp(y))
    keep = np.zeros(n, bool)
    keep[[0, n - 1]] = True
    todo = [(0, n - 1)]
    while todo:
        a, b = todo.pop()
        if b - a < 2:
            continue
        span = x[b] - x[a]
        along = (x[a + 1 : b] - x[a]) / span if span > 0 else np.full(b - a - 1, 0.5)
        off = np.abs(y[a + 1 : b] - (y[a] + along * (y[b] - y[a])))
        worst = int(off.argmax())
        if off[worst] > tolerance:
            mid = a + 1 + worst
            keep[mid] = True
            todo += [(a, mid), (mid, b)]
    return np.flatnonzero(keep)


def early_index(values: np.ndarray, buckets: int) -> np.ndarray:
    """The indices of each bucket's lowest and highest point, for buckets that grow with the index
    (geometric: the first points alone, later ones in ever larger buckets), the first and the last point.
    Uniform buckets draw a long run's first epochs, where it learns most, as 2 points; these draw them
    one by one. A NaN is neither a lowest nor a highest point."""
    n = len(values)
    if n <= 2 * buckets:
        return np.arange(n)
    values = np.asarray(values, float)
    starts = np.unique(np.geomspace(1, n + 1, buckets + 1).astype(np.int64)[:-1] - 1)
    bucket = np.searchsorted(starts, np.arange(n), side="right") - 1
    ends = np.append(starts[1:], n) - 1  # each bucket's last position in an order sorted by bucket
    nan = np.isnan(values)
    lowest = np.lexsort((np.where(nan, np.inf, values), bucket))[starts]
    highest = np.lexsort((np.where(nan, -np.inf, values), bucket))[ends]
    return np.unique(np.concatenate([lowest, highest, [0, n - 1]]))
