"""Plotly figure builders for the pages. No streamlit import: pages pass translated text in.

The contour figure animates client-side: its frames carry only the moving traces (each optimizer's
trail and head), with `redraw: False`, so playing costs the browser a few scatter updates a frame and
the contour is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from app import theme

MAX_FRAMES = 60  # more frames than this are subsampled: the payload stays small, playback smooth
TRAIL = 15  # how many past steps the animated trail shows
CLICK_GRID = 24  # the invisible scatter grid that turns a click on the map into a start point
SPEEDS = (("0.5×", 120), ("1×", 60), ("2×", 30), ("4×", 12))  # label, ms per frame
# The map's margins already hold its tick labels, legend and player. Plotly grows a margin that is too
# small for them and then draws the whole figure again, which cost ~60% of each redraw of the map.
MAP_MARGINS = {False: dict(l=64, r=24, t=48, b=164), True: dict(l=88, r=30, t=62, b=206)}  # by presenter


@dataclass(frozen=True)
class PathStyle:
    label: str
    colour: str
    dash: str
    symbol: str


def _round(values: np.ndarray, digits: int = 5) -> list:
    """Rounded lists keep the JSON small; NaN becomes None (a gap in the line)."""
    rounded = np.round(np.asarray(values, dtype=float), digits)
    return np.where(np.isfinite(rounded), rounded, None).tolist()


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


def frame_steps(steps: int, keep: int = 0) -> np.ndarray:
    """The steps that get an animation frame: all of them, or an even subsample that keeps the last step
    and `keep` (the inspected step, so the scrubber can show exactly it)."""
    if steps + 1 <= MAX_FRAMES:
        return np.arange(steps + 1)
    return np.union1d(np.linspace(0, steps, MAX_FRAMES).round().astype(int), [keep])


def _moving_traces(xy: np.ndarray, step: int, styles: list[PathStyle], lk: theme.Look,
                   loss: np.ndarray | None = None, lr_curve: np.ndarray | None = None) -> list[dict]:
    """What moves at `step`: each path's trail and head (and its marker on the loss panel), and the LR
    marker. The only traces an animation frame carries.

    Plain dicts: plotly's per-trace validation would cost ~1 s for 150 frames.
    """
    traces = []
    lo = max(0, step - TRAIL)
    for i, (path, style) in enumerate(zip(xy, styles, strict=True)):
        traces.append(dict(type="scatter", x=_round(path[lo:step + 1, 0], 4), y=_round(path[lo:step + 1, 1], 4),
                           mode="lines", hoverinfo="skip", showlegend=False,
                           line=dict(color=style.colour, width=lk.line * 1.6, dash=style.dash)))
        traces.append(dict(type="scatter", x=_round(path[step:step + 1, 0]), y=_round(path[step:step + 1, 1]),
                           mode="markers", name=style.label, showlegend=False,
                           marker=dict(color=style.colour, size=lk.marker * 1.3, symbol=style.symbol,
                                       line=dict(color="white", width=2)),
                           hovertemplate=f"{style.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"))
        if loss is not None:
            traces.append(dict(type="scatter", x=[step], y=_round(loss[i, step:step + 1], 8), mode="markers",
                               xaxis="x3", yaxis="y3", showlegend=False, hoverinfo="skip",
                               marker=dict(color=style.colour, size=lk.marker, symbol=style.symbol,
                                           line=dict(color="white", width=1.5))))
    if lr_curve is not None:
        t = min(step, len(lr_curve) - 1)  # the LR in effect for the step leaving this point
        traces.append(dict(type="scatter", x=[t], y=_round(lr_curve[t:t + 1], 6), mode="markers", xaxis="x2",
                           yaxis="y2", showlegend=False, hoverinfo="skip",
                           marker=dict(color="#D55E00", size=lk.marker, line=dict(color="white", width=1.5))))
    return traces


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


MAX_MARKS = 12  # Rastrigin has 121 minima and 220 saddles: beyond this, mark only the global minima


def marked_points(surface) -> tuple[tuple, tuple]:
    """The minima and saddles worth a marker: all of them, or only the global minima when there are many."""
    minima, saddles = tuple(surface.minima), tuple(surface.saddles)
    if len(minima) > MAX_MARKS:
        values = [float(surface.f(np.float64(x), np.float64(y))) for x, y in minima]
        lowest = min(values)
        minima = tuple(p for p, v in zip(minima, values, strict=True) if v <= lowest + 1e-9 * (1 + abs(lowest)))
    if len(saddles) > MAX_MARKS:
        saddles = ()
    return minima, saddles


_BASE_CACHE: dict[tuple, tuple] = {}  # (id(surface), presenter, click hint) -> (surface, traces)


def map_base(surface, presenter: bool, text: dict[str, str]) -> list[dict]:
    """The static layers of the map: contour, click grid, minima and saddles (cached per surface).

    Plain dicts: they do not change when the optimizers do, so a slider change only rebuilds the paths.
    """
    key = (id(surface), presenter, tuple(sorted(text.items())))
    hit = _BASE_CACHE.get(key)
    if hit is not None and hit[0] is surface:  # the entry holds the surface, so its id stays unique
        return hit[1]
    lk = theme.look(presenter)
    xs, ys, z = surface_grid(surface)
    (x0, x1), (y0, y1) = surface.bounds
    traces = [dict(type="contour", x=_round(xs, 4), y=_round(ys, 4), z=_round(z, 4), colorscale=theme.CONTOUR_SCALE,
                   ncontours=28, showscale=False, hoverinfo="skip", contours=dict(coloring="fill", showlines=True),
                   line=dict(width=0.6, color="rgba(60,80,110,0.35)"))]
    # An invisible grid over the map: a contour click yields no selection, a scatter point does. Plotly finds
    # the clicked point from the data, not from the drawn markers, so it draws just one (`maxdisplayed`)
    # rather than 576 that nobody sees: a cheaper redraw.
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    traces.append(dict(type="scatter", x=_round(gx.ravel(), 3), y=_round(gy.ravel(), 3), mode="markers",
                       marker=dict(size=16, color="rgba(0,0,0,0)", maxdisplayed=1), showlegend=False,
                       name="click-grid",
                       hovertemplate=text["click_hint"] + "<extra></extra>",
                       selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0))))
    minima, saddles = marked_points(surface)
    if minima:
        mx, my = zip(*minima, strict=True)
        traces.append(dict(type="scatter", x=list(mx), y=list(my), mode="markers", name=text["minimum"],
                           hoverinfo="name", marker=dict(symbol="star", size=lk.marker + 8, color="#FFD700",
                                                         line=dict(color="black", width=1.5))))
    if saddles:
        sx, sy = zip(*saddles, strict=True)
        traces.append(dict(type="scatter", x=list(sx), y=list(sy), mode="markers", name=text["saddle"],
                           hoverinfo="name", marker=dict(symbol="x-thin", size=lk.marker + 6,
                                                         line=dict(color="black", width=3))))
    if len(_BASE_CACHE) > 32:
        _BASE_CACHE.pop(next(iter(_BASE_CACHE)))
    _BASE_CACHE[key] = (surface, traces)
    return traces


def contour_figure(surface, xy: np.ndarray, styles: list[PathStyle], step: int, *, presenter: bool,
                   text: dict[str, str], overlays: list[dict] | None = None,
                   start: tuple[float, float] | None = None, lr_curve: np.ndarray | None = None,
                   loss: np.ndarray | None = None, log_y: bool = False,
                   diverged_at: np.ndarray | None = None) -> PrebuiltFigure:
    """The playground figure: the map, and beside it the loss by step, all animated by the same frames.

    Map: contour, minima ★ and saddles ×, faint full paths, animated trails and heads. xy is
    (n_paths, steps+1, 2), one start per optimizer; `step` is the inspected step (the frame it opens on);
    `overlays` are arrows, boxes and axes for that step (`step_overlays`, `eigen_axes`).
    loss (n_paths, steps+1): a panel right of the map with a marker per path that moves with the heads.
    lr_curve: the LR multiplier per step, in a panel whose marker moves too, so the path visibly calms
    as the LR decays. One figure rather than three: one chart to draw per change, one clock for all.
    """
    lk = theme.look(presenter)
    steps = xy.shape[1] - 1
    (x0, x1), (y0, y1) = surface.bounds
    data = list(map_base(surface, presenter, text))
    if start is not None:
        data.append(dict(type="scatter", x=[start[0]], y=[start[1]], mode="markers", name=text["start"],
                         hoverinfo="name", marker=dict(symbol="circle-open", size=lk.marker + 6,
                                                       line=dict(color="black", width=2))))
    for path, style in zip(xy, styles, strict=True):
        data.append(dict(type="scatter", x=_round(path[:, 0], 4), y=_round(path[:, 1], 4), mode="lines",
                         name=style.label, line=dict(color=style.colour, width=lk.line, dash=style.dash),
                         opacity=0.45, hoverinfo="skip"))
    if loss is not None:
        data.extend(_loss_traces(loss, styles, diverged_at, lk, text, log_y))
    if lr_curve is not None:
        data.append(dict(type="scatter", x=list(range(len(lr_curve))), y=_round(lr_curve, 6), mode="lines",
                         xaxis="x2", yaxis="y2", name=text["lr_multiplier"], showlegend=False,
                         line=dict(color="#444", width=lk.line), hovertemplate="t=%{x}: ×%{y:.4g}<extra></extra>"))
    first_moving = len(data)
    data.extend(_moving_traces(xy, step, styles, lk, loss, lr_curve))
    moving = list(range(first_moving, len(data)))
    shown = frame_steps(steps, keep=step)
    annotations, shapes = _overlay_shapes(overlays or [], lk)
    map_width = 0.56 if loss is not None else 1.0
    layout = dict(
        height=820 if presenter else 640, margin=MAP_MARGINS[presenter],
        template=theme.template(), font=dict(size=lk.font),
        xaxis=dict(range=[x0, x1], domain=[0, map_width], title=dict(text="x", font=dict(size=lk.font)),
                   constrain="domain"),
        yaxis=dict(range=[y0, y1], title=dict(text="y", font=dict(size=lk.font))),
        clickmode="event+select", dragmode="pan", hovermode="closest", uirevision=surface.name,
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(size=lk.font)),
        annotations=annotations, shapes=shapes, **_player(shown, step, text, lk, width=map_width),
    )
    side = [map_width + 0.09, 1.0]
    if loss is not None:
        layout["xaxis3"] = dict(anchor="y3", domain=side, range=[0, steps],
                                title=dict(text=text["step"], font=dict(size=lk.font)))
        layout["yaxis3"] = dict(anchor="x3", domain=[0.36, 1.0] if lr_curve is not None else [0.0, 1.0],
                                type="log" if log_y else "linear",
                                title=dict(text=text["loss"], font=dict(size=lk.font)))
        shapes.append(dict(type="line", x0=step, x1=step, y0=0, y1=1, xref="x3", yref="y3 domain",
                           line=dict(color="#444", width=1.5, dash="dot")))
    if lr_curve is not None:
        lr_domain = dict(x=side, y=[0.0, 0.24]) if loss is not None else dict(x=[0, 1], y=[0, 0.2])
        if loss is None:  # the map keeps the top, the LR panel sits between it and the player
            layout["height"] += 170
            layout["yaxis"]["domain"] = [0.3, 1.0]
        layout["xaxis2"] = dict(anchor="y2", domain=lr_domain["x"], range=[0, max(len(lr_curve) - 1, 1)],
                                showgrid=False)
        layout["yaxis2"] = dict(anchor="x2", domain=lr_domain["y"], rangemode="tozero",
                                title=dict(text=text["lr_multiplier"], font=dict(size=lk.font - 2)))
    # a frame only moves points: x and y are merged into the traces' existing style
    frames = [dict(name=str(s), traces=moving,
                   data=[dict(x=d["x"], y=d["y"]) for d in _moving_traces(xy, int(s), styles, lk, loss, lr_curve)])
              for s in shown]
    return PrebuiltFigure(dict(data=data, layout=layout, frames=frames))


def _loss_traces(loss: np.ndarray, styles: list[PathStyle], diverged_at: np.ndarray | None, lk: theme.Look,
                 text: dict[str, str], log_y: bool) -> list[dict]:
    """Loss against step per path on the side panel (x3/y3), with ✕ where a path diverged."""
    traces = []
    steps = list(range(loss.shape[1]))
    stops = diverged_at if diverged_at is not None else np.full(len(loss), -1)
    for values, stop, style in zip(loss, stops, styles, strict=True):
        shown = values.astype(float).copy()
        if stop >= 0:
            shown[stop + 1:] = np.nan
        if log_y:
            shown = np.where(shown > 0, shown, np.nan)
        traces.append(dict(type="scatter", x=steps, y=_round(shown, 8), mode="lines", xaxis="x3", yaxis="y3",
                           name=style.label, showlegend=False, line=dict(color=style.colour, width=lk.line,
                                                                         dash=style.dash),
                           hovertemplate=f"{style.label}<br>{text['step']} %{{x}}: %{{y:.4g}}<extra></extra>"))
        if stop >= 0:
            traces.append(dict(type="scatter", x=[int(stop)], y=_round(shown[stop:stop + 1], 8), mode="markers",
                               xaxis="x3", yaxis="y3", showlegend=False,
                               hovertemplate=text["diverged"] + "<extra></extra>",
                               marker=dict(symbol="x", size=lk.marker + 4, color=style.colour)))
    return traces


def _overlay_shapes(overlays: list[dict], lk: theme.Look) -> tuple[list[dict], list[dict]]:
    """Arrows become annotations; boxes and curvature axes become shapes (all on the map's axes)."""
    annotations, shapes = [], []
    for overlay in overlays:
        if overlay["type"] == "line":
            shapes.append(dict(type="line", x0=overlay["x0"], y0=overlay["y0"], x1=overlay["x1"], y1=overlay["y1"],
                               line=dict(color=overlay["colour"], width=lk.arrow + 1, dash=overlay["dash"])))
        elif overlay["type"] == "arrow":
            annotations.append(dict(x=overlay["x1"], y=overlay["y1"], ax=overlay["x0"], ay=overlay["y0"], xref="x",
                                    yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.2,
                                    arrowwidth=lk.arrow, arrowcolor=overlay["colour"], text="", opacity=0.95))
        else:
            shapes.append(dict(type="rect", x0=overlay["x0"], x1=overlay["x1"], y0=overlay["y0"], y1=overlay["y1"],
                               line=dict(color=overlay["colour"], width=lk.arrow, dash="dot"),
                               fillcolor=overlay["colour"], opacity=0.18))
    return annotations, shapes


def _player(shown: np.ndarray, step: int, text: dict[str, str], lk: theme.Look, width: float = 1.0) -> dict:
    """Play / pause / speed buttons and a step scrubber, all client-side."""

    def play(ms: int) -> dict:
        return dict(frame=dict(duration=ms, redraw=False), transition=dict(duration=0), fromcurrent=True,
                    mode="immediate")

    # Play restarts from step 0; the speed buttons continue from where the animation is.
    restart = dict(play(60), fromcurrent=False)
    buttons = [dict(label="▶ " + text["play"], method="animate", args=[None, restart]),
               dict(label="❚❚ " + text["pause"], method="animate",
                    args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])]
    buttons += [dict(label=label, method="animate", args=[None, play(ms)]) for label, ms in SPEEDS]
    active = int(np.searchsorted(shown, step, side="right") - 1)
    return dict(
        updatemenus=[dict(type="buttons", direction="right", showactive=False, x=0, y=-0.1, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=4), buttons=buttons, font=dict(size=lk.font))],
        sliders=[dict(active=max(active, 0), x=0, len=width, y=-0.19, yanchor="top", pad=dict(t=0),
                      currentvalue=dict(prefix=text["step"] + " ", font=dict(size=lk.font)),
                      transition=dict(duration=0), font=dict(size=max(lk.font - 4, 9)),
                      steps=[dict(method="animate", label=str(s),
                                  args=[[str(s)], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                                       transition=dict(duration=0))])
                             for s in shown])],
    )


