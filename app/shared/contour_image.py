"""The map's filled contour as one PNG picture, for a figure that is redrawn on every slider move.

A Plotly contour trace is traced into SVG paths in the browser on every redraw (marching squares over
the grid, 28 filled bands and their lines), and Streamlit redraws a changed chart twice. On the
Playground that was the largest part of each redraw, though the surface never changes when a slider
does. Here the bands are coloured once per surface, in NumPy, and the figure carries them as a layout
image pinned to the axes: it pans and zooms with them, and the browser draws one bitmap.

The levels are round values a 1-2-5 step apart, at most LEVELS bands, as Plotly chooses them. The
picture has at most 2 × (LEVELS + 1) + 1 colours (each band, each band under a level line, and
"undefined"), so it is stored as an exact palette PNG: small, and quick to encode.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

LEVELS = 28  # at most this many filled bands, as the contour trace had (ncontours=28)
LINE_RGB = (60, 80, 110)  # level lines: this colour at LINE_ALPHA over the band
LINE_ALPHA = 0.35
SIZE = (720, 540)  # pixels; about the map's size on a projector, so lines stay one pixel wide


def colour_at(scale: list[list], values: np.ndarray) -> np.ndarray:
    """RGB (0-255, float) of a Plotly-style colour scale [[position, "#rrggbb"], ...] at values in [0, 1]."""
    positions = np.array([float(p) for p, _ in scale])
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in scale], dtype=float)
    return np.stack([np.interp(values, positions, rgb[:, k]) for k in range(3)], axis=-1)


def level_edges(low: float, high: float, most: int = LEVELS) -> np.ndarray:
    """Round level values strictly inside (low, high), a 1-2-5 step apart, at most `most` bands, as
    Plotly picks its contour levels."""
    if not high > low:
        return np.array([])
    raw = (high - low) / most
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    edges = np.arange(np.floor(low / step) + 1, np.ceil(high / step)) * step
    return edges[(edges > low) & (edges < high)]


def band_indices(z: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per pixel, an index into `band_palette`: the band of z between `edges` (0 .. n), plus n + 1 where a
    level line passes (the band differs from the right or lower neighbour), or 2(n + 1) where z is
    undefined."""
    bands = len(edges) + 1
    finite = np.isfinite(z)
    band = np.digitize(np.where(finite, z, -np.inf), edges)
    line = np.zeros(z.shape, dtype=bool)
    line[:, :-1] |= band[:, :-1] != band[:, 1:]
    line[:-1, :] |= band[:-1, :] != band[1:, :]
    return np.where(finite, band + bands * line, 2 * bands).astype(np.uint8)


def band_palette(scale: list[list], edges: np.ndarray, low: float, high: float) -> np.ndarray:
    """The RGB of each index `band_indices` gives: band colours (the scale at each band's middle), the same
    under a level line, and black for undefined (drawn transparent)."""
    bounds = np.concatenate([[low], edges, [high]])
    middle = (bounds[:-1] + bounds[1:]) / 2
    fill = colour_at(scale, (middle - low) / (high - low) if high > low else np.zeros_like(middle))
    lined = (1 - LINE_ALPHA) * fill + LINE_ALPHA * np.array(LINE_RGB)
    return np.round(np.vstack([fill, lined, [[0.0, 0.0, 0.0]]])).astype(np.uint8)


def contour_png(
    f,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    scale: list[list],
    *,
    log_levels: bool = False,
    size: tuple[int, int] = SIZE,
) -> str:
    """A data URI of the filled contour of f over bounds (x right, y up), `size` = (width, height) pixels.

    log_levels: bands of log10(f − min + 1), for surfaces with steep walls around a flat valley.
    """
    (x0, x1), (y0, y1) = bounds
    width, height = size
    xs = x0 + (np.arange(width) + 0.5) * (x1 - x0) / width  # pixel centres
    ys = (
        y1 - (np.arange(height) + 0.5) * (y1 - y0) / height
    )  # the top row is y1: the picture reads like the axes
    with np.errstate(all="ignore"):
        z = np.asarray(f(*np.meshgrid(xs, ys)), dtype=float)
        z = np.where(np.isfinite(z), z, np.nan)
        if log_levels and np.isfinite(z).any():
            z = np.log10(z - np.nanmin(z) + 1.0)
    finite = z[np.isfinite(z)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    edges = level_edges(low, high)
    image = Image.fromarray(band_indices(z, edges), "P")
    image.putpalette(band_palette(scale, edges, low, high).ravel().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=2 * (len(edges) + 1))  # "undefined" is see-through
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
