"""The LR range test panel: sweep one lane's LR on the sidebar's data and model, suggest an LR, and put
the suggestion on that lane's slider.

The test runs in its own process (resources.LrRangeService); the panel only asks it, and waits in a
fragment that polls once a second while the test runs.
"""

from __future__ import annotations

import streamlit as st

from app.shared import theme
from app.shared.i18n import t
from app.shared.markdown import literal
from app.shared.optimizer_labels import optimizer_label
from app.shared.settings import Setting, current
from app.views.training import figures
from app.views.training.lane_settings import lr_setting, snap_to_slider
from app.views.training.resources import lr_range_service
from app.views.training.session import presenter, set_value
from app.views.training.setup import RunDraft
from app.views.training.tables import error_line


def lr_range_panel(draft: RunDraft, problems: list[str]) -> None:
    """The expander: which lane, how many steps, Run; then the test's chart and its suggestion."""
    state = current()
    fields = draft.fields
    lanes = fields["optimizers"]
    with st.expander(t("tr.lrt.title"), expanded=False):
        st.markdown(t("tr.lrt.lead"))
        lane_col, steps_col = st.columns(2)
        lane_choices = tuple(range(1, len(lanes) + 1))
        lane_labels = {i: f"{i} · {optimizer_label(lanes[i - 1]['name'])}" for i in lane_choices}
        lane = state.widget(
            Setting("lrt_lane", "choice", 1, "tr.lrt.lane", choices=lane_choices, format=lane_labels.get),
            lane_col,
        )
        steps = state.widget(
            Setting("lrt_steps", "int", 100, "tr.lrt.steps", low=30, high=500, step=10, widget="slider"),
            steps_col,
        )
        params = range_test_params(fields, lane, steps)
        service = lr_range_service()
        if st.button(
            t("tr.lrt.run"),
            icon=":material/troubleshoot:",
            key="tr_lrt_run",
            disabled="data" in problems or "device" in problems,
        ):
            service.submit(params)
        if service.busy(params):
            wait_for_lr_range(params)
            return
        try:
            result = service.result(params)
        except Exception as error:  # noqa: BLE001 - DataError, a dead process: shown, never a traceback
            st.error(
                t("tr.lrt.error", error=literal(error_line(str(error)) or type(error).__name__)),
                icon=":material/error:",
            )
            return
        if result is None:
            st.caption(t("tr.lrt.none"))
        else:
            show_result(result, lane, params["optimizer"])


def range_test_params(fields: dict, lane: int, steps: int) -> dict:
    """The test of lane `lane` (its optimizer and hyperparameters but the LR) on the sidebar's data and
    model, with the first batch size of a sweep (unless it is "full")."""
    entry = fields["optimizers"][lane - 1]
    sweep_sizes = fields["batch_sizes"]
    return {
        "dataset": fields["dataset"],
        "data_path": fields["data_path"],
        "image_size": fields["image_size"],
        "val_fraction": fields["val_fraction"],
        "max_samples": fields["max_samples"],
        "optimizer": entry["name"],
        "hp": {k: v for k, v in entry["hp"].items() if k != "lr"},
        "steps": steps,
        "batch_size": sweep_sizes[0] if sweep_sizes and sweep_sizes[0] != "full" else fields["batch_size"],
        "seed": fields["seed"],
        "width": fields["width"],
        "batch_norm": fields["batch_norm"],
        "device": fields["device"],
    }


@st.fragment(run_every=1.0)
def wait_for_lr_range(params: dict) -> None:
    if not lr_range_service().busy(params):
        st.rerun()
    st.info(t("tr.lrt.running", name=optimizer_label(params["optimizer"])), icon=":material/hourglass_top:")


def show_result(result: dict, lane: int, name: str) -> None:
    """The loss against the LR, the suggestion, and the button that puts it on the lane's LR slider."""
    suggested = snap_to_slider(lr_setting(lane, name), result["suggested_lr"])
    spec = figures.lr_range_spec(
        title=t("tr.lrt.chart", name=optimizer_label(name)),
        x_title=t("tr.lrt.x"),
        y_title=t("tr.lrt.y"),
        raw=t("tr.lrt.raw"),
        smoothed=t("tr.lrt.smoothed"),
        suggestion=result["suggested_lr"],
        suggestion_label=t("tr.lrt.suggested_mark", lr=f"{result['suggested_lr']:.2g}"),
        colour=theme.optimizer_colour(name),
        presenter=presenter(),
    )
    st.container(key="tr_lrt_chart_box").vega_lite_chart(
        figures.lr_range_frame(result),
        {**spec, "name": "tr_lrt_chart"},
        width="stretch",
        theme=None,
        key="tr_lrt_chart",
    )
    st.markdown(
        t(
            "tr.lrt.result",
            suggested=f"{result['suggested_lr']:.3g}",
            min_over_10=f"{result['min_over_10']:.3g}",
            snapped=f"{suggested:g}",
        )
    )
    if result["diverged"]:
        st.caption(t("tr.lrt.diverged"))
    st.button(
        t("tr.lrt.use", lr=f"{suggested:g}", n=lane),
        key="tr_lrt_use",
        icon=":material/input:",
        on_click=set_value,
        args=(f"l{lane}_lr", suggested),
    )