def step_overlays(xy_now: np.ndarray, grad: np.ndarray, momentum: np.ndarray, second: np.ndarray,
                  colours: list[str], span: float) -> list[dict]:
    """Arrows for −gradient and −momentum and a box for √v at the inspected step, one set per path.

    All paths share one scale per kind, so arrow lengths compare across optimizers: the longest
    −gradient arrow is 15% of the view, likewise the longest −momentum arrow; the widest √v box is 16%.
    """
    overlays: list[dict] = []

    def scale(vectors: np.ndarray, fraction: float) -> float:
        norms = np.linalg.norm(np.nan_to_num(vectors), axis=-1)
        top = norms.max() if norms.size else 0.0
        return fraction * span / top if top > 0 else 0.0

    g_scale, m_scale = scale(grad, 0.15), scale(momentum, 0.15)
    root_v = np.sqrt(np.abs(second))
    v_top = np.nanmax(root_v) if np.isfinite(root_v).any() else 0.0
    v_scale = 0.08 * span / v_top if v_top > 0 else 0.0
    for i, colour in enumerate(colours):
        x, y = xy_now[i]
        if not np.all(np.isfinite(xy_now[i])):
            continue
        for vector, factor, kind in ((grad[i], g_scale, "grad"), (momentum[i], m_scale, "momentum")):
            if factor > 0 and np.all(np.isfinite(vector)) and np.any(vector != 0):
                overlays.append(dict(type="arrow", kind=kind, x0=x, y0=y, x1=x - factor * vector[0],
                                     y1=y - factor * vector[1], colour=colour if kind == "grad" else "#222222"))
        if v_scale > 0 and np.all(np.isfinite(root_v[i])):
            hx, hy = v_scale * root_v[i]
            overlays.append(dict(type="box", x0=x - hx, x1=x + hx, y0=y - hy, y1=y + hy, colour=colour))
    return overlays


