"""A lesson's scene as a figure, before and after the reveal (no streamlit import: text comes in).

Playground scenes are the Playground's own animated map (its model and map builders), so the lesson
shows the very figure its "try it yourself" page draws. Before the reveal the map shows the surface, the
start and the optimizers' names, and no path: the paths would give the answer away. After it, the whole
animation (frames) with the faint full paths and the loss beside the map.
Schedules scenes are the Schedules page's chart; EMA scenes the temperatures with each smoothing. Before
the reveal these show their legend and axes, and the raw data only.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from app.shared import theme
from app.shared.plotting import PrebuiltFigure
from app.views.lessons import model
from app.views.playground import map_figure
from app.views.schedules import figures as schedule_figures
from app.views.schedules import model as schedule_model
from optim_core.lessons import EmaScene, Lesson, PlaygroundScene, ScheduleScene
from optim_core.smoothing import daily_temperatures, ema

# The map's height on a lesson: the figure and the question share the first screen (1280×720 in
# presenter mode), so the map is shorter than the Playground's own (640 / 820).
HEIGHT = {False: 520, True: 540}
EMA_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
RAW = "#8C8C8C"


def scene_figure(
    lesson: Lesson, revealed: bool, *, presenter: bool, text: Mapping[str, str], lang: str = "en"
) -> go.Figure:
    """The lesson's scene: before the reveal without its outcome, after it with the animation.

    text: the Playground map's texts (play, pause, step, loss, ...), and "lr", "day", "temperature",
    "raw" for the other scenes.
    """
    scene = lesson.scene
    if isinstance(scene, PlaygroundScene):
        return playground_figure(scene, revealed, presenter=presenter, text=text, lang=lang)
    if isinstance(scene, ScheduleScene):
        return schedules_figure(scene, revealed, presenter=presenter, text=text)
    return ema_figure(scene, revealed, presenter=presenter, text=text)


def playground_figure(
    scene: PlaygroundScene, revealed: bool, *, presenter: bool, text: Mapping[str, str], lang: str
) -> PrebuiltFigure:
    result = model.playground_result(scene, lang)
    steps = scene.steps
    if revealed:
        # opens on the last step (the outcome), its player replays the run from step 0
        figure = result.contour_figure(steps, presenter=presenter, text=dict(text))
    else:
        figure = map_figure.contour_figure(
            result.config.surface_key,
            result.xy[:, :1],
            result.styles,
            0,
            presenter=presenter,
            text=dict(text),
            start=result.config.start,
        )
    spec = copy.copy(figure.to_dict())
    layout = dict(spec["layout"], height=HEIGHT[presenter])
    if not revealed:  # no player: there is nothing to play yet
        layout.pop("updatemenus", None)
        layout.pop("sliders", None)
        layout["margin"] = dict(layout["margin"], b=56)
    spec["layout"] = layout
    return PrebuiltFigure(spec)


def schedules_figure(
    scene: ScheduleScene, revealed: bool, *, presenter: bool, text: Mapping[str, str]
) -> go.Figure:
    curves = []
    for i, curve in enumerate(scene.curves):
        kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in curve.kwargs}
        shown = schedule_model.page_curve(
            curve.schedule, kwargs, scene.lr, scene.steps, None if i == 0 else i - 1
        )
        if not revealed:  # the legend and the axes, not the curves
            shown = schedule_model.Curve(
                shown.label, shown.name, shown.kwargs, np.full(scene.steps, np.nan), shown.colour, shown.dash
            )
        curves.append(shown)
    figure = schedule_figures.schedules_figure(
        curves, presenter=presenter, text={"step": text["step"], "lr": text["lr"]}, log_y=False
    )
    # its own margins: the Schedules page's chart gets Streamlit's theme, which makes room for the ticks
    figure.update_layout(height=HEIGHT[presenter] - 60, margin=dict(l=80, r=16, t=10, b=70))
    if not revealed:
        figure.update_layout(xaxis_range=[0, scene.steps - 1], yaxis_range=[0, scene.lr * 1.05])
    return figure


def ema_figure(scene: EmaScene, revealed: bool, *, presenter: bool, text: Mapping[str, str]) -> go.Figure:
    lk = theme.look(presenter)
    values = daily_temperatures(scene.seed)
    days = list(range(1, values.size + 1))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=days,
            y=np.round(values, 3).tolist(),
            mode="markers",
            name=text["raw"],
            meta="raw",
            marker=dict(color=RAW, size=max(lk.marker * 0.45, 4), opacity=0.55),
        )
    )
    for i, smoothing in enumerate(scene.smoothings):
        label = f"β = {smoothing.beta:g}" + ("" if smoothing.debias else " (v_t)")
        smoothed = ema(values, smoothing.beta, debias=smoothing.debias)
        fig.add_trace(
            go.Scatter(
                x=days,
                y=np.round(smoothed, 4).tolist() if revealed else [None] * len(days),
                mode="lines",
                name=label,
                meta=f"ema-{i}",
                line=dict(color=EMA_COLOURS[i % len(EMA_COLOURS)], width=lk.line),
            )
        )
    fig.update_layout(
        height=HEIGHT[presenter] - 60,
        margin=dict(l=80, r=16, t=10, b=70),
        font=dict(size=lk.font),
        xaxis=dict(title=dict(text=text["day"]), showgrid=True, gridcolor="#ececec", zeroline=False),
        yaxis=dict(title=dict(text=text["temperature"]), showgrid=True, gridcolor="#ececec", zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=lk.font)),
        hovermode="x unified",
        template=theme.PLOTLY_TEMPLATE,
    )
    return fig
