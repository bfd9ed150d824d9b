"""The Playground's map: the surface, the paths and, beside them, the loss by step, in one Plotly figure
that animates client-side. No streamlit import: the page passes translated text in.

Every slider move redraws this figure (Streamlit remounts a chart whose spec changed and then draws it
a second time), so it is built for the browser to draw quickly
(tests/benchmarks/bench_page_latency.py):
- the surface is one bitmap pinned to the axes (`contour_image`), not a contour trace to trace again;
- all heads are one trace and all loss markers another, so a frame carries a trace per trail plus two;
- frames carry only the moving traces' x and y, with `redraw: False`;
- arrows are line shapes with arrow-head markers: a Plotly annotation arrow is laid out on its own;
- the margins are fixed, so Plotly never grows them and lays the figure out again.

The static layers are `map_base`, what moves and the player are `map_motion`, the arrows and axes at the
inspected step are `map_overlays`; this module puts them together with the loss and LR panels.
"""

from __future__ import annotations

import numpy as np

from app.shared import theme
from app.shared.plotting import PathStyle, PrebuiltFigure
from app.shared.simulation_cache import build_surface
from app.views.playground.map_base import map_base
from app.views.playground.map_motion import Motion, frame_steps, player
from app.views.playground.map_overlays import overlay_shapes

# The map's margins already hold its tick labels, legend and player. Plotly grows a margin that is too
# small for them and then draws the whole figure again.
MAP_MARGINS = {False: dict(l=64, r=24, t=48, b=164), True: dict(l=88, r=30, t=62, b=164)}  # by presenter
# A projector's first screen (1280×720) holds the step row and the whole figure, its player included.
MAP_HEIGHT = {False: 640, True: 520}


def contour_figure(
    surface_key: tuple[str, str | None, tuple[tuple[str, float], ...]],
    xy: np.ndarray,
    styles: list[PathStyle],
    step: int,
    *,
    presenter: bool,
    text: dict[str, str],
    overlays: list[dict] | None = None,
    start: tuple[float, float] | None = None,
    lr_curve: np.ndarray | None = None,
    loss: np.ndarray | None = None,
    log_y: bool = False,
    diverged_at: np.ndarray | None = None,
) -> PrebuiltFigure:
    """The playground figure: the map, and beside it the loss by step, all animated by the same frames.

    surface_key: the surface's (name, formula, parameters), as `build_surface` takes them.
    Map: the surface's contour picture, minima ★ and saddles ×, faint full paths, animated trails and
    heads. xy is (n_paths, steps+1, 2), one start per optimizer; `step` is the inspected step (the frame
    it opens on); `overlays` are arrows, boxes and axes for that step (`step_overlays`, `eigen_axes`).
    loss (n_paths, steps+1): a panel right of the map with a marker per path that moves with the heads.
    lr_curve: the LR multiplier per step, in a panel whose marker moves too, so the path visibly calms
    as the LR decays. One figure rather than three: one chart to draw per change, one clock for all.
    """
    lk = theme.look(presenter)
    surface = build_surface(*surface_key)
    steps = xy.shape[1] - 1
    (x0, x1), (y0, y1) = surface.bounds
    image, base = map_base(surface_key, presenter, text["click_hint"], text["minimum"], text["saddle"])
    data = list(base)
    if start is not None:
        data.append(
            dict(
                type="scatter",
                x=[start[0]],
                y=[start[1]],
                mode="markers",
                name=text["start"],
                hoverinfo="name",
                marker=dict(
                    symbol="circle-open", size=lk.marker + 6, color="black", line=dict(color="black", width=2)
                ),
            )
        )
    motion = Motion(xy, loss, lr_curve)
    loss_traces = _loss_traces(motion.loss, styles, diverged_at, lk, text, log_y) if motion.loss else []
    motion.loss_span = _span(loss_traces)
    for x, y, style in zip(motion.x, motion.y, styles, strict=True):
        data.append(
            dict(
                type="scatter",
                x=x,
                y=y,
                mode="lines",
                name=style.label,
                opacity=0.45,
                hoverinfo="skip",
                line=dict(color=style.colour, width=lk.line, dash=style.dash),
            )
        )
    data.extend(loss_traces)
    if lr_curve is not None:
        data.append(
            dict(
                type="scatter",
                x=list(range(len(lr_curve))),
                y=motion.lr,
                mode="lines",
                xaxis="x2",
                yaxis="y2",
                name=text["lr_multiplier"],
                showlegend=False,
                line=dict(color="#444", width=lk.line),
                hovertemplate="t=%{x}: ×%{y:.4g}<extra></extra>",
            )
        )
    shapes, arrow_heads = overlay_shapes(overlays or [], lk)
    data.extend(arrow_heads)
    first_moving = len(data)
    data.extend(motion.traces(step, styles, lk))
    moving = list(range(first_moving, len(data)))
    shown = frame_steps(steps, keep=step)
    map_width = 0.56 if loss is not None else 1.0
    no_grid = dict(showgrid=False, zeroline=False)  # the picture fills the map
    layout = dict(
        height=MAP_HEIGHT[presenter],
        margin=MAP_MARGINS[presenter],
        template=theme.template(),
        font=dict(size=lk.font),
        images=[image],
        xaxis=dict(
            range=[x0, x1],
            domain=[0, map_width],
            title=dict(text="x", font=dict(size=lk.font)),
            constrain="domain",
            **no_grid,
        ),
        yaxis=dict(range=[y0, y1], title=dict(text="y", font=dict(size=lk.font)), **no_grid),
        clickmode="event+select",
        dragmode="pan",
        hovermode="closest",
        uirevision=surface.name,
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(size=lk.font)),
        shapes=shapes,
        **player(shown, step, text, lk, width=map_width),
    )
    side = [map_width + 0.09, 1.0]
    if loss is not None:
        layout["xaxis3"] = dict(
            anchor="y3", domain=side, range=[0, steps], title=dict(text=text["step"], font=dict(size=lk.font))
        )
        layout["yaxis3"] = dict(
            anchor="x3",
            domain=[0.36, 1.0] if lr_curve is not None else [0.0, 1.0],
            type="log" if log_y else "linear",
            title=dict(text=text["loss"], font=dict(size=lk.font)),
        )
    if lr_curve is not None:
        lr_domain = dict(x=side, y=[0.0, 0.24]) if loss is not None else dict(x=[0, 1], y=[0, 0.2])
        if loss is None:  # the map keeps the top, the LR panel sits between it and the player
            layout["height"] += 170
            layout["yaxis"]["domain"] = [0.3, 1.0]
        layout["xaxis2"] = dict(
            anchor="y2", domain=lr_domain["x"], range=[0, max(len(lr_curve) - 1, 1)], showgrid=False
        )
        layout["yaxis2"] = dict(
            anchor="x2",
            domain=lr_domain["y"],
            rangemode="tozero",
            title=dict(text=text["lr_multiplier"], font=dict(size=lk.font - 2)),
        )
    # a frame only moves points: x and y are merged into the traces' existing style
    frames = [dict(name=str(s), traces=moving, data=motion.at(int(s))) for s in shown]
    return PrebuiltFigure(dict(data=data, layout=layout, frames=frames))


