"""Figures of the Schedules page and its formulas as a screen shows them. No streamlit import: the page
passes translated text in. The curves themselves are computed in model.py.

Hover shows every curve's value at the step under the cursor ("x unified"), to 15 significant digits
(`.15~g`: as many as a float64 always holds, with trailing zeros trimmed), so a value read off the chart
is the value torch would set.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from app.shared import theme
from app.views.schedules.model import Curve, lr_cuts

EXACT = ".15~g"  # d3-format: 15 significant digits, trailing zeros trimmed
LOSS_COLOUR, LR_COLOUR, CUT_COLOUR = "#555555", "#D55E00", "#0072B2"


def _split_top(latex: str, separator: str) -> list[str]:
    """Split at `separator` where it is outside every {...} group and \\begin...\\end environment."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(latex):
        if latex.startswith(separator, i) and depth == 0:
            pieces.append(latex[start:i])
            i = start = i + len(separator)
            continue
        if latex.startswith("\\begin", i):
            depth += 1
        elif latex.startswith("\\end", i):
            depth -= 1
        elif latex[i] == "{":
            depth += 1
        elif latex[i] == "}":
            depth -= 1
        i += 1
    return [*pieces, latex[start:]]


def wrap_latex(latex: str, width: int = 100) -> list[str]:
    """A long formula as lines a screen can show: a break at every top-level \\quad and ";\\ ", and at a
    top-level ",\\ " where the line would pass `width` characters of LaTeX source."""
    lines = []
    clauses = [part for quad in _split_top(latex, "\\quad") for part in _split_top(quad, ";\\ ")]
    for clause in clauses:
        clause = clause.strip().rstrip(",;").strip()
        line = ""
        for atom in (a.strip() for a in _split_top(clause, ",\\ ")):
            if line and len(line) + len(atom) > width:
                lines.append(line + ",")
                line = atom
            else:
                line = f"{line},\\ {atom}" if line else atom
        lines.append(line)
    return [line for line in lines if line]


def display_latex(latex: str) -> str:
    """The formula for st.latex: its lines (wrap_latex) stacked and centred."""
    lines = wrap_latex(latex)
    if len(lines) == 1:
        return lines[0]
    return "\\begin{gathered}" + " \\\\[2pt] ".join(lines) + "\\end{gathered}"


def _layout(fig: go.Figure, lk: theme.Look, *, presenter: bool, height: int) -> None:
    # Streamlit's plotly theme sets its own small tick and title sizes: ours must be explicit to win
    for update in (fig.update_xaxes, fig.update_yaxes):
        update(tickfont_size=lk.font, title_font_size=lk.font + 1)
    fig.update_layout(
        height=height + (140 if presenter else 0),
        margin=dict(l=10, r=10, t=10, b=10),
        font=dict(size=lk.font),
        hovermode="x unified",
        hoverlabel=dict(font=dict(size=lk.font)),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=lk.font)),
    )


def schedules_figure(
    curves: list[Curve], *, presenter: bool, text: Mapping[str, str], log_y: bool
) -> go.Figure:
    """All curves over the steps; the edited one (slot 0) solid and drawn last, on top."""
    lk = theme.look(presenter)
    fig = go.Figure()
    for curve in sorted(curves, key=lambda c: c.dash == "solid"):
        values = curve.values
        if log_y:  # zero has no place on a log axis: a gap, not a fake tiny value
            values = np.where(values > 0, values, np.nan)
        fig.add_trace(
            go.Scatter(
                x0=0,
                dx=1,
                y=np.where(np.isfinite(values), values, None).tolist(),
                mode="lines",
                name=curve.label,
                line=dict(
                    color=curve.colour,
                    width=lk.line * (1.3 if curve.dash == "solid" else 1.0),
                    dash=curve.dash,
                ),
                hovertemplate=f"%{{y:{EXACT}}}<extra>{_escape(curve.label)}</extra>",
            )
        )
    fig.update_layout(showlegend=True)  # even for one curve: the legend names it
    fig.update_layout(
        xaxis=dict(title=text["step"], unifiedhovertitle=dict(text="t = %{x}")),
        yaxis_title=text["lr"],
        yaxis_type="log" if log_y else "linear",
        yaxis=dict(
            exponentformat="power" if log_y else "none",
            dtick=1 if log_y else None,
            rangemode=None if log_y else "tozero",
        ),
    )
    _layout(fig, lk, presenter=presenter, height=460)
    return fig


def _escape(label: str) -> str:
    """Labels are plain text; plotly reads hover text as HTML."""
    return label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _headroom(values: np.ndarray, log: bool) -> list[float] | None:
    """An axis range with a margin, so the LR's flat start does not sit on the frame (log: in decades)."""
    positive = values[values > 0]
    if log:
        if positive.size == 0:
            return None
        low, high = np.log10(positive.min()), np.log10(positive.max())
        return [float(low - 0.25), float(high + 0.25)]
    return [0.0, float(values.max()) * 1.08 or 1.0]


def plateau_figure(
    loss: np.ndarray, lrs: np.ndarray, *, presenter: bool, text: Mapping[str, str], log_lr: bool
) -> go.Figure:
    """The monitored loss (left axis), the LR in effect each epoch (right axis) and a line at each cut."""
    lk = theme.look(presenter)
    epochs = np.arange(len(loss))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=epochs,
            y=loss.tolist(),
            mode="lines",
            name=text["loss"],
            line=dict(color=LOSS_COLOUR, width=lk.line * 0.7),
            hovertemplate=f"%{{y:{EXACT}}}<extra>{_escape(text['loss'])}</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=epochs,
            y=lrs.tolist(),
            mode="lines",
            name=text["lr"],
            yaxis="y2",
            line_shape="hv",
            line=dict(color=LR_COLOUR, width=lk.line * 1.2),
            hovertemplate=f"%{{y:{EXACT}}}<extra>{_escape(text['lr'])}</extra>",
        )
    )
    cuts = lr_cuts(lrs)
    if cuts.size:
        fig.add_trace(
            go.Scatter(
                x=cuts.tolist(),
                y=lrs[cuts].tolist(),
                mode="markers",
                name=text["cut"],
                yaxis="y2",
                marker=dict(
                    symbol="triangle-down",
                    size=lk.marker + 4,
                    color=CUT_COLOUR,
                    line=dict(color="white", width=1),
                ),
                customdata=np.stack([cuts - 1, lrs[cuts - 1]], axis=1).tolist(),
                # text["cut_hover"] carries %{customdata[0]}, the epoch whose metric triggered the cut
                hovertemplate=f"{text['cut_hover']}: %{{customdata[1]:{EXACT}}} → %{{y:{EXACT}}}"
                "<extra></extra>",
            )
        )
        for epoch in cuts:
            fig.add_vline(x=int(epoch) - 0.5, line=dict(color=CUT_COLOUR, width=1.2, dash="dot"))
    fig.update_layout(
        xaxis=dict(title=text["epoch"], unifiedhovertitle=dict(text=f"{_escape(text['epoch'])} %{{x}}")),
        yaxis=dict(title=dict(text=text["loss"], font=dict(color=LOSS_COLOUR))),
        yaxis2=dict(
            title=dict(text=text["lr"], font=dict(color=LR_COLOUR)),
            overlaying="y",
            side="right",
            type="log" if log_lr else "linear",
            showgrid=False,
            range=_headroom(lrs, log_lr),
            dtick=1 if log_lr else None,
            exponentformat="power" if log_lr else "none",
            tickfont=dict(color=LR_COLOUR),
        ),
    )
    _layout(fig, lk, presenter=presenter, height=420)
    return fig
