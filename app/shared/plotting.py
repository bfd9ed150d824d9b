"""Plotly figure builders shared by the pages. No streamlit import: pages pass translated text in.

The Playground's animated map has a module of its own (`map_figure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from app.shared import theme


@dataclass(frozen=True)
class PathStyle:
    label: str
    colour: str
    dash: str
    symbol: str


def rounded(values: np.ndarray, digits: int = 5) -> list:
    """Rounded lists keep the JSON small; NaN becomes None (a gap in the line)."""
    values = np.round(np.asarray(values, dtype=float), digits)
    return np.where(np.isfinite(values), values, None).tolist()


def surface_grid(surface, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y axes and the displayed height: log10 of (f − min + 1) where the surface asks for log levels."""
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    with np.errstate(all="ignore"):
        z = surface.f(*np.meshgrid(xs, ys))
        z = np.where(np.isfinite(z), z, np.nan)
        if surface.log_levels:
            z = np.log10(z - np.nanmin(z) + 1.0)
    return xs, ys, z


class PrebuiltFigure(go.Figure):
    """A figure whose dict is built directly. Streamlit and plotly.io take its `to_dict()` as it is,
    skipping the validation that a plain dict (or go.Frame objects) would go through."""

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec


def curvature_figure(
    lam_min: np.ndarray,
    lam_max: np.ndarray,
    styles: list[PathStyle],
    step: int,
    *,
    presenter: bool,
    text: dict[str, str],
) -> PrebuiltFigure:
    """λ_max (solid) and λ_min (dotted) of the Hessian along each path: a ravine shows as a large λ_max
    beside a small λ_min, a saddle as λ_min < 0."""
    lk = theme.look(presenter)
    steps = list(range(lam_min.shape[1]))
    data = []
    for low, high, style in zip(lam_min, lam_max, styles, strict=True):
        data.append(
            dict(
                type="scatter",
                x=steps,
                y=rounded(high, 5),
                mode="lines",
                name=f"{style.label} λ_max",
                line=dict(color=style.colour, width=lk.line),
            )
        )
        data.append(
            dict(
                type="scatter",
                x=steps,
                y=rounded(low, 5),
                mode="lines",
                name=f"{style.label} λ_min",
                line=dict(color=style.colour, width=lk.line, dash="dot"),
            )
        )
    axis_font = dict(size=lk.font)
    layout = dict(
        height=380 if presenter else 280,
        margin=dict(l=10, r=10, t=10, b=10),
        font=dict(size=lk.font),
        template=theme.template(),
        hovermode="x unified",
        legend=dict(orientation="h", y=1.02),
        xaxis=dict(title=dict(text=text["step"], font=axis_font)),
        yaxis=dict(title=dict(text="λ", font=axis_font), zeroline=True, zerolinewidth=2),
        shapes=[
            dict(
                type="line",
                x0=step,
                x1=step,
                y0=0,
                y1=1,
                yref="paper",
                line=dict(color="#444", width=1.5, dash="dot"),
            )
        ],
    )
    return PrebuiltFigure(dict(data=data, layout=layout))


def surface_3d_figure(
    surface,
    xy: np.ndarray,
    loss: np.ndarray,
    styles: list[PathStyle],
    step: int,
    *,
    presenter: bool,
    text: dict[str, str],
) -> go.Figure:
    """The same paths lifted onto the surface; heights use the contour's (possibly log) scale."""
    lk = theme.look(presenter)
    xs, ys, z = surface_grid(surface, n=70)
    fig = go.Figure(
        go.Surface(
            x=rounded(xs, 4),
            y=rounded(ys, 4),
            z=rounded(z, 4),
            colorscale=theme.SURFACE_SCALE,
            opacity=0.85,
            showscale=False,
            hoverinfo="skip",
        )
    )
    floor = np.nanmin(z)
    with np.errstate(all="ignore"):
        if surface.log_levels:
            z_min = np.nanmin(
                surface.f(
                    *np.meshgrid(np.linspace(*surface.bounds[0], 120), np.linspace(*surface.bounds[1], 120))
                )
            )
            heights = np.log10(loss - z_min + 1.0)
        else:
            heights = loss
    (x0, x1), (y0, y1) = surface.bounds
    for path, h, style in zip(xy, heights, styles, strict=True):
        inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
        shown_h = np.where(inside, np.maximum(h, floor), np.nan)
        fig.add_trace(
            go.Scatter3d(
                x=rounded(path[:, 0]),
                y=rounded(path[:, 1]),
                z=rounded(shown_h),
                mode="lines",
                name=style.label,
                line=dict(color=style.colour, width=lk.line * 2),
            )
        )
        if inside[step]:
            fig.add_trace(
                go.Scatter3d(
                    x=[path[step, 0]],
                    y=[path[step, 1]],
                    z=[shown_h[step]],
                    mode="markers",
                    showlegend=False,
                    marker=dict(color=style.colour, size=lk.marker // 2 + 3),
                )
            )
    fig.update_layout(
        height=560 if presenter else 460,
        margin=dict(l=0, r=0, t=10, b=0),
        font=dict(size=lk.font),
        template=theme.PLOTLY_TEMPLATE,
        scene=dict(
            xaxis_title="x",
            yaxis_title="y",
            zaxis_title=text["height"],
            aspectmode="manual",
            aspectratio=dict(x=1, y=1, z=0.6),
        ),
        legend=dict(orientation="h", y=1.02),
        uirevision=surface.name,
    )
    return fig
