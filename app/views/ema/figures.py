"""Figures of the EMA page: the smoothed series, the weight kernel and Adam's moments (no streamlit here).
What they draw is computed in model.py.

The page passes translated text in; every trace carries a `meta` tag ("raw", "ema", "ema_hat", "sma",
"kernel", ...) so tests can find a trace whatever the language.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from app.shared import theme
from app.views.ema.model import Smoothed, sma_window
from optim_core.smoothing import bias_region, effective_window, ema_weights

# Okabe–Ito colours, one per role and the same on every chart of the page: raw data grey, the plain
# EMA blue, the bias-corrected EMA vermillion (Adam's colour), the SMA green.
RAW = "#8C8C8C"
EMA = "#0072B2"
EMA_HAT = "#D55E00"
SMA = "#009E73"
BIAS_BAND = "rgba(230, 159, 0, 0.16)"
BIAS_EDGE = "#B07700"
# More points than this are drawn every k-th (the averages are computed on all of them): an SVG chart
# with a million markers would stall the browser.
MAX_POINTS = 4000
# The kernel chart shows the newest points up to this many effective windows back, and never more bars.
KERNEL_WINDOWS = 5
MAX_BARS = 1500


def _round(values, digits: int = 6) -> list:
    """Rounded lists keep the JSON small; NaN and ±inf become None (a gap in the line)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):
        rounded = np.where(np.isfinite(values), np.round(values, digits), np.nan)
    return [None if math.isnan(v) else v for v in rounded.tolist()]


def _sig(values, digits: int = 6) -> list:
    """Like _round, but to significant digits: gradients and their squares span many decades."""
    values = np.asarray(values, dtype=float)
    return [float(f"{v:.{digits}g}") if math.isfinite(v) else None for v in values.tolist()]


