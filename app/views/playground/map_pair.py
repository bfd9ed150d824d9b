"""The side-by-side view's data: one Playground config run on both losses of the one-neuron classifier.

Squared error on the left, cross-entropy on the right, whichever of the two the page shows: the same
optimizers, LRs, start, steps, noise and schedule, only the loss differs. No streamlit import.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from app.shared.plotting import PrebuiltFigure
from app.views.playground import map_figure, model
from optim_core.surfaces.classifier import CROSS_ENTROPY, MSE, other_loss

PAIR = (MSE, CROSS_ENTROPY)  # left, right
PAIR_HEIGHT = {False: 400, True: 560}  # by presenter: about square at half the map's width


def has_pair(surface: str) -> bool:
    """Whether `surface` is one of the two losses, so the view can show it beside the other."""
    return other_loss(surface) is not None


def pair_results(config: model.PlaygroundConfig, lang: str) -> list[model.PlaygroundResult]:
    """The config run on each loss of PAIR (cached by model.run; the page's own loss is a cache hit).
    A schedule the library refuses is left out here too (the page shows its error once)."""
    return [model.run_or_unscheduled(replace(config, surface=name), lang)[0] for name in PAIR]


def pair_figure(
    result: model.PlaygroundResult, step: int, *, presenter: bool, text: dict, curvature: bool
) -> PrebuiltFigure:
    """One loss's map with the paths at the inspected step: the Playground's map without its loss panel,
    legend and player (the page's map above holds the legend, and its step row and Play button move
    these maps too), so two fit in a row and a change sends no frames for them."""
    overlays = result.overlays(step) + (result.curvature_overlays(step) if curvature else [])
    spec = map_figure.contour_figure(
        result.config.surface_key,
        result.xy,
        result.styles,
        step,
        presenter=presenter,
        text=text,
        overlays=overlays,
        start=result.config.start,
        diverged_at=result.diverged_at,
    ).to_dict()
    layout = spec["layout"]
    for key in ("updatemenus", "sliders"):
        layout.pop(key, None)
    layout.update(
        showlegend=False,
        height=PAIR_HEIGHT[presenter],
        margin=dict(l=64, r=16, t=16, b=56) if presenter else dict(l=48, r=12, t=12, b=44),
    )
    return PrebuiltFigure(dict(data=spec["data"], layout=layout, frames=[]))


def pair_rows(
    results: list[model.PlaygroundResult], step: int, names: list[str], columns: dict[str, str]
) -> pd.DataFrame:
    """Per optimizer, at the inspected step: each loss's value and gradient norm |∇L| where that
    optimizer stands on it. names: each loss's short name, in PAIR's order; columns: the headers of
    "optimizer", "loss" and "grad" (these two with a {loss} field)."""
    rows = [{columns["optimizer"]: label} for label in results[0].labels]
    for result, short in zip(results, names, strict=True):
        xy = result.xy[:, step]
        with np.errstate(all="ignore"):
            gx, gy = result.surface.grad(xy[:, 0], xy[:, 1])
        for row, loss, norm in zip(rows, result.loss[:, step], np.hypot(gx, gy), strict=True):
            row[columns["loss"].format(loss=short)] = f"{loss:.4g}"
            row[columns["grad"].format(loss=short)] = f"{norm:.3g}"
    return pd.DataFrame(rows)
