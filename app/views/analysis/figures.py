"""Figures of the Analysis page (no streamlit here: the page passes translated text in).

basin_figure: the surface and its basin-of-attraction map side by side on the same axes.
sweep_figure: a metric against log-LR per optimizer, a band for the spread over runs.
The readouts beside them (stability band, LR window, critical points) are computed in model.py.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.shared import plotting, theme
from optim_core.analysis import DIVERGED, STILL_MOVING, BasinMap, Sweep

# Basin colours: Paul Tol's "bright" set, distinct from each other and readable on a projector. They
# repeat beyond eight minima (Rastrigin has 121); the legend then lists the eight largest basins.
BASIN_COLOURS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#EE7733", "#009988")
STILL_MOVING_COLOUR = "#BBBBBB"
DIVERGED_COLOUR = "#111111"
LEGEND_MINIMA = 8
MANY_MINIMA = 12  # beyond this many minima the stars are drawn small
OTHER_MINIMA = "rgba(0,0,0,0)"  # the legend's "other minima" swatch is hollow: their colours repeat the above
LOSS_FLOOR = 1e-16  # a loss gap below this is shown on it: a log axis cannot show 0


def basin_colour(index: int) -> str:
    return BASIN_COLOURS[index % len(BASIN_COLOURS)]


def class_colours(n_minima: int) -> list[str]:
    """Colour of each heatmap code: 0 diverged, 1 still moving, 2 + k minimum k."""
    return [DIVERGED_COLOUR, STILL_MOVING_COLOUR, *(basin_colour(k) for k in range(n_minima))]


def basin_codes(labels: np.ndarray) -> np.ndarray:
    """Labels (−2 diverged, −1 still moving, k ≥ 0 a minimum) as heatmap codes 0, 1, 2 + k."""
    return np.where(labels == DIVERGED, 0, np.where(labels == STILL_MOVING, 1, labels + 2))


def _discrete_scale(colours: list[str]) -> list[list]:
    """A stepwise colour scale: code i (with zmin = −0.5, zmax = len − 0.5) gets colours[i] exactly."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def legend_rows(basins: BasinMap, text: dict[str, str]) -> list[tuple[str, str, int]]:
    """(label, colour, count) per outcome for the legend: the largest basins first (at most
    LEGEND_MINIMA, the rest summed into one row), then still moving and diverged where they occur."""
    counts = basins.counts()
    total = basins.labels.size
    minima = sorted(range(len(basins.minima)), key=lambda k: (-counts[k], k))
    shown = [k for k in minima if counts[k] > 0][:LEGEND_MINIMA]
    rows = []
    for k in shown:
        x, y = basins.minima[k]
        rows.append((text["minimum_n"].format(n=k + 1, x=x, y=y), basin_colour(k), counts[k]))
    rest = sum(counts[k] for k in minima if k not in shown)
    if rest:
        rows.append((text["other_minima"], OTHER_MINIMA, rest))
    for label, key, colour in (
        (STILL_MOVING, "still_moving", STILL_MOVING_COLOUR),
        (DIVERGED, "diverged", DIVERGED_COLOUR),
    ):
        if counts[label]:
            rows.append((text[key], colour, counts[label]))
    return [(f"{name}: {count} ({100 * count / total:.1f}%)", colour, count) for name, colour, count in rows]


