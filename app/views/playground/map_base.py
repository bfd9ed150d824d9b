"""The map's static layers: the surface's contour picture, the click grid, and the minima and saddles.

They do not change when the optimizers do, so they are built once per surface, language and look, and a
slider change only rebuilds the paths (`map_figure`). No streamlit import.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from app.shared import theme
from app.shared.contour_image import contour_png
from app.shared.plotting import rounded
from app.shared.simulation_cache import build_surface

CLICK_GRID = 24  # the invisible scatter grid that turns a click on the map into a start point
CLICK_TRACE = 0  # its index among the figure's traces (a click reports the trace it hit by index)
MAX_MARKS = 12  # Rastrigin has 121 minima and 220 saddles: beyond this, mark only the global minima


def marked_points(surface) -> tuple[tuple, tuple]:
    """The minima and saddles worth a marker: all of them, or only the global minima when there are many."""
    minima, saddles = tuple(surface.minima), tuple(surface.saddles)
    if len(minima) > MAX_MARKS:
        values = [float(surface.f(np.float64(x), np.float64(y))) for x, y in minima]
        lowest = min(values)
        minima = tuple(
            p for p, v in zip(minima, values, strict=True) if v <= lowest + 1e-9 * (1 + abs(lowest))
        )
    if len(saddles) > MAX_MARKS:
        saddles = ()
    return minima, saddles


@lru_cache(maxsize=32)
def map_base(
    surface_key: tuple[str, str | None, tuple[tuple[str, float], ...]],
    presenter: bool,
    click_hint: str,
    minimum: str,
    saddle: str,
) -> tuple[dict, list[dict]]:
    """The static layers of the map: the contour picture (a layout image), the click grid, and the minima
    and saddles, as plain dicts.

    Cached on plain data, as `build_surface` is: surface_key is its (name, formula, parameters); the
    three strings are the translated hover texts. The caller must not change what it returns.
    """
    surface = build_surface(*surface_key)
    lk = theme.look(presenter)
    (x0, x1), (y0, y1) = surface.bounds
    image = dict(
        source=contour_png(surface.f, surface.bounds, theme.CONTOUR_SCALE, log_levels=surface.log_levels),
        xref="x",
        yref="y",
        x=x0,
        y=y1,
        sizex=x1 - x0,
        sizey=y1 - y0,
        xanchor="left",
        yanchor="top",
        sizing="stretch",
        layer="below",
    )
    # An invisible grid over the map: a click on a picture yields no selection, a scatter point does.
    # Plotly finds the clicked point from the data, not from the drawn markers, so it draws just one
    # (`maxdisplayed`) rather than 576 that nobody sees. It is the first trace (CLICK_TRACE).
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    traces = [
        dict(
            type="scatter",
            x=rounded(gx.ravel(), 3),
            y=rounded(gy.ravel(), 3),
            mode="markers",
            marker=dict(size=16, color="rgba(0,0,0,0)", maxdisplayed=1),
            showlegend=False,
            name="click-grid",
            hovertemplate=click_hint + "<extra></extra>",
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
        )
    ]
    minima, saddles = marked_points(surface)
    if minima:
        mx, my = zip(*minima, strict=True)
        traces.append(
            dict(
                type="scatter",
                x=list(mx),
                y=list(my),
                mode="markers",
                name=minimum,
                hoverinfo="name",
                marker=dict(
                    symbol="star", size=lk.marker + 8, color="#FFD700", line=dict(color="black", width=1.5)
                ),
            )
        )
    if saddles:
        sx, sy = zip(*saddles, strict=True)
        traces.append(
            dict(
                type="scatter",
                x=list(sx),
                y=list(sy),
                mode="markers",
                name=saddle,
                hoverinfo="name",
                marker=dict(symbol="x-thin", size=lk.marker + 6, line=dict(color="black", width=3)),
            )
        )
    return image, traces
