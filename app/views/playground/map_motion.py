"""What moves on the map, and the player that moves it: client-side animation frames and their controls.

A frame carries only the moving traces' x and y (`Motion.at`), and the player animates them with
`redraw: False`, so the browser never lays the figure out again while it plays. No streamlit import.
"""

from __future__ import annotations

import numpy as np

from app.shared import theme
from app.shared.plotting import PathStyle, rounded

MAX_FRAMES = 60  # more frames than this are subsampled: the payload stays small, playback smooth
# The player's scrubber: each of its steps is a tick and a label that Plotly lays out on every redraw, so
# it offers every third frame or so; playing still shows every frame.
MAX_SCRUB_STEPS = 21
TRAIL = 15  # how many past steps the animated trail shows
SPEEDS = (("0.5×", 120), ("1×", 60), ("2×", 30), ("4×", 12))  # label, ms per frame


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


class Motion:
    """What moves, as rounded lists made once: each frame then only slices them.

    At step s: each path's trail (its last TRAIL steps), one trace of all heads, one trace of the markers
    on the loss panel threaded on the step line (a layout shape would not move with the frames), and the
    LR marker. These are the only traces a frame carries.
    """

    def __init__(self, xy: np.ndarray, loss: np.ndarray | None, lr_curve: np.ndarray | None):
        self.x = [rounded(path[:, 0], 5) for path in xy]
        self.y = [rounded(path[:, 1], 5) for path in xy]
        self.loss = [rounded(values, 8) for values in loss] if loss is not None else None
        self.lr = rounded(lr_curve, 6) if lr_curve is not None else None
        # the lowest and highest loss the panel draws (the figure sets it): the step line runs between them
        self.loss_span = [0.0, 1.0]

    def at(self, step: int) -> list[dict]:
        """x and y of every moving trace at `step`, in the order of `traces`."""
        lo = max(0, step - TRAIL)
        moving = [dict(x=x[lo : step + 1], y=y[lo : step + 1]) for x, y in zip(self.x, self.y, strict=True)]
        moving.append(dict(x=[x[step] for x in self.x], y=[y[step] for y in self.y]))
        if self.loss is not None:
            # the step line (its two ends) threaded through a marker per path: one trace, so it moves
            ends_and_markers = [*self.loss_span, *(values[step] for values in self.loss)]
            moving.append(dict(x=[step] * len(ends_and_markers), y=ends_and_markers))
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
                    mode="lines+markers",
                    xaxis="x3",
                    yaxis="y3",
                    showlegend=False,
                    hoverinfo="skip",
                    meta="loss-markers",
                    **next(points),
                    connectgaps=True,  # a diverged path's missing loss does not break the line
                    line=dict(color="#444", width=1.5, dash="dot"),
                    marker=dict(
                        color=["rgba(0,0,0,0)"] * 2 + colours,
                        size=[0, 0] + [lk.marker] * len(colours),
                        symbol=["circle"] * 2 + symbols,
                        line=dict(color="white", width=1.5),
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


def player(shown: np.ndarray, step: int, text: dict[str, str], lk: theme.Look, width: float = 1.0) -> dict:
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