def basin_figure(surface, basins: BasinMap, *, presenter: bool, text: dict[str, str]) -> go.Figure:
    """Left: the surface's contour; right: the basin map (each start coloured by the minimum it reached,
    grey still moving, black diverged). Both panels share their axes; minima are ★ in their basin's colour."""
    lk = theme.look(presenter)
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=(text["surface_panel"], text["basin_panel"]),
    )
    xs, ys, z = (_rounded(a) for a in plotting.surface_grid(surface))
    fig.add_trace(
        go.Contour(
            x=xs,
            y=ys,
            z=z,
            colorscale=theme.CONTOUR_SCALE,
            ncontours=28,
            showscale=False,
            hoverinfo="skip",
            showlegend=False,
            contours=dict(coloring="fill", showlines=True),
            line=dict(width=0.6, color="rgba(60,80,110,0.35)"),
        ),
        row=1,
        col=1,
    )
    codes = basin_codes(basins.labels)
    colours = class_colours(len(basins.minima))
    names = [
        text["diverged"],
        text["still_moving"],
        *(text["minimum_short"].format(n=k + 1) for k in range(len(basins.minima))),
    ]
    hover = np.array(names, dtype=object)[codes]
    fig.add_trace(
        go.Heatmap(
            x=_rounded(basins.xs),
            y=_rounded(basins.ys),
            z=codes.tolist(),
            zmin=-0.5,
            zmax=len(colours) - 0.5,
            colorscale=_discrete_scale(colours),
            showscale=False,
            text=hover.tolist(),
            name="basins",
            hovertemplate="(%{x:.3g}, %{y:.3g}) → %{text}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    # faint contour lines over the basins: where the basin borders run along the landscape's ridges
    lx, ly, lz = (_rounded(a) for a in plotting.surface_grid(surface, n=60))
    fig.add_trace(
        go.Contour(
            x=lx,
            y=ly,
            z=lz,
            ncontours=16,
            showscale=False,
            hoverinfo="skip",
            showlegend=False,
            contours=dict(coloring="none"),
            line=dict(width=0.7, color="rgba(255,255,255,0.55)"),
        ),
        row=1,
        col=2,
    )
    if basins.minima:
        mx, my = zip(*basins.minima, strict=True)
        # on the contour a black rim, on the basin map (where the star sits on its own colour) a white one;
        # smaller stars where there are many minima (Rastrigin's 121 would cover the map)
        size, rim_width = (lk.marker + 10, 2) if len(mx) <= MANY_MINIMA else (max(lk.marker - 3, 7), 1)
        for col, rim in ((1, "black"), (2, "white")):
            star = dict(
                symbol="star",
                size=size,
                color=[basin_colour(k) for k in range(len(mx))],
                line=dict(color=rim, width=rim_width),
            )
            fig.add_trace(
                go.Scatter(
                    x=mx,
                    y=my,
                    mode="markers",
                    marker=star,
                    showlegend=False,
                    text=[names[k + 2] for k in range(len(mx))],
                    hovertemplate="★ %{text} (%{x:.3f}, %{y:.3f})<extra></extra>",
                ),
                row=1,
                col=col,
            )
    for label, colour, _ in legend_rows(basins, text):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=label,
                showlegend=True,
                marker=dict(
                    symbol="square", size=lk.marker + 4, color=colour, line=dict(color="#444", width=1)
                ),
            )
        )
    (x0, x1), (y0, y1) = surface.bounds
    fig.update_xaxes(range=[x0, x1], title_text="x", title_font=dict(size=lk.font), constrain="domain")
    fig.update_xaxes(matches="x", row=1, col=2)
    fig.update_yaxes(range=[y0, y1], title_text="y", title_font=dict(size=lk.font), row=1, col=1)
    fig.update_annotations(font=dict(size=lk.title_font))
    fig.update_layout(
        height=680 if presenter else 520,
        template=theme.PLOTLY_TEMPLATE,
        font=dict(size=lk.font),
        margin=dict(l=10, r=10, t=40, b=10),
        hovermode="closest",
        dragmode="pan",
        legend=dict(
            orientation="h", yanchor="top", y=-0.1 if presenter else -0.12, x=0, font=dict(size=lk.font)
        ),
        uirevision=surface.name,
    )
    return fig


def _cap(values: np.ndarray, top: float, log_y: bool) -> np.ndarray:
    """Plotted values: +inf on the cap line (diverged or never), tiny or negative gaps on the floor."""
    shown = np.where(np.isinf(values), top, values)
    return np.maximum(shown, LOSS_FLOOR) if log_y else shown


