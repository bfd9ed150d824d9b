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
"""

from __future__ import annotations

import numpy as np

from app.shared import theme
from app.shared.contour_image import contour_png
from app.shared.plotting import PathStyle, PrebuiltFigure, rounded

MAX_FRAMES = 60  # more frames than this are subsampled: the payload stays small, playback smooth
# The player's scrubber: each of its steps is a tick and a label that Plotly lays out on every redraw, so
# it offers every third frame or so; playing still shows every frame.
MAX_SCRUB_STEPS = 21
TRAIL = 15  # how many past steps the animated trail shows
CLICK_GRID = 24  # the invisible scatter grid that turns a click on the map into a start point
CLICK_TRACE = 0  # its index among the figure's traces (a click reports the trace it hit by index)
SPEEDS = (("0.5×", 120), ("1×", 60), ("2×", 30), ("4×", 12))  # label, ms per frame
# The map's margins already hold its tick labels, legend and player. Plotly grows a margin that is too
# small for them and then draws the whole figure again.
MAP_MARGINS = {False: dict(l=64, r=24, t=48, b=164), True: dict(l=88, r=30, t=62, b=206)}  # by presenter
MAX_MARKS = 12  # Rastrigin has 121 minima and 220 saddles: beyond this, mark only the global minima


def frame_steps(steps: int, keep: int = 0) -> np.ndarray:
    """The steps that get an animation frame: all of them, or an even subsample that keeps the last step
    and `keep` (the inspected step, so the scrubber can show exactly it)."""
    if steps + 1 <= MAX_FRAMES:
        return np.arange(steps + 1)
    return np.union1d(np.linspace(0, steps, MAX_FRAMES).round().astype(int), [keep])


def scrub_steps(shown: np.ndarray, keep: int) -> list[int]:
    """The frames the scrubber offers: at most about MAX_SCRUB_STEPS evenly spaced ones, with the last
    frame and `keep` (the inspected step)."""
    stride = max(1, -(-(len(shown) - 1) // (MAX_SCRUB_STEPS - 1)))
    return sorted({*(int(s) for s in shown[::stride]), int(shown[-1]), int(keep)})


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


_BASE_CACHE: dict[tuple, tuple] = {}  # (id(surface), presenter, text) -> (surface, (image, traces))


def map_base(surface, presenter: bool, text: dict[str, str]) -> tuple[dict, list[dict]]:
    """The static layers of the map, cached per surface: the contour picture (a layout image), the click
    grid, and the minima and saddles.

    Plain dicts: they do not change when the optimizers do, so a slider change only rebuilds the paths.
    """
    key = (id(surface), presenter, tuple(sorted(text.items())))
    hit = _BASE_CACHE.get(key)
    if hit is not None and hit[0] is surface:  # the entry holds the surface, so its id stays unique
        return hit[1]
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
            hovertemplate=text["click_hint"] + "<extra></extra>",
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
                name=text["minimum"],
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
                name=text["saddle"],
                hoverinfo="name",
                marker=dict(symbol="x-thin", size=lk.marker + 6, line=dict(color="black", width=3)),
            )
        )
    if len(_BASE_CACHE) > 32:
        _BASE_CACHE.pop(next(iter(_BASE_CACHE)))
    _BASE_CACHE[key] = (surface, (image, traces))
    return image, traces


class _Motion:
    """What moves, as rounded lists made once: each frame then only slices them.

    At step s: each path's trail (its last TRAIL steps), one trace of all heads, one trace of the markers
    on the loss panel, and the LR marker. These are the only traces a frame carries.
    """

    def __init__(self, xy: np.ndarray, loss: np.ndarray | None, lr_curve: np.ndarray | None):
        self.x = [rounded(path[:, 0], 5) for path in xy]
        self.y = [rounded(path[:, 1], 5) for path in xy]
        self.loss = [rounded(values, 8) for values in loss] if loss is not None else None
        self.lr = rounded(lr_curve, 6) if lr_curve is not None else None

    def at(self, step: int) -> list[dict]:
        """x and y of every moving trace at `step`, in the order of `traces`."""
        lo = max(0, step - TRAIL)
        moving = [dict(x=x[lo : step + 1], y=y[lo : step + 1]) for x, y in zip(self.x, self.y, strict=True)]
        moving.append(dict(x=[x[step] for x in self.x], y=[y[step] for y in self.y]))
        if self.loss is not None:
            moving.append(dict(x=[step] * len(self.loss), y=[values[step] for values in self.loss]))
        if self.lr is not None:
            t = min(step, len(self.lr) - 1)  # the LR in effect for the step leaving this point
            moving.append(dict(x=[t], y=[self.lr[t]]))
        return moving

    def traces(self, step: int, styles: list[PathStyle], lk: theme.Look) -> list[dict]:
        """The moving traces, styled, at `step`."""
        colours, symbols = [s.colour for s in styles], [s.symbol for s in styles]
        labels = [s.label for s in styles]
        points = iter(self.at(step))
        traces = [
            dict(
                type="scatter",
                mode="lines",
                hoverinfo="skip",
                showlegend=False,
                meta="trail",
                **next(points),
                line=dict(color=style.colour, width=lk.line * 1.6, dash=style.dash),
            )
            for style in styles
        ]
        traces.append(
            dict(
                type="scatter",
                mode="markers",
                showlegend=False,
                meta="heads",
                text=labels,
                **next(points),
                marker=dict(
                    color=colours, size=lk.marker * 1.3, symbol=symbols, line=dict(color="white", width=2)
                ),
                hovertemplate="%{text}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
            )
        )
        if self.loss is not None:
            traces.append(
                dict(
                    type="scatter",
                    mode="markers",
                    xaxis="x3",
                    yaxis="y3",
                    showlegend=False,
                    hoverinfo="skip",
                    meta="loss-markers",
                    **next(points),
                    marker=dict(
                        color=colours, size=lk.marker, symbol=symbols, line=dict(color="white", width=1.5)
                    ),
                )
            )
        if self.lr is not None:
            traces.append(
                dict(
                    type="scatter",
                    mode="markers",
                    xaxis="x2",
                    yaxis="y2",
                    showlegend=False,
                    hoverinfo="skip",
                    meta="lr-marker",
                    **next(points),
                    marker=dict(color="#D55E00", size=lk.marker, line=dict(color="white", width=1.5)),
                )
            )
        return traces


def contour_figure(
    surface,
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

    Map: the surface's contour picture, minima ★ and saddles ×, faint full paths, animated trails and
    heads. xy is (n_paths, steps+1, 2), one start per optimizer; `step` is the inspected step (the frame
    it opens on); `overlays` are arrows, boxes and axes for that step (`step_overlays`, `eigen_axes`).
    loss (n_paths, steps+1): a panel right of the map with a marker per path that moves with the heads.
    lr_curve: the LR multiplier per step, in a panel whose marker moves too, so the path visibly calms
    as the LR decays. One figure rather than three: one chart to draw per change, one clock for all.
    """
    lk = theme.look(presenter)
    steps = xy.shape[1] - 1
    (x0, x1), (y0, y1) = surface.bounds
    image, base = map_base(surface, presenter, text)
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
    motion = _Motion(xy, loss, lr_curve)
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
    if loss is not None:
        data.extend(_loss_traces(motion.loss, styles, diverged_at, lk, text, log_y))
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
    shapes, arrow_heads = _overlay_shapes(overlays or [], lk)
    data.extend(arrow_heads)
    first_moving = len(data)
    data.extend(motion.traces(step, styles, lk))
    moving = list(range(first_moving, len(data)))
    shown = frame_steps(steps, keep=step)
    map_width = 0.56 if loss is not None else 1.0
    no_grid = dict(showgrid=False, zeroline=False)  # the picture fills the map
    layout = dict(
        height=820 if presenter else 640,
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
        **_player(shown, step, text, lk, width=map_width),
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
        shapes.append(
            dict(
                type="line",
                x0=step,
                x1=step,
                y0=0,
                y1=1,
                xref="x3",
                yref="y3 domain",
                line=dict(color="#444", width=1.5, dash="dot"),
            )
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


def _overlay_shapes(overlays: list[dict], lk: theme.Look) -> tuple[list[dict], list[dict]]:
    """Shapes for the overlays on the map's axes, plus one trace of arrow heads.

    An arrow is a line shape and an "arrow" marker at its tip, turned along the line (`angleref:
    previous` points it away from the invisible marker at the tail, in screen space).
    """
    shapes, heads = [], dict(x=[], y=[], color=[], size=[])
    for overlay in overlays:
        if overlay["type"] in ("line", "arrow"):
            dash = overlay.get("dash", "solid")
            shapes.append(
                dict(
                    type="line",
                    x0=overlay["x0"],
                    y0=overlay["y0"],
                    x1=overlay["x1"],
                    y1=overlay["y1"],
                    line=dict(
                        color=overlay["colour"], width=lk.arrow + (overlay["type"] == "line"), dash=dash
                    ),
                )
            )
        if overlay["type"] == "arrow":
            heads["x"] += [overlay["x0"], overlay["x1"]]
            heads["y"] += [overlay["y0"], overlay["y1"]]
            heads["color"] += [overlay["colour"]] * 2
            heads["size"] += [0, 4 * lk.arrow + 5]
        elif overlay["type"] == "box":
            shapes.append(
                dict(
                    type="rect",
                    x0=overlay["x0"],
                    x1=overlay["x1"],
                    y0=overlay["y0"],
                    y1=overlay["y1"],
                    line=dict(color=overlay["colour"], width=lk.arrow, dash="dot"),
                    fillcolor=overlay["colour"],
                    opacity=0.18,
                )
            )
    traces = []
    if heads["x"]:
        traces.append(
            dict(
                type="scatter",
                x=heads["x"],
                y=heads["y"],
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                meta="arrow-heads",
                marker=dict(
                    symbol="arrow",
                    angleref="previous",
                    size=heads["size"],
                    color=heads["color"],
                    line=dict(width=0),
                ),
            )
        )
    return shapes, traces


def _player(shown: np.ndarray, step: int, text: dict[str, str], lk: theme.Look, width: float = 1.0) -> dict:
    """Play / pause / speed buttons and a step scrubber, all client-side. `shown`: the steps with a frame."""

    def play(ms: int) -> dict:
        return dict(
            frame=dict(duration=ms, redraw=False),
            transition=dict(duration=0),
            fromcurrent=True,
            mode="immediate",
        )

    # Play restarts from step 0; the speed buttons continue from where the animation is.
    restart = dict(play(60), fromcurrent=False)
    buttons = [
        dict(label="▶ " + text["play"], method="animate", args=[None, restart]),
        dict(
            label="❚❚ " + text["pause"],
            method="animate",
            args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")],
        ),
    ]
    buttons += [dict(label=label, method="animate", args=[None, play(ms)]) for label, ms in SPEEDS]
    offered = scrub_steps(shown, step)
    active = int(np.searchsorted(offered, step, side="right") - 1)
    return dict(
        updatemenus=[
            dict(
                type="buttons",
                direction="right",
                showactive=False,
                x=0,
                y=-0.1,
                xanchor="left",
                yanchor="top",
                pad=dict(t=0, r=4),
                buttons=buttons,
                font=dict(size=lk.font),
            )
        ],
        sliders=[
            dict(
                active=max(active, 0),
                x=0,
                len=width,
                y=-0.19,
                yanchor="top",
                pad=dict(t=0),
                currentvalue=dict(prefix=text["step"] + " ", font=dict(size=lk.font)),
                transition=dict(duration=0),
                font=dict(size=max(lk.font - 4, 9)),
                steps=[
                    dict(
                        method="animate",
                        label=str(s),
                        args=[
                            [str(s)],
                            dict(
                                mode="immediate",
                                frame=dict(duration=0, redraw=False),
                                transition=dict(duration=0),
                            ),
                        ],
                    )
                    for s in offered
                ],
            )
        ],
    )


def step_overlays(
    xy_now: np.ndarray,
    grad: np.ndarray,
    momentum: np.ndarray,
    second: np.ndarray,
    colours: list[str],
    span: float,
) -> list[dict]:
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
                overlays.append(
                    dict(
                        type="arrow",
                        kind=kind,
                        x0=x,
                        y0=y,
                        x1=x - factor * vector[0],
                        y1=y - factor * vector[1],
                        colour=colour if kind == "grad" else "#222222",
                    )
                )
        if v_scale > 0 and np.all(np.isfinite(root_v[i])):
            hx, hy = v_scale * root_v[i]
            overlays.append(dict(type="box", x0=x - hx, x1=x + hx, y0=y - hy, y1=y + hy, colour=colour))
    return overlays


def eigen_axes(
    xy_now: np.ndarray, values: np.ndarray, vectors: np.ndarray, colours: list[str], half_length: float
) -> list[dict]:
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
            overlays.append(
                dict(
                    type="line",
                    x0=xy_now[i, 0] - dx,
                    y0=xy_now[i, 1] - dy,
                    x1=xy_now[i, 0] + dx,
                    y1=xy_now[i, 1] + dy,
                    colour=colour,
                    dash="solid" if values[i, k] > 0 else "dot",
                )
            )
    return overlays
