"""The Playground's side-by-side view of the one-neuron classifier's two losses (draws; map_pair computes).

On either loss surface a toggle in the sidebar's View ("pair" in the URL) adds, under the map, both
maps in a row, squared error left and cross-entropy right, run with the page's optimizers, LRs and
start, and a table of each loss and its gradient norm where each optimizer stands. From the default
start, where the neuron is confidently wrong, SGD stalls on the flat squared error while the same SGD
walks down cross-entropy's slope.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.shared.html_table import html_table
from app.shared.i18n import language, pick, t
from app.shared.markdown import literal
from app.shared.settings import Setting
from app.views.playground import map_pair, model

SETTING = Setting("pair", "bool", False, "ls.pair", help="ls.pair_help")


def toggle(controls: Any, surface: str) -> bool:
    """The View toggle, drawn only on a classifier loss (`controls`: the page's UrlState, or its
    view-only stand-in that reads the URL); whether the side-by-side view is on."""
    return bool(controls.widget(SETTING)) if map_pair.has_pair(surface) else False


def draw(config: model.PlaygroundConfig, step: int, *, presenter: bool, text: dict, curvature: bool) -> None:
    """Both maps in a row (stacked on a phone) and the table that compares their gradients."""
    results = map_pair.pair_results(config, language())
    st.subheader(t("ls.pair_title"))
    st.caption(t("ls.pair_caption"))
    for column, result in zip(st.columns(2, gap="small"), results, strict=True):
        with column:
            st.markdown(f"**{literal(pick(result.surface.title))}**")
            st.plotly_chart(
                map_pair.pair_figure(result, step, presenter=presenter, text=text, curvature=curvature),
                key=f"pair_{result.surface.name}",
                theme=None,
                config={"displaylogo": False, "scrollZoom": True},
            )
    names = [t(f"ls.short.{name}") for name in map_pair.PAIR]
    columns = {c: t(f"ls.col.{c}") for c in ("optimizer", "loss", "grad")}
    st.html(html_table(map_pair.pair_rows(results, step, names, columns)))
