"""The practitioner's checks of an ended run (CS231n's "babysitting the learning process"): each lane's
initial loss beside ln(number of classes) with a verdict, and its first layer's filters at a few epochs.
babysit.py computes them; this panel draws them, from the metrics and the recorded paths already stored.
"""

from __future__ import annotations

import math

import streamlit as st

from app.shared.i18n import t
from app.shared.markdown import literal
from app.views.training.babysit import (
    filter_moments,
    filter_mosaic,
    first_layer_filters,
    initial_losses,
)
from app.views.training.frames import LaneView
from app.views.training.resources import run_data
from app.views.training.session import metrics_of, presenter
from optim_core.training.landscape.paths import Paths
from optim_core.training.statuses import TERMINAL
from optim_core.training.store import RunRecord

VERDICT_ICONS = {
    "expected": ":green[:material/check_circle:]",
    "above": ":orange[:material/info:]",
    "far_above": ":red[:material/warning:]",
    "low": ":red[:material/warning:]",
    "not_finite": ":red[:material/error:]",
}
FILTER_MOMENTS = 4  # θ₀ and up to three epoch ends per lane


def classes_of(config: dict) -> int | None:
    """The run's number of classes (None when its data cannot be read now)."""
    info = run_data(config)
    return None if info is None else int(info["classes"])


def checks_panel(record: RunRecord, lanes: list[LaneView], paths: Paths | None) -> None:
    """The checks' expander, for an ended run: the initial losses, then the filters (with `paths`)."""
    if record.status not in TERMINAL:
        return
    with st.expander(t("bs.title"), icon=":material/stethoscope:"):
        initial_loss_section(record, lanes)
        filters_section(lanes, paths)


def initial_loss_section(record: RunRecord, lanes: list[LaneView]) -> None:
    st.markdown(t("bs.initial.head"))
    classes = classes_of(record.config)
    if classes is None or classes < 2:
        st.caption(t("bs.initial.no_classes"))
        return
    checks = initial_losses(metrics_of(record.id), lanes, classes)
    if not checks:
        st.caption(t("bs.initial.none"))
        return
    st.caption(t("bs.initial.lead", classes=classes, expected=f"{math.log(classes):.3f}"))
    shown = {lane.key: lane.label for lane in lanes}
    # lanes of one batch size share θ₀ and the first batch: one line for all of them
    groups: dict[float, list] = {}
    for check in checks:
        groups.setdefault(check.loss, []).append(check)
    lines = [
        t(
            "bs.initial.lane",
            icon=VERDICT_ICONS[group[0].verdict],
            label=", ".join(literal(shown.get(c.lane, c.lane)) for c in group),
            loss=f"{group[0].loss:.3f}" if math.isfinite(group[0].loss) else literal(str(group[0].loss)),
            ratio=f"{group[0].ratio:.2f}" if math.isfinite(group[0].ratio) else "—",
            verdict=t(f"bs.verdict.{group[0].verdict}"),
        )
        for group in groups.values()
    ]
    st.markdown("\n".join(f"- {line}" for line in lines))


def filters_section(lanes: list[LaneView], paths: Paths | None) -> None:
    st.markdown(t("bs.filters.head"))
    if paths is None:
        st.caption(t("bs.filters.none"))
        return
    try:
        first = first_layer_filters(paths.theta0, list(paths.shapes))
    except ValueError:
        st.caption(t("bs.filters.no_conv"))
        return
    st.caption(t("bs.filters.lead", n=first.shape[0], size="×".join(map(str, first.shape[1:]))))
    scale = 10 if presenter() else 7
    per_row = math.ceil(math.sqrt(first.shape[0]))  # a square of filters: 16 as 4 × 4
    recorded = set(paths.labels)
    for lane in lanes:
        if lane.key not in recorded:
            continue
        moments = filter_moments(paths, lane.key, FILTER_MOMENTS)
        st.markdown(f"**{literal(lane.label)}**")
        images = [
            filter_mosaic(first_layer_filters(flat, list(paths.shapes)), columns=per_row, scale=scale)
            for _, flat in moments
        ]
        captions = [
            t("bs.filters.theta0") if epoch == 0 else t("bs.filters.epoch", epoch=epoch)
            for epoch, _ in moments
        ]
        columns = st.columns(FILTER_MOMENTS)
        for column, image, caption in zip(columns, images, captions, strict=False):
            column.image(image, caption=caption, clamp=True, output_format="PNG")