def _span(loss_traces: list[dict]) -> list[float]:
    """The lowest and highest value the loss panel draws (its autorange covers them)."""
    values = [v for trace in loss_traces if trace["mode"] == "lines" for v in trace["y"] if v is not None]
    return [min(values), max(values)] if values else [0.0, 1.0]


def _loss_traces(
    loss: list[list],
    styles: list[PathStyle],
    diverged_at: np.ndarray | None,
    lk: theme.Look,
    text: dict[str, str],
    log_y: bool,
) -> list[dict]:
    """Loss against step per path on the side panel (x3/y3), with ✕ where a path diverged."""
    traces = []
    steps = list(range(len(loss[0])))
    stops = diverged_at if diverged_at is not None else np.full(len(loss), -1)
    for values, stop, style in zip(loss, stops, styles, strict=True):
        shown = list(values)
        if stop >= 0:
            shown[stop + 1 :] = [None] * (len(shown) - stop - 1)
        if log_y:
            shown = [v if v is not None and v > 0 else None for v in shown]
        traces.append(
            dict(
                type="scatter",
                x=steps,
                y=shown,
                mode="lines",
                xaxis="x3",
                yaxis="y3",
                name=style.label,
                showlegend=False,
                line=dict(color=style.colour, width=lk.line, dash=style.dash),
                hovertemplate=f"{style.label}<br>{text['step']} %{{x}}: %{{y:.4g}}<extra></extra>",
            )
        )
        if stop >= 0:
            traces.append(
                dict(
                    type="scatter",
                    x=[int(stop)],
                    y=shown[stop : stop + 1],
                    mode="markers",
                    xaxis="x3",
                    yaxis="y3",
                    showlegend=False,
                    hovertemplate=text["diverged"] + "<extra></extra>",
                    marker=dict(symbol="x", size=lk.marker + 4, color=style.colour),
                )
            )
    return traces