def eigen_axes(xy_now: np.ndarray, values: np.ndarray, vectors: np.ndarray, colours: list[str],
               half_length: float) -> list[dict]:
    """Short axes along the Hessian's eigenvectors at each point: solid where the surface curves up (λ > 0),
    dotted where it curves down (λ < 0), longer for the larger |λ| of the two."""
    overlays = []
    for i, colour in enumerate(colours):
        if not (np.all(np.isfinite(xy_now[i])) and np.all(np.isfinite(values[i]))):
            continue
        top = max(abs(values[i]).max(), 1e-12)
        for k in range(2):
            length = half_length * (0.4 + 0.6 * abs(values[i, k]) / top)
            dx, dy = length * vectors[i, :, k]
            overlays.append(dict(type="line", x0=xy_now[i, 0] - dx, y0=xy_now[i, 1] - dy, x1=xy_now[i, 0] + dx,
                                 y1=xy_now[i, 1] + dy, colour=colour, dash="solid" if values[i, k] > 0 else "dot"))
    return overlays


def curvature_figure(lam_min: np.ndarray, lam_max: np.ndarray, styles: list[PathStyle], step: int, *,
                     presenter: bool, text: dict[str, str]) -> PrebuiltFigure:
    """λ_max (solid) and λ_min (dotted) of the Hessian along each path: a ravine shows as a large λ_max
    beside a small λ_min, a saddle as λ_min < 0."""
    lk = theme.look(presenter)
    steps = list(range(lam_min.shape[1]))
    data = []
    for low, high, style in zip(lam_min, lam_max, styles, strict=True):
        data.append(dict(type="scatter", x=steps, y=_round(high, 5), mode="lines", name=f"{style.label} λ_max",
                         line=dict(color=style.colour, width=lk.line)))
        data.append(dict(type="scatter", x=steps, y=_round(low, 5), mode="lines", name=f"{style.label} λ_min",
                         line=dict(color=style.colour, width=lk.line, dash="dot")))
    axis_font = dict(size=lk.font)
    layout = dict(height=380 if presenter else 280, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=lk.font),
                  template=theme.template(), hovermode="x unified", legend=dict(orientation="h", y=1.02),
                  xaxis=dict(title=dict(text=text["step"], font=axis_font)),
                  yaxis=dict(title=dict(text="λ", font=axis_font), zeroline=True, zerolinewidth=2),
                  shapes=[dict(type="line", x0=step, x1=step, y0=0, y1=1, yref="paper",
                               line=dict(color="#444", width=1.5, dash="dot"))])
    return PrebuiltFigure(dict(data=data, layout=layout))


