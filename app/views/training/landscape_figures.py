"""The landscape panel's Plotly figures (no streamlit here: the panel passes translated text in).

The map is drawn as the Playground's is: the filled contour is one palette PNG pinned to the axes
(app/shared/contour_image.py), bilinear between the grid's points, so the browser draws one bitmap; an
invisible heatmap over the grid gives the hover of each grid point. Each lane's path is a line in its
optimizer's colour (a dotted one when the lane is projected onto the plane rather than on it), θ₀ a
black ring, each end a marker in the lane's colour; a path point's hover gives its step, epoch, the loss
the trainer recorded there and the surface's value at its shadow on the plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.shared import theme
from app.shared.contour_image import contour_png
from app.shared.plotting import PrebuiltFigure, rounded
from optim_core.training.landscape.paths import Paths
from optim_core.training.landscape.planes import Plane, off_plane, project

MARGINS = {False: dict(l=64, r=24, t=64, b=56), True: dict(l=90, r=30, t=90, b=80)}  # by presenter
PAD = 0.15  # the map extends this fraction of the paths' extent beyond them on every side


@dataclass(frozen=True)
class DrawnPath:
    """One lane's path as the map draws it: θ₀ then its snapshots, projected onto the plane."""

    label: str  # as shown (translated), with its distance from the plane when projected
    colour: str
    dash: str  # Plotly's dash of the lane's optimizer
    coords: np.ndarray  # (k + 1, 2) coordinates on the plane
    steps: np.ndarray  # (k + 1,) optimizer steps (0 at θ₀)
    epochs: np.ndarray  # (k + 1,)
    train_loss: np.ndarray  # (k + 1,) the loss the trainer recorded (NaN where none)
    on_plane: bool  # the plane is built from this lane's end (its path is still projected)


def grid_bounds(
    paths: list[DrawnPath], centre: tuple[float, float] | None = None, half: float = 0.0
) -> tuple:
    """((a0, a1), (b0, b1)) around every path's points and θ₀, PAD beyond; with `centre` and `half`, the
    square centre ± half instead (the random plane: Li et al.'s α, β ∈ [−1, 1])."""
    if centre is not None:
        return ((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))
    points = np.vstack([p.coords for p in paths]) if paths else np.zeros((1, 2))
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 1e-3 * max(1.0, float(np.abs(points).max())))
    low, high = low - PAD * span, high + PAD * span
    return ((float(low[0]), float(high[0])), (float(low[1]), float(high[1])))


