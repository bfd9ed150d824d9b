"""The map's contour picture: round levels, bands in the right place, undefined regions see-through."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from app.shared import theme
from app.shared.contour_image import LEVELS, band_indices, band_palette, contour_png, level_edges
from app.shared.simulation_cache import build_surface


def decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


@pytest.mark.parametrize(
    ("low", "high", "step"), [(0.0, 8.0, 0.5), (-3.2, 11.7, 1.0), (0.0, 0.31, 0.02), (1e4, 1e4 + 1.0, 0.05)]
)
def test_levels_are_round_and_at_most_levels_bands(low, high, step):
    edges = level_edges(low, high)
    assert len(edges) + 1 <= LEVELS and np.all((edges > low) & (edges < high))
    np.testing.assert_allclose(np.diff(edges), step, rtol=1e-9)
    np.testing.assert_allclose(edges / step, np.round(edges / step), atol=1e-6)  # multiples of the step


def test_a_flat_or_empty_surface_has_no_levels():
    assert level_edges(2.0, 2.0).size == 0


def test_bands_lines_and_undefined_pixels():
    z = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, np.nan]])
    index = band_indices(z, np.array([1.0]))  # two bands: below 1 and above
    bands = 2
    assert index[1, 0] == 0 and index[0, 2] == 1
    assert index[0, 1] == 0 + bands, "a level line where the band changes to the right"
    assert index[1, 3] == 2 * bands, "undefined"
    palette = band_palette(theme.CONTOUR_SCALE, np.array([1.0]), 0.0, 2.0)
    assert palette.shape == (2 * bands + 1, 3)
    assert palette[0].sum() > palette[1].sum(), "the scale runs from light (low) to dark (high)"


def test_the_picture_reads_like_the_axes():
    # f = y: the top row (y = y1) is the highest band, so the darkest; x does not matter
    uri = contour_png(lambda x, y: y + 0 * x, ((0.0, 1.0), (-1.0, 1.0)), theme.CONTOUR_SCALE, size=(40, 30))
    image = decode(uri).convert("RGBA")
    assert image.size == (40, 30)
    pixels = np.asarray(image, dtype=float)
    assert pixels[0, 5, :3].sum() < pixels[-1, 5, :3].sum()
    np.testing.assert_array_equal(pixels[:, 3], pixels[:, 30])


def test_undefined_regions_are_transparent_and_formulas_work():
    surface = build_surface("custom", "sqrt(x) + y**2", ())
    (x0, x1), _ = surface.bounds
    image = decode(contour_png(surface.f, surface.bounds, theme.CONTOUR_SCALE, size=(60, 40))).convert("RGBA")
    alpha = np.asarray(image)[..., 3]
    left = int(60 * (0 - x0) / (x1 - x0))  # x < 0: sqrt undefined
    assert (alpha[:, : left - 1] == 0).all() and (alpha[:, left + 1 :] == 255).all()


def test_log_levels_and_size_of_the_built_in_surfaces():
    for name in ("rosenbrock", "rastrigin", "saddle"):
        surface = build_surface(name, None, ())
        uri = contour_png(surface.f, surface.bounds, theme.CONTOUR_SCALE, log_levels=surface.log_levels)
        assert len(uri) < 150_000, "a palette PNG: the picture stays small"
        assert decode(uri).mode == "P"