def display_index(n: int) -> np.ndarray:
    """The indices drawn for a series of n points: all of them, or every k-th plus the last."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.unique(np.append(np.arange(0, n, math.ceil(n / MAX_POINTS)), n - 1))


def _layout(
    fig: go.Figure, lk: theme.Look, *, height: int, x_title: str, y_title: str, top: int = 10
) -> None:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=top, b=10),
        font=dict(size=lk.font),
        # sizes set on each axis: Streamlit's chart theme sets the axes' own fonts, which beat layout.font
        xaxis=dict(
            title=dict(text=x_title, font=dict(size=lk.font)),
            tickfont=dict(size=lk.font),
            showgrid=True,
            gridcolor="#ececec",
            zeroline=False,
        ),
        yaxis=dict(
            title=dict(text=y_title, font=dict(size=lk.font)),
            tickfont=dict(size=lk.font),
            showgrid=True,
            gridcolor="#ececec",
            zeroline=False,
        ),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=lk.font)),
        hovermode="x unified",
        template=theme.PLOTLY_TEMPLATE,
    )


def _bias_band(fig: go.Figure, steps: int, n: int, label: str, lk: theme.Look) -> None:
    """Shade steps 1..steps (clipped to the n steps shown), where the uncorrected EMA is biased towards 0."""
    if steps <= 0:
        return
    fig.add_vrect(x0=0.5, x1=min(steps, n) + 0.5, fillcolor=BIAS_BAND, line_width=0, layer="below")
    fig.add_annotation(
        x=0.5,
        xref="x",
        xanchor="left",
        y=1.0,
        yref="paper",
        yanchor="top",
        text=label,
        showarrow=False,
        align="left",
        font=dict(size=max(lk.font - 2, 11), color=BIAS_EDGE),
        bgcolor="rgba(255,255,255,0.75)",
    )


def series_figure(s: Smoothed, *, debias: bool, presenter: bool, text: dict[str, str]) -> go.Figure:
    """Raw points, the EMA with and without bias correction, the SMA, and the shaded early-bias steps.

    The toggle `debias` decides which EMA is the bold one; the other stays as a thin reference (the
    corrected one is hidden behind its legend entry when the correction is off, one click brings it back).
    """
    lk = theme.look(presenter)
    n = s.values.size
    shown = display_index(n)
    x = (shown + 1).tolist()  # step t counts from 1, as in the formulas
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(s.values[shown]),
            mode="markers",
            name=text["raw"],
            meta="raw",
            marker=dict(color=RAW, size=max(lk.marker * 0.45, 4), opacity=0.55),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(s.sma[shown]),
            mode="lines",
            name=text["sma"],
            meta="sma",
            line=dict(color=SMA, width=lk.line * 0.8, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(s.ema[shown]),
            mode="lines",
            name=text["ema"],
            meta="ema",
            line=dict(color=EMA, width=lk.line * (0.7 if debias else 1.2), dash="dot" if debias else "solid"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_round(s.ema_hat[shown]),
            mode="lines",
            name=text["ema_hat"],
            meta="ema_hat",
            line=dict(color=EMA_HAT, width=lk.line * 1.2),
            visible=True if debias else "legendonly",
        )
    )
    _bias_band(fig, s.bias_steps, n, text["bias_band"], lk)
    _layout(fig, lk, height=560 if presenter else 440, x_title=text["x"], y_title=text["y"])
    return fig


def kernel_length(beta: float, n: int) -> int:
    """How many of the newest points the kernel chart shows: a few effective windows, within the series."""
    return max(1, min(n, MAX_BARS, math.ceil(KERNEL_WINDOWS * effective_window(beta)) + 1))


def kernel_figure(beta: float, n: int, *, debias: bool, presenter: bool, text: dict[str, str]) -> go.Figure:
    """The weight of each of the last points in the newest EMA value, by age, beside the SMA's flat window.

    n: the series length (the EMA after n points); age 0 is the newest point. The effective window
    1/(1−β) is marked with a line that has that many bars to its left (like the SMA's edge), and the x
    range always reaches it, also when it is longer than the series (then the bars end before the mark:
    the EMA has not seen a whole window yet).
    """
    lk = theme.look(presenter)
    shown = kernel_length(beta, n)
    # ema_weights is oldest-first over the last n points; only the newest `shown` are drawn
    weights = ema_weights(beta, n, debias=debias)[::-1][:shown]
    age = np.arange(shown)
    window = effective_window(beta)
    width = min(sma_window(beta), n)  # before a whole window has arrived the SMA averages all n points
    mark = window - 0.5  # bars sit on integer ages: the newest `window` bars lie left of this line
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=age.tolist(),
            y=_sig(weights),
            name=text["weights"],
            meta="kernel",
            marker=dict(color=EMA_HAT if debias else EMA, line=dict(width=0)),
            hovertemplate="%{x}: %{y:.4g}<extra></extra>",
        )
    )
    # the SMA's kernel: 1/w on the newest w points (drawn as a step line, not bars, to keep the EMA in front)
    sma_age = [-0.5, width - 0.5, width - 0.5]
    sma_height = 1.0 / width
    fig.add_trace(
        go.Scatter(
            x=sma_age,
            y=[sma_height, sma_height, 0.0],
            mode="lines",
            name=text["sma_weights"],
            meta="sma_kernel",
            line=dict(color=SMA, width=lk.line * 0.8, dash="dash", shape="hv"),
            hoverinfo="skip",
        )
    )
    fig.add_vline(x=mark, line=dict(color="#333333", width=max(lk.line * 0.6, 1.5), dash="dot"))
    fig.add_annotation(
        x=mark,
        y=1.0,
        yref="paper",
        yanchor="bottom",
        text=text["window_mark"],
        showarrow=False,
        xanchor="left" if window < 0.7 * max(shown, window) else "right",
        font=dict(size=lk.font, color="#333333"),
    )
    _layout(
        fig,
        lk,
        height=460 if presenter else 340,
        x_title=text["age"],
        y_title=text["weight"],
        top=lk.font * 2 + 6,
    )
    fig.update_layout(
        bargap=0.1 if shown < 80 else 0.0,
        hovermode="closest",
        xaxis_range=[-0.8, max(shown - 0.2, mark + 0.08 * window + 0.3)],
        legend=dict(
            yanchor="top", y=0.98, x=0.98, xanchor="right", orientation="v", bgcolor="rgba(255,255,255,0.8)"
        ),
    )
    return fig


def moment_figure(
    raw: np.ndarray,
    buffer: np.ndarray,
    corrected: np.ndarray,
    beta: float,
    *,
    presenter: bool,
    text: dict[str, str],
    log_y: bool = False,
) -> go.Figure:
    """One moment against the step: its input (g or g²), the buffer the rule kept, and the corrected one.

    text: raw, ema, ema_hat (trace names), bias_band, x, y.
    """
    lk = theme.look(presenter)
    steps = raw.size
    x = list(range(1, steps + 1))
    if log_y:  # g² can be 0 (a gradient component that vanishes); a log axis cannot show it
        raw, buffer, corrected = (np.where(a > 0, a, np.nan) for a in (raw, buffer, corrected))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_sig(raw),
            mode="lines+markers",
            name=text["raw"],
            meta="raw",
            line=dict(color=RAW, width=max(lk.line * 0.4, 1)),
            marker=dict(color=RAW, size=max(lk.marker * 0.4, 4)),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_sig(buffer),
            mode="lines",
            name=text["ema"],
            meta="ema",
            line=dict(color=EMA, width=lk.line),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=_sig(corrected),
            mode="lines",
            name=text["ema_hat"],
            meta="ema_hat",
            line=dict(color=EMA_HAT, width=lk.line, dash="dash"),
        )
    )
    _bias_band(fig, bias_region(beta), steps, text["bias_band"], lk)
    _layout(fig, lk, height=460 if presenter else 340, x_title=text["x"], y_title=text["y"])
    if log_y:  # one label a decade: the 2 and 5 in between crowd the axis at presenter sizes
        fig.update_layout(yaxis_type="log", yaxis_dtick=1)
    return fig