def surface_3d_figure(surface, xy: np.ndarray, loss: np.ndarray, styles: list[PathStyle], step: int, *,
                      presenter: bool, text: dict[str, str]) -> go.Figure:
    """The same paths lifted onto the surface; heights use the contour's (possibly log) scale."""
    lk = theme.look(presenter)
    xs, ys, z = surface_grid(surface, n=70)
    fig = go.Figure(go.Surface(x=_round(xs, 4), y=_round(ys, 4), z=_round(z, 4), colorscale=theme.SURFACE_SCALE,
                               opacity=0.85, showscale=False, hoverinfo="skip"))
    floor = np.nanmin(z)
    with np.errstate(all="ignore"):
        if surface.log_levels:
            z_min = np.nanmin(surface.f(*np.meshgrid(np.linspace(*surface.bounds[0], 120),
                                                     np.linspace(*surface.bounds[1], 120))))
            heights = np.log10(loss - z_min + 1.0)
        else:
            heights = loss
    (x0, x1), (y0, y1) = surface.bounds
    for path, h, style in zip(xy, heights, styles, strict=True):
        inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
        shown_h = np.where(inside, np.maximum(h, floor), np.nan)
        fig.add_trace(go.Scatter3d(x=_round(path[:, 0]), y=_round(path[:, 1]), z=_round(shown_h), mode="lines",
                                   name=style.label, line=dict(color=style.colour, width=lk.line * 2)))
        if inside[step]:
            fig.add_trace(go.Scatter3d(x=[path[step, 0]], y=[path[step, 1]], z=[shown_h[step]], mode="markers",
                                       showlegend=False, marker=dict(color=style.colour, size=lk.marker // 2 + 3)))
    fig.update_layout(height=560 if presenter else 460, margin=dict(l=0, r=0, t=10, b=0), font=dict(size=lk.font),
                      template=theme.PLOTLY_TEMPLATE,
                      scene=dict(xaxis_title="x", yaxis_title="y", zaxis_title=text["height"],
                                 aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6)),
                      legend=dict(orientation="h", y=1.02), uirevision=surface.name)
    return fig