def bilinear(a: np.ndarray, b: np.ndarray, z: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z (rows b, columns a, both increasing) at the points (x, y), bilinear; NaN outside the grid."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    inside = (x >= a[0]) & (x <= a[-1]) & (y >= b[0]) & (y <= b[-1])
    i = np.clip(np.searchsorted(a, x) - 1, 0, len(a) - 2)
    j = np.clip(np.searchsorted(b, y) - 1, 0, len(b) - 2)
    tx = np.clip((x - a[i]) / (a[i + 1] - a[i]), 0.0, 1.0)
    ty = np.clip((y - b[j]) / (b[j + 1] - b[j]), 0.0, 1.0)
    top = (1 - tx) * z[j, i] + tx * z[j, i + 1]
    bottom = (1 - tx) * z[j + 1, i] + tx * z[j + 1, i + 1]
    return np.where(inside, (1 - ty) * top + ty * bottom, np.nan)


def _hover(path: DrawnPath, here: np.ndarray, text: dict[str, str]) -> list[str]:
    out = []
    for step, epoch, loss, value in zip(path.steps, path.epochs, path.train_loss, here, strict=True):
        lines = [text["hover_step"].format(step=int(step), epoch=int(epoch))]
        if np.isfinite(loss):
            lines.append(text["hover_recorded"].format(loss=f"{loss:.4g}"))
        if np.isfinite(value):
            lines.append(text["hover_surface"].format(value=f"{value:.4g}"))
        out.append("<br>".join(lines))
    return out


def _path_traces(paths: list[DrawnPath], surface, z: np.ndarray, lk, text: dict[str, str]) -> list[dict]:
    traces = [
        dict(
            type="scatter",
            x=[0.0] if not paths else [float(paths[0].coords[0, 0])],
            y=[0.0] if not paths else [float(paths[0].coords[0, 1])],
            mode="markers",
            name=text["theta0"],
            hovertemplate=text["theta0"] + "<extra></extra>",
            marker=dict(symbol="circle-open", size=lk.marker + 6, color="black", line=dict(width=2.5)),
        )
    ]
    for path in paths:
        here = bilinear(surface.a, surface.b, z, path.coords[:, 0], path.coords[:, 1])
        traces.append(
            dict(
                type="scatter",
                x=rounded(path.coords[:, 0], 6),
                y=rounded(path.coords[:, 1], 6),
                mode="lines+markers",
                name=path.label,
                legendgroup=path.label,
                line=dict(color=path.colour, width=lk.line, dash=path.dash if path.on_plane else "dot"),
                marker=dict(size=max(4, lk.marker // 2), color=path.colour),
                text=_hover(path, here, text),
                hovertemplate=f"<b>{path.label}</b><br>%{{text}}<extra></extra>",
            )
        )
        traces.append(
            dict(
                type="scatter",
                x=[float(path.coords[-1, 0])],
                y=[float(path.coords[-1, 1])],
                mode="markers",
                name=text["end"],
                legendgroup=path.label,
                showlegend=False,
                text=[text["end"]],
                hovertemplate=f"<b>{path.label}</b>: %{{text}}<extra></extra>",
                marker=dict(
                    symbol="diamond",
                    size=lk.marker + 4,
                    color=path.colour,
                    line=dict(color="black", width=1.5),
                ),
            )
        )
    return traces


def landscape_map(
    surface, metric: str, paths: list[DrawnPath], *, presenter: bool, text: dict[str, str]
) -> PrebuiltFigure:
    """The filled contour of the surface's `metric` ("loss" or "accuracy") over the plane, and the paths.

    surface: optim_core.training.landscape.grid.Surface (a, b, loss, accuracy). text: the axis titles
    (a_title, b_title), the metric's name (metric), theta0, end, and the hover formats hover_step
    ({step}, {epoch}), hover_recorded ({loss}), hover_surface ({value}), hover_grid ({value}).
    """
    lk = theme.look(presenter)
    z = np.asarray(getattr(surface, metric), dtype=float)
    a, b = np.asarray(surface.a, dtype=float), np.asarray(surface.b, dtype=float)
    (a0, a1), (b0, b1) = (a[0], a[-1]), (b[0], b[-1])
    # light where the network does well: low loss, high accuracy
    scale = theme.CONTOUR_SCALE if metric == "loss" else [[1.0 - p, c] for p, c in theme.CONTOUR_SCALE[::-1]]
    picture = contour_png(
        lambda x, y: bilinear(a, b, z, x, y), ((a0, a1), (b0, b1)), scale, log_levels=metric == "loss"
    )
    image = dict(
        source=picture,
        xref="x",
        yref="y",
        x=a0,
        y=b1,
        sizex=a1 - a0,
        sizey=b1 - b0,
        xanchor="left",
        yanchor="top",
        sizing="stretch",
        layer="below",
    )
    grid = dict(
        type="heatmap",
        x=rounded(a, 6),
        y=rounded(b, 6),
        z=[rounded(row, 5) for row in z],
        opacity=0,
        showscale=False,
        hovertemplate=text["hover_grid"].format(value="%{z:.4g}") + "<extra></extra>",
        name=text["metric"],
        showlegend=False,
    )
    data = [grid, *_path_traces(paths, surface, z, lk, text)]
    axis = dict(showgrid=False, zeroline=False, ticks="outside", mirror=True, showline=True, linecolor="#888")
    layout = dict(
        template=theme.PLOTLY_TEMPLATE,
        images=[image],
        height=600 if presenter else 480,
        margin=MARGINS[presenter],
        font=dict(size=lk.font),
        # equal units on both axes (distances in weight space), the plot area shrunk to fit the grid
        xaxis=dict(axis, title=dict(text=text["a_title"]), range=[a0, a1], constrain="domain"),
        yaxis=dict(
            axis,
            title=dict(text=text["b_title"]),
            range=[b0, b1],
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
        ),
        legend=dict(orientation="h", y=1.01, yanchor="bottom", x=0),  # above: clear of the axis title
        hoverlabel=dict(font=dict(size=lk.font)),
        uirevision=text.get("revision", "landscape"),
    )
    return PrebuiltFigure(dict(data=data, layout=layout))


def landscape_3d(
    surface, metric: str, paths: list[DrawnPath], *, presenter: bool, text: dict[str, str]
) -> PrebuiltFigure:
    """The same surface as a 3D sheet, each path lifted onto it (its shadow's height) in its colour."""
    lk = theme.look(presenter)
    z = np.asarray(getattr(surface, metric), dtype=float)
    a, b = np.asarray(surface.a, dtype=float), np.asarray(surface.b, dtype=float)
    data: list[dict] = [
        dict(
            type="surface",
            x=rounded(a, 6),
            y=rounded(b, 6),
            z=[rounded(row, 5) for row in z],
            colorscale=theme.SURFACE_SCALE,
            reversescale=metric != "loss",
            opacity=0.88,
            showscale=False,
            hovertemplate=text["hover_grid"].format(value="%{z:.4g}") + "<extra></extra>",
            name=text["metric"],
        )
    ]
    for path in paths:
        here = bilinear(a, b, z, path.coords[:, 0], path.coords[:, 1])
        data.append(
            dict(
                type="scatter3d",
                x=rounded(path.coords[:, 0], 6),
                y=rounded(path.coords[:, 1], 6),
                z=rounded(here, 5),
                mode="lines+markers",
                name=path.label,
                line=dict(color=path.colour, width=lk.line * 2),
                marker=dict(size=3, color=path.colour),
                text=_hover(path, here, text),
                hovertemplate=f"<b>{path.label}</b><br>%{{text}}<extra></extra>",
            )
        )
    layout = dict(
        template=theme.PLOTLY_TEMPLATE,
        height=620 if presenter else 500,
        margin=dict(l=0, r=0, t=10, b=0),
        font=dict(size=lk.font),
        scene=dict(
            xaxis=dict(title=dict(text=text["a_title"])),
            yaxis=dict(title=dict(text=text["b_title"])),
            zaxis=dict(title=dict(text=text["metric"])),
            aspectmode="manual",
            aspectratio=dict(x=1, y=1, z=0.6),
        ),
        legend=dict(orientation="h", y=1.02),
        uirevision=text.get("revision", "landscape"),
    )
    return PrebuiltFigure(dict(data=data, layout=layout))


def interpolation_figure(
    interpolation, ends: tuple[str, str], colours: tuple[str, str], *, presenter: bool, text: dict[str, str]
) -> PrebuiltFigure:
    """Loss (left axis) and accuracy (right axis, dotted) along (1 − α)·θ_A + α·θ_B, the two ends marked
    in their lanes' colours. text: x_title, loss, accuracy."""
    lk = theme.look(presenter)
    alpha = np.asarray(interpolation.alpha, dtype=float)
    data: list[dict] = [
        dict(
            type="scatter",
            x=rounded(alpha, 4),
            y=rounded(interpolation.loss, 5),
            mode="lines",
            name=text["loss"],
            line=dict(color="#333333", width=lk.line),
            hovertemplate="α = %{x:.3g}<br>" + text["loss"] + " %{y:.4g}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=rounded(alpha, 4),
            y=rounded(interpolation.accuracy, 5),
            mode="lines",
            name=text["accuracy"],
            yaxis="y2",
            line=dict(color="#888888", width=lk.line * 0.7, dash="dot"),
            hovertemplate="α = %{x:.3g}<br>" + text["accuracy"] + " %{y:.1%}<extra></extra>",
        ),
    ]
    for at, label, colour in zip((0.0, 1.0), ends, colours, strict=True):
        k = int(np.argmin(np.abs(alpha - at)))
        data.append(
            dict(
                type="scatter",
                x=[float(alpha[k])],
                y=[float(interpolation.loss[k])],
                mode="markers",
                name=label,
                hovertemplate=f"<b>{label}</b><br>" + text["loss"] + " %{y:.4g}<extra></extra>",
                marker=dict(
                    symbol="diamond", size=lk.marker + 4, color=colour, line=dict(color="black", width=1.5)
                ),
            )
        )
    layout = dict(
        template=theme.PLOTLY_TEMPLATE,
        height=420 if presenter else 340,
        margin=dict(l=70, r=70, t=40, b=60) if not presenter else dict(l=96, r=96, t=60, b=80),
        font=dict(size=lk.font),
        xaxis=dict(title=dict(text=text["x_title"]), zeroline=False),
        yaxis=dict(title=dict(text=text["loss"])),
        yaxis2=dict(
            title=dict(text=text["accuracy"]),
            overlaying="y",
            side="right",
            tickformat=".0%",
            range=[0, 1.02],
            dtick=0.25,
            showgrid=False,
        ),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        hovermode="closest",
    )
    return PrebuiltFigure(dict(data=data, layout=layout))


def drawn_paths(
    plane: Plane, paths: Paths, lanes: list, styles: list[dict], off_text: str
) -> list[DrawnPath]:
    """Each recorded lane's path (θ₀, then its snapshots) projected onto `plane`, in its lane's style.

    lanes: the run's LaneViews (key: the recorded label; label: as shown); styles: a {colour, dash
    (Plotly's)} per lane; off_text: the legend's format for a lane that does not define the plane
    ({label}, {fraction}: its largest distance from the plane over its path's length)."""
    off = off_plane(plane, paths)
    out = []
    recorded = set(paths.labels)
    for lane, style in zip(lanes, styles, strict=True):
        if lane.key not in recorded:
            continue
        record = paths.lane(lane.key)
        coords, _ = project(plane, paths.points(lane.key))
        defines = lane.key in plane.lanes and plane.kind == "runs"
        fraction = off[lane.key].ratio
        label = lane.label
        if not defines and math.isfinite(fraction):
            label = off_text.format(label=lane.label, fraction=f"{fraction:.0%}")
        out.append(
            DrawnPath(
                label=label,
                colour=style["colour"],
                dash=style["dash"],
                coords=coords,
                steps=np.concatenate([[0], record.steps]),
                epochs=np.concatenate([[0], record.epochs]),
                train_loss=np.concatenate([[np.nan], record.train_loss]),
                on_plane=defines,
            )
        )
    return out