def sweep_figure(
    sweep: Sweep,
    labels: list[str],
    *,
    presenter: bool,
    text: dict[str, str],
    log_y: bool,
    stability: tuple[float, float] | None = None,
    picked: tuple[str, float] | None = None,
) -> go.Figure:
    """Median of the metric against the LR, one colour per optimizer, a band from the low to the high
    percentile over the runs, ✕ on the top line where the median diverged (or never reached tol).
    Every median point carries customdata [name, lr], so a click tells the page which run it was."""
    lk = theme.look(presenter)
    finite = np.concatenate([a[np.isfinite(a)] for a in (sweep.low, sweep.median, sweep.high)])
    if sweep.metric == "steps_to_tol":
        top = sweep.steps * 1.08
    elif log_y:
        positive = finite[finite > LOSS_FLOOR]
        top = float(positive.max()) * 30 if positive.size else 1.0
    else:
        span = float(finite.max() - finite.min()) if finite.size else 1.0
        top = (float(finite.max()) if finite.size else 1.0) + 0.15 * max(span, 1e-12)
    positive = finite[finite > 0]
    # the y span in decades (log axis): rows of ✕ are spaced by a fixed share of it
    decades = max(np.log10(top / max(positive.min(), LOSS_FLOOR)), 1.0) if log_y and positive.size else 1.0
    fig = go.Figure()
    lrs = sweep.lrs.tolist()
    for i, (name, label) in enumerate(zip(sweep.names, labels, strict=True)):
        colour = theme.optimizer_colour(name)
        group = f"opt{i}"
        fig.add_trace(
            go.Scatter(
                x=lrs,
                y=_cap(sweep.high[i], top, log_y),
                mode="lines",
                line=dict(width=0),
                legendgroup=group,
                showlegend=False,
                hoverinfo="skip",
                name=f"{label} high",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=lrs,
                y=_cap(sweep.low[i], top, log_y),
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor=_rgba(colour, 0.18),
                legendgroup=group,
                showlegend=False,
                hoverinfo="skip",
                name=f"{label} band",
            )
        )
        median = sweep.median[i]
        shown = np.where(np.isfinite(median), _cap(median, top, log_y), np.nan)
        fig.add_trace(
            go.Scatter(
                x=lrs,
                y=[v if np.isfinite(v) else None for v in shown],
                mode="lines+markers",
                name=label,
                legendgroup=group,
                line=dict(color=colour, width=lk.line),
                marker=dict(size=lk.marker - 3, color=colour),
                customdata=[[name, lr] for lr in lrs],
                hovertemplate=f"{label}<br>lr = %{{x:.3g}}<br>{text['median']} = %{{y:.3g}}"
                f"<br>{text['click']}<extra></extra>",
            )
        )
        bad = ~np.isfinite(median)
        if bad.any():
            # one row of ✕ per optimizer above the cap line, so the rows of different optimizers do
            # not hide each other
            row = top * 10 ** ((i + 1) * 0.05 * decades) if log_y else top + (i + 1) * 0.05 * abs(top) + 1e-12
            fig.add_trace(
                go.Scatter(
                    x=sweep.lrs[bad].tolist(),
                    y=[row] * int(bad.sum()),
                    mode="markers",
                    legendgroup=group,
                    showlegend=False,
                    name=f"{label} {text['never']}",
                    marker=dict(symbol="x-thin", size=lk.marker, line=dict(color=colour, width=2.5)),
                    hovertemplate=f"{label}<br>lr = %{{x:.3g}}<br>{text['never']}<extra></extra>",
                )
            )
    if stability is not None:
        low, high = stability
        if high / low < 1.05:
            fig.add_vline(x=low, line=dict(color="#333", width=2, dash="dash"))
        else:
            fig.add_vrect(x0=low, x1=high, fillcolor="#333", opacity=0.08, line_width=0)
        fig.add_annotation(
            x=np.log10(high),
            y=0.02,
            xref="x",
            yref="paper",
            text=text["stability"],
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font=dict(size=lk.font - 1, color="#333"),
            bgcolor="rgba(255,255,255,0.8)",
        )
    if picked is not None and picked[0] in sweep.names:
        i = sweep.names.index(picked[0])
        k = int(np.argmin(np.abs(np.log(sweep.lrs) - np.log(picked[1]))))
        if np.isfinite(sweep.median[i, k]):
            fig.add_trace(
                go.Scatter(
                    x=[lrs[k]],
                    y=[float(_cap(sweep.median[i, k : k + 1], top, log_y)[0])],
                    mode="markers",
                    showlegend=False,
                    hoverinfo="skip",
                    name="picked",
                    marker=dict(symbol="circle-open", size=lk.marker + 12, line=dict(color="black", width=3)),
                )
            )
    y_title = text["y_steps"] if sweep.metric == "steps_to_tol" else text["y_loss"]
    y_range = None
    if sweep.metric == "steps_to_tol":  # steps start at 0; the ✕ rows sit above the step budget
        y_range = [0, top + (len(sweep.names) + 1) * 0.05 * top]
    fig.update_layout(
        height=560 if presenter else 440,
        template=theme.PLOTLY_TEMPLATE,
        font=dict(size=lk.font),
        margin=dict(l=10, r=10, t=30, b=10),
        hovermode="closest",
        clickmode="event+select",
        dragmode="zoom",
        xaxis=dict(
            type="log", title=text["x_lr"], title_font=dict(size=lk.font), exponentformat="power", dtick=1
        ),
        yaxis=dict(
            type="log" if log_y else "linear",
            title=y_title,
            title_font=dict(size=lk.font),
            exponentformat="power",
            range=y_range,
        ),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(size=lk.font)),
    )
    return fig


def _rounded(values: np.ndarray) -> list:
    return plotting.rounded(values, 4)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
