"""What the map draws over the paths at the inspected step: −gradient and −momentum arrows, √v boxes and
the Hessian's eigen axes, and the shapes that draw them. No streamlit import.

An overlay is a plain dict (type "arrow", "line" or "box", its ends and its colour): `step_overlays` and
`eigen_axes` make them from the run, `overlay_shapes` turns them into Plotly shapes.
"""

from __future__ import annotations

import numpy as np

from app.shared import theme


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


def overlay_shapes(overlays: list[dict], lk: theme.Look) -> tuple[list[dict], list[dict]]:
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
